#include "routes.hpp"

#include <charconv>
#include <cstdint>
#include <system_error>
#include <utility>

#include <iterjson/iterjson.hpp>

#include "../number_sequence.hpp"
#if HTTP_DEMO_SQLITE
#include "orders.hpp"
#endif
#if HTTP_DEMO_POSTGRES
#include "pg_rows.hpp"
#endif
#include "page.hpp"
#include "server.hpp"
#include "sessions.hpp"
#include "sources.hpp"

namespace http_demo {

// The answer to /longpoll/start.
struct session_created {
  std::string session;
};

}  // namespace http_demo

ITERJSON_FIELDS(http_demo::session_created, session);

namespace http_demo {

namespace {

// The longest /numbers that --oneshot serializes: about 420 MiB of text. Above it the
// answer is 400, not an allocation that could fail.
constexpr long long max_oneshot_length = 50'000'000;

// The most text one /longpoll/next answers with.
constexpr std::size_t longpoll_piece_size = 64 * 1024;

reply text_reply(std::string_view status, std::string body, bool keep_alive) {
  return {.status = status, .content_type = "text/plain", .body = std::move(body), .keep_alive = keep_alive};
}

reply streamed(iterjson::encoder text, std::string_view content_type, bool keep_alive) {
  reply r{.status = "200 OK", .content_type = content_type, .keep_alive = keep_alive};
  r.stream.emplace(std::move(text));
  return r;
}

// A number from 0 to 10^12, or nothing.
std::optional<long long> parse_length(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0 || value > 1'000'000'000'000) {
    return std::nullopt;
  }
  return value;
}

// `?length=`, if it is there and a length.
std::optional<long long> length_parameter(std::string_view query) {
  const std::optional<std::string_view> text = query_parameter(query, "length");
  return text ? parse_length(*text) : std::nullopt;
}

// --- /numbers --------------------------------------------------------------------------

// Whether /numbers is made whole first: `?mode=oneshot` or `?mode=stream`, else as the
// server was started. Nothing if `mode` names neither.
std::optional<bool> oneshot_mode(std::string_view query, const server& s) {
  const std::optional<std::string_view> mode = query_parameter(query, "mode");
  if (!mode) return s.oneshot();
  if (*mode == "oneshot") return true;
  if (*mode == "stream") return false;
  return std::nullopt;
}

reply serve_numbers(const request& r, const server& s) {
  const std::optional<long long> length = length_parameter(r.query);
  if (!length) return text_reply("400 Bad Request", "/numbers needs ?length=N, N from 0 to 10^12\n", false);
  const std::optional<bool> oneshot = oneshot_mode(r.query, s);
  if (!oneshot) return text_reply("400 Bad Request", "/numbers: mode must be stream or oneshot\n", r.keep_alive);
  examples::number_sequence numbers(*length);
  // Moved in: the encoder outlives this call, and would refer to an lvalue, not own it.
  if (!*oneshot) return streamed(iterjson::encoder(std::move(numbers)), "application/json", r.keep_alive);
  if (*length > max_oneshot_length) {
    return text_reply("400 Bad Request",
                      "a one-shot /numbers is serialized whole: length at most " + std::to_string(max_oneshot_length) + "\n",
                      r.keep_alive);
  }
  // The blocking baseline: all at once.
  return {.status = "200 OK", .content_type = "application/json", .body = iterjson::to_string(numbers),
          .keep_alive = r.keep_alive};
}

// --- /primes and /feed: streams of values ----------------------------------------------

// How /primes and /feed write their values: `?format=`.
enum class stream_format { ndjson, sse, json_seq, array };

struct format_spec {
  std::string_view name;
  stream_format format;
  std::string_view content_type;
};

constexpr format_spec stream_formats[] = {
    {"ndjson", stream_format::ndjson, "application/x-ndjson"},  // the default
    {"sse", stream_format::sse, "text/event-stream"},
    {"json-seq", stream_format::json_seq, "application/json-seq"},
    {"array", stream_format::array, "application/json"},
};

// The format `?format=` asks for, NDJSON if none; null if it names none.
const format_spec* requested_format(std::string_view query) {
  const std::optional<std::string_view> name = query_parameter(query, "format");
  if (!name) return &stream_formats[0];
  for (const format_spec& format : stream_formats) {
    if (format.name == *name) return &format;
  }
  return nullptr;
}

reply refuse_format(const request& r) {
  return text_reply("400 Bad Request", std::string(r.path) + ": format must be ndjson, sse, json-seq or array\n",
                    r.keep_alive);
}

// `values` as records of `format`, or as one array.
template <class Values>
iterjson::encoder encode_in(stream_format format, Values values) {
  switch (format) {
    case stream_format::ndjson:
      return iterjson::encoder(iterjson::ndjson(std::move(values)));
    case stream_format::sse:
      return iterjson::encoder(iterjson::server_sent_events(std::move(values)));
    case stream_format::json_seq:
      return iterjson::encoder(iterjson::json_seq(std::move(values)));
    case stream_format::array:
      break;
  }
  return iterjson::encoder(std::move(values));
}

reply serve_primes(const request& r) {
  const format_spec* format = requested_format(r.query);
  if (!format) return refuse_format(r);
  return streamed(encode_in(format->format, prime_lines()), format->content_type, r.keep_alive);
}

reply serve_feed(const request& r, server& s) {
  const format_spec* format = requested_format(r.query);
  if (!format) return refuse_format(r);
  std::optional<std::uint64_t> count;
  if (const std::optional<std::string_view> text = query_parameter(r.query, "count")) {
    const std::optional<long long> n = parse_length(*text);
    if (!n) return text_reply("400 Bad Request", "/feed: count must be a number from 0 to 10^12\n", r.keep_alive);
    count = static_cast<std::uint64_t>(*n);
  }
  feed_rows rows(s.loop(), s.feed_interval_ms(), count, s.stats().feeds_active);
  return streamed(encode_in(format->format, std::move(rows)), format->content_type, r.keep_alive);
}

// --- /rows: an SQLite table, a row at a time ---------------------------------------------

#if HTTP_DEMO_SQLITE
// The most rows --oneshot collects: about 550 MB of text, and as much again in the vector.
constexpr long long max_oneshot_rows = 5'000'000;

reply serve_rows(const request& r, const server& s) {
  const format_spec* format = requested_format(r.query);
  if (!format) return refuse_format(r);
  long long limit = -1;  // SQLite's LIMIT -1: every row
  if (const std::optional<std::string_view> text = query_parameter(r.query, "limit")) {
    const std::optional<long long> n = parse_length(*text);
    if (!n) return text_reply("400 Bad Request", "/rows: limit must be a number from 0 to 10^12\n", r.keep_alive);
    limit = *n;
  }
  if (!s.oneshot()) return streamed(encode_in(format->format, s.orders().first_rows(limit)), format->content_type, r.keep_alive);
  // The blocking baseline: every row collected, then serialized whole, then written.
  const bool too_many = limit < 0 || limit > max_oneshot_rows;
  std::vector<order> rows = s.orders().collect_rows(too_many ? max_oneshot_rows + 1 : limit);
  if (static_cast<long long>(rows.size()) > max_oneshot_rows) {
    return text_reply("400 Bad Request",
                      "--oneshot collects /rows whole: at most " + std::to_string(max_oneshot_rows) + " rows\n",
                      r.keep_alive);
  }
  std::string body;
  switch (format->format) {
    case stream_format::ndjson: body = iterjson::to_string(iterjson::ndjson(rows)); break;
    case stream_format::sse: body = iterjson::to_string(iterjson::server_sent_events(rows)); break;
    case stream_format::json_seq: body = iterjson::to_string(iterjson::json_seq(rows)); break;
    case stream_format::array: body = iterjson::to_string(rows); break;
  }
  return {.status = "200 OK", .content_type = format->content_type, .body = std::move(body), .keep_alive = r.keep_alive};
}
#endif

// --- /pg/rows: a PostgreSQL table, each row as it arrives ---------------------------------

#if HTTP_DEMO_POSTGRES
reply serve_pg_rows(const request& r, server& s) {
  if (s.pg() == nullptr) {
    return text_reply("404 Not Found", "/pg/rows is served when the server is started with --pg CONNINFO\n", r.keep_alive);
  }
  const format_spec* format = requested_format(r.query);
  if (!format) return refuse_format(r);
  long long limit = 100;
  long long delay_ms = 0;
  if (const std::optional<std::string_view> text = query_parameter(r.query, "limit")) {
    const std::optional<long long> n = parse_length(*text);
    if (!n) return text_reply("400 Bad Request", "/pg/rows: limit must be a number from 0 to 10^12\n", r.keep_alive);
    limit = *n;
  }
  if (const std::optional<std::string_view> text = query_parameter(r.query, "delay_ms")) {
    const std::optional<long long> n = parse_length(*text);
    if (!n || *n > 1000) return text_reply("400 Bad Request", "/pg/rows: delay_ms must be from 0 to 1000\n", r.keep_alive);
    delay_ms = *n;
  }
  PGconn* connection = s.pg()->acquire();
  if (connection == nullptr) {
    return text_reply("503 Service Unavailable", "no PostgreSQL connection free: try again later\n", r.keep_alive);
  }
  return streamed(encode_in(format->format, pg_table_rows(s.loop(), *s.pg(), connection, limit, delay_ms)),
                  format->content_type, r.keep_alive);
}
#endif

// --- /longpoll: a document a piece per request -----------------------------------------

reply start_longpoll(const request& r, session_store& sessions) {
  const std::optional<long long> length = length_parameter(r.query);
  if (!length) return text_reply("400 Bad Request", "/longpoll/start needs ?length=N, N from 0 to 10^12\n", r.keep_alive);
  if (sessions.full()) {
    return text_reply("503 Service Unavailable",
                      "too many long-poll sessions: at most " + std::to_string(sessions.max_sessions()) +
                          " at once; try again later\n",
                      r.keep_alive);
  }
  const std::string key = sessions.open(iterjson::encoder(examples::number_sequence(*length)));
  return {.status = "201 Created",
          .content_type = "application/json",
          .body = iterjson::to_string(session_created{key}),
          .keep_alive = r.keep_alive,
          .extra_headers = "Cache-Control: no-store\r\nLocation: /longpoll/next?session=" + key + "\r\n"};
}

// The next piece of a session's text. The last one ends the session; so does a failure,
// so that a later poll cannot take what is left for the whole text.
reply continue_longpoll(const request& r, session_store& sessions) {
  const std::optional<std::string_view> key = query_parameter(r.query, "session");
  if (!key || key->empty()) {
    return text_reply("400 Bad Request", "/longpoll/next needs ?session=KEY, the key /longpoll/start gave\n",
                      r.keep_alive);
  }
  iterjson::encoder* text = sessions.find(*key);
  if (!text) {
    return text_reply("404 Not Found", "unknown or expired session: start again with /longpoll/start\n", r.keep_alive);
  }
  std::string piece(longpoll_piece_size, '\0');
  try {
    piece.resize(text->read(piece.data(), piece.size()));
  } catch (...) {
    sessions.erase(*key);
    throw;
  }
  const bool done = text->done();
  if (done) sessions.erase(*key);
  return {.status = "200 OK",
          .content_type = "application/octet-stream",
          .body = std::move(piece),
          .keep_alive = r.keep_alive,
          .extra_headers = done ? "Cache-Control: no-store\r\nX-Iterjson-Done: true\r\n"
                                : "Cache-Control: no-store\r\nX-Iterjson-Done: false\r\n"};
}

}  // namespace

