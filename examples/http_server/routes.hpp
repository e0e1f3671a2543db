#pragma once

// What the server answers to each request: the routes.
//
//   GET /                  the demo's page (page.html): these routes, live in a browser
//   GET /numbers?length=N  the array [0,1,...,N-1] from a lazy range, never materialized,
//                          in HTTP chunks of 16 KiB; N at most 10^12. With --oneshot, the
//                          blocking baseline: serialized whole with to_string, then
//                          written; N at most 5 * 10^7 (about 420 MiB), 400 above.
//                          ?mode=oneshot or ?mode=stream overrides --oneshot for one request
//   GET /primes            lines {"n":1,"prime":2} from an endless generator, until the
//                          client disconnects
//   GET /feed              rows {"seq":0,"time_ms":T} made by a timer, one every
//                          --feed-interval-ms (100 by default), the first at once, each
//                          sent as it is made; T is the Unix time in milliseconds.
//                          ?count=N ends the feed after N rows; without, it ends when the
//                          client disconnects
//   GET /rows?limit=N      the first N orders of an SQLite table (every one without
//                          ?limit), {"id":1,"customer":"...","amount":429.89,
//                          "placed_at":"2024-01-01T00:00:37Z","note":null}, a row stepped
//                          each time the encoder asks for one. From --db PATH, or from
//                          --orders N generated orders (1,000,000 by default). With
//                          --oneshot, the baseline: the rows collected into a vector,
//                          serialized whole, then written; at most 5,000,000 (400 above).
//                          Built only where SQLite is found
//   GET /pg/rows?limit=N&delay_ms=D   with --pg CONNINFO: the first N rows (100 by
//                          default) of a PostgreSQL table the server creates if missing,
//                          by one fixed query in libpq's single-row mode, each row sent as
//                          it arrives; D (0 to 1000) makes the server pause that long
//                          before each row, to watch them arrive. A client that leaves
//                          cancels the query. 503 when 16 queries run already. Built only
//                          where libpq is found
//                          /primes, /feed, /rows and /pg/rows take ?format=: ndjson (the default,
//                          application/x-ndjson), sse (text/event-stream), json-seq
//                          (application/json-seq) or array (application/json, one array)
//   GET /longpoll/start?length=N   201 and {"session":"<key>"}: a session whose document
//                          is the text of /numbers?length=N, kept as a paused encoder
//   GET /longpoll/next?session=K   200 and the next piece of that text, at most 64 KiB,
//                          with X-Iterjson-Done: true on the last, which ends the session.
//                          A session not polled for --session-timeout-ms (30000) is
//                          evicted; above --max-sessions (1000) a start is refused with 503
//   GET /ping              pong
//   GET /stats             the server's own figures as JSON: the longest stall of its
//                          loop since the last /stats, streams served, feeds and long-poll
//                          sessions alive, connections open and cut for idling, the bytes
//                          the stream drivers hold, memory

#include <optional>
#include <string>
#include <string_view>

#include <iterjson/encoder.hpp>

#include "http.hpp"

namespace http_demo {

class server;

// A route's answer: a body written whole, with its Content-Length, or a JSON text
// streamed as it is made.
struct reply {
  std::string_view status;        // a literal, as "200 OK"
  std::string_view content_type;  // a literal
  std::string body{};
  bool keep_alive = true;
  std::string extra_headers{};                // lines, each ended by CRLF
  std::optional<iterjson::encoder> stream{};  // if set, sent with 200 instead of `body`
};

// The answer to `r`, from the state of server `s`. It may throw: the connection then
// answers 500.
reply route(const request& r, server& s);

}  // namespace http_demo