reply route(const request& r, server& s) {
  if (r.method != "GET") return text_reply("405 Method Not Allowed", "only GET is served\n", r.keep_alive);
  if (r.path == "/") {
    return {.status = "200 OK", .content_type = "text/html; charset=utf-8", .body = std::string(demo_page),
            .keep_alive = r.keep_alive, .extra_headers = "Cache-Control: no-store\r\n"};
  }
  if (r.path == "/ping") return text_reply("200 OK", "pong", r.keep_alive);
  if (r.path == "/stats") {
    return {.status = "200 OK", .content_type = "application/json", .body = s.stats_json(), .keep_alive = r.keep_alive};
  }
  if (r.path == "/numbers") return serve_numbers(r, s);
  if (r.path == "/primes") return serve_primes(r);
  if (r.path == "/feed") return serve_feed(r, s);
#if HTTP_DEMO_SQLITE
  if (r.path == "/rows") return serve_rows(r, s);
#endif
#if HTTP_DEMO_POSTGRES
  if (r.path == "/pg/rows") return serve_pg_rows(r, s);
#endif
  if (r.path == "/longpoll/start") return start_longpoll(r, s.sessions());
  if (r.path == "/longpoll/next") return continue_longpoll(r, s.sessions());
  return text_reply("404 Not Found", "not found\n", r.keep_alive);
}

}  // namespace http_demo
