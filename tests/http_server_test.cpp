// The HTTP demo, examples/http_server, as a client sees it: the real binary, started with
// --port 0, answering on loopback sockets. Every wait is bounded in time, and the server
// is killed and reaped at the end of each test, whatever happened.

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#if ITERJSON_TEST_SQLITE
#include <sqlite3.h>
#endif

#include "http_client_support.hpp"
#if ITERJSON_TEST_POSTGRES
#include <libpq-fe.h>

#include "postgres_server.hpp"
#endif

namespace {

using namespace iterjson::testing;

// The NDJSON lines of /primes for the primes below `limit`, by a sieve.
std::string prime_lines_below(std::size_t limit) {
  std::vector<bool> composite(limit, false);
  std::string text;
  std::size_t count = 0;
  for (std::size_t i = 2; i < limit; ++i) {
    if (composite[i]) continue;
    text += "{\"n\":" + std::to_string(++count) + ",\"prime\":" + std::to_string(i) + "}\n";
    for (std::size_t j = i * i; j < limit; j += i) composite[j] = true;
  }
  return text;
}

constexpr std::string_view ndjson_head =
    "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr std::string_view first_primes =
    "{\"n\":1,\"prime\":2}\n{\"n\":2,\"prime\":3}\n{\"n\":3,\"prime\":5}\n{\"n\":4,\"prime\":7}\n"
    "{\"n\":5,\"prime\":11}\n";

// --- /feed ----------------------------------------------------------------------------

std::int64_t unix_time_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Rows made between `before` and `after`, in order, `interval_ms` or so apart. The timer
// counts each interval from when the row before was due, so a row made late (a busy
// machine) brings the next one closer, and only a late first row shortens the span from
// the first to the last: the span is bounded from below, by half its intervals, and each
// gap only by the order of the rows.
void check_feed_times(const std::vector<std::int64_t>& times, std::int64_t before, std::int64_t after,
                      std::int64_t interval_ms) {
  for (std::size_t i = 0; i != times.size(); ++i) {
    CHECK(times[i] >= before);
    CHECK(times[i] <= after);
    if (i != 0) CHECK(times[i] >= times[i - 1]);
  }
  if (times.size() < 2) return;
  const std::int64_t span = times.back() - times.front();
  CHECK_MESSAGE(span >= static_cast<std::int64_t>(times.size() - 1) * interval_ms / 2, span);
}

// The body of `path`, de-chunked if it was chunked, and its head.
std::pair<std::string, std::string> fetch_body(std::uint16_t port, const std::string& path) {
  // No structured binding: clang 14 cannot capture one in doctest's message.
  std::pair<std::string, std::string> response =
      split_response(iterjson::testing::exchange(port, "GET " + path + " HTTP/1.1\r\nConnection: close\r\n\r\n"));
  if (response.first.find("Transfer-Encoding: chunked") == std::string::npos) return response;
  const std::optional<std::string> text = decode_chunked(response.second);
  REQUIRE_MESSAGE(text.has_value(), "an incomplete chunked body: " << response.second.size() << " bytes");
  return {response.first, *text};
}

}  // namespace

TEST_CASE("http_server: /ping is answered in order on a kept-alive connection, then closed on request") {
  server_process server;
  client c(server.port());
  c.send(std::string(ping_request) + std::string(ping_request));
  CHECK(c.read_at_least(2 * pong.size()) == std::string(pong) + std::string(pong));
  c.send("GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(c.read_to_end() ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong");
  CHECK(server.stop() == 0);  // SIGTERM: a clean exit
}

TEST_CASE("http_server: /numbers?length=5 is one chunk and the last chunk") {
  server_process server;
  const std::string response = exchange(server.port(), "GET /numbers?length=5 HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(response == std::string(chunked_json_head_close) + "b\r\n[0,1,2,3,4]\r\n0\r\n\r\n");
  CHECK(decode_chunked(split_response(response).second) == "[0,1,2,3,4]");
  CHECK(exchange(server.port(), "GET /numbers?length=0 HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        std::string(chunked_json_head_close) + "2\r\n[]\r\n0\r\n\r\n");
}

TEST_CASE("http_server: a million numbers, de-chunked, are to_string's text") {
  server_process server;
  const auto [head, body] =
      split_response(exchange(server.port(), "GET /numbers?length=1000000 HTTP/1.1\r\nConnection: close\r\n\r\n"));
  CHECK(head == chunked_json_head_close);
  const std::optional<std::string> text = decode_chunked(body);
  REQUIRE(text.has_value());
  CHECK(text->size() == 6'888'891);
  CHECK(*text == numbers_text(1'000'000));
}

TEST_CASE("http_server: /primes streams the primes in order; clients that leave do not stop the server") {
  server_process server;
  const std::string expected = prime_lines_below(200'000);
  {
    client c(server.port());
    c.send("GET /primes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const std::string received = c.read_at_least(ndjson_head.size() + 150'000);
    REQUIRE(received.starts_with(ndjson_head));
    std::string lines = decode_chunked_prefix(std::string_view(received).substr(ndjson_head.size()));
    CHECK(lines.starts_with(first_primes));
    lines.erase(lines.rfind('\n') + 1);  // whole lines only
    REQUIRE(lines.size() > 100'000);
    CHECK(lines == expected.substr(0, lines.size()));
    c.reset();
  }
  check_still_serving(server);
  // Clients that read everything that arrived, then close: the server's next writes meet
  // a closed socket (EPIPE), which must end the stream, not the process. Each endless
  // stream fails once the server met that: waited for, not slept on, before asking.
  for (int i = 0; i != 30; ++i) {
    client c(server.port());
    c.send("GET /primes HTTP/1.1\r\n\r\n");
    CHECK(c.read_at_least(ndjson_head.size()).starts_with(ndjson_head));
    std::this_thread::sleep_for(milliseconds(2));
    c.read_available();
  }
  const nlohmann::json stats = settled_stats(server, [](const nlohmann::json& s) { return s["streams_failed"] == 31; });
  CHECK(stats["streams_started"] == 31);
  CHECK(stats["streams_failed"] == 31);
  check_still_serving(server);
}

TEST_CASE("http_server: what a client sends during a stream waits in the kernel, not in the server") {
  server_process server;
  client c(server.port());
  c.send("GET /primes HTTP/1.1\r\n\r\n");
  CHECK(c.read_at_least(ndjson_head.size()).starts_with(ndjson_head));
  // Kernel buffers on loopback take a few MiB; a server that kept reading would take all.
  const std::string junk(64 * 1024, 'x');
  const std::size_t sent = c.send_until_blocked(junk, 256 * 1024 * 1024, milliseconds(500));
  CHECK_MESSAGE(sent < 256 * 1024 * 1024, sent);
  c.reset();
  check_still_serving(server);
}

TEST_CASE("http_server: a request head above 16 KiB is 431, malformed ones are 400, other methods 405, other paths 404") {
  server_process server;
  // Exactly one byte too many, so that nothing is left unread when the server closes.
  CHECK(exchange(server.port(), std::string(16 * 1024 + 1, 'a')) ==
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n");
  const std::string bad_request =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
      "bad request\n";
  CHECK(exchange(server.port(), "GARBAGE\r\n\r\n") == bad_request);
  CHECK(exchange(server.port(), "GET /ping SPDY/3\r\n\r\n") == bad_request);
  CHECK(exchange(server.port(), "GET /numbers?length=-1 HTTP/1.1\r\n\r\n") ==
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 44\r\nConnection: close\r\n\r\n"
        "/numbers needs ?length=N, N from 0 to 10^12\n");
  CHECK(exchange(server.port(), "DELETE /ping HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n"
        "\r\nonly GET is served\n");
  CHECK(exchange(server.port(), "GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
        "not found\n");
  check_still_serving(server);
}

TEST_CASE("http_server: HTTP/1.0 gets no chunked framing: the body ends with the connection") {
  server_process server;
  const std::string close_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
  CHECK(exchange(server.port(), "GET /numbers?length=5 HTTP/1.0\r\n\r\n") == close_head + "[0,1,2,3,4]");
  CHECK(exchange(server.port(), "GET /numbers?length=1000000 HTTP/1.0\r\n\r\n") ==
        close_head + numbers_text(1'000'000));
  // Keep-alive is not offered to HTTP/1.0.
  CHECK(exchange(server.port(), "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\npong");
  {
    client c(server.port());
    c.send("GET /primes HTTP/1.0\r\n\r\n");
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n";
    CHECK(c.read_at_least(head.size() + first_primes.size()).starts_with(head + std::string(first_primes)));
    c.reset();
  }
  {
    // This connection's streams are chunked from its first one on.
    client c(server.port());
    c.send("GET /numbers?length=1 HTTP/1.1\r\n\r\nGET /numbers?length=1 HTTP/1.0\r\n\r\n");
    const std::string refusal =
        "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain\r\nContent-Length: 80\r\n"
        "Connection: close\r\n\r\nHTTP/1.0 after HTTP/1.1 on one connection is not streamed: use a new connection\n";
    CHECK(c.read_to_end() == std::string(chunked_json_head) + "3\r\n[0]\r\n0\r\n\r\n" + refusal);
  }
  check_still_serving(server);
}

TEST_CASE("http_server: a client that half-closes after its requests gets every answer in full") {
  server_process server;
  {
    client c(server.port());
    c.send("GET /numbers?length=1000000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    c.half_close();
    const auto [head, body] = split_response(c.read_to_end());
    CHECK(head == chunked_json_head);
    CHECK(decode_chunked(body) == numbers_text(1'000'000));
  }
  {
    client c(server.port());
    c.send(std::string(ping_request) + "GET /numbers?length=3 HTTP/1.1\r\n\r\n" + std::string(ping_request));
    c.half_close();
    CHECK(c.read_to_end() ==
          std::string(pong) + std::string(chunked_json_head) + "7\r\n[0,1,2]\r\n0\r\n\r\n" + std::string(pong));
  }
  check_still_serving(server);
}

TEST_CASE("http_server: --oneshot refuses to materialize more than 50 million numbers, and serves on") {
  server_process server({"--oneshot"});
  client c(server.port());
  const std::string refusal =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 65\r\n\r\n"
      "a one-shot /numbers is serialized whole: length at most 50000000\n";
  c.send("GET /numbers?length=50000001 HTTP/1.1\r\n\r\n");
  CHECK(c.read_at_least(refusal.size()) == refusal);
  c.send("GET /numbers?length=1000000000000 HTTP/1.1\r\n\r\n");
  CHECK(c.read_at_least(refusal.size()) == refusal);
  c.send(ping_request);
  CHECK(c.read_at_least(pong.size()) == pong);
  c.send("GET /numbers?length=5 HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(c.read_to_end() ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
        "[0,1,2,3,4]");
  check_still_serving(server);
}

TEST_CASE("http_server: ?mode=oneshot and ?mode=stream choose, for one /numbers, what --oneshot chooses for all") {
  constexpr std::string_view oneshot_five =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n"
      "[0,1,2,3,4]";
  const std::string streamed_five = std::string(chunked_json_head_close) + "b\r\n[0,1,2,3,4]\r\n0\r\n\r\n";
  const auto get = [](const server_process& server, std::string_view target) {
    return exchange(server.port(), "GET " + std::string(target) + " HTTP/1.1\r\nConnection: close\r\n\r\n");
  };
  const std::string bad_mode =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 41\r\nConnection: close\r\n\r\n"
      "/numbers: mode must be stream or oneshot\n";
  {
    server_process server;
    CHECK(get(server, "/numbers?length=5&mode=oneshot") == oneshot_five);
    CHECK(get(server, "/numbers?mode=stream&length=5") == streamed_five);
    CHECK(get(server, "/numbers?length=5&mode=blocking") == bad_mode);
    const auto [head, body] = split_response(get(server, "/numbers?length=1000000&mode=oneshot"));
    CHECK(head.find("Content-Length: 6888891\r\n") != std::string::npos);
    CHECK(body == numbers_text(1'000'000));
  }
  server_process oneshot({"--oneshot"});
  CHECK(get(oneshot, "/numbers?length=5") == oneshot_five);
  CHECK(get(oneshot, "/numbers?length=5&mode=stream") == streamed_five);
  check_still_serving(oneshot);
}

TEST_CASE("http_server: GET / is the demo's page, page.html, with nothing to fetch from elsewhere") {
  server_process server;
  const auto [head, body] = split_response(exchange(server.port(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  CHECK(head == "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
  std::ifstream file(ITERJSON_HTTP_SERVER_PAGE, std::ios::binary);
  REQUIRE(file);
  CHECK(body == std::string(std::istreambuf_iterator<char>(file), {}));
  // Self-contained: no script, style sheet or image to load, no address outside the page.
  CHECK(body.find(" src=") == std::string::npos);
  CHECK(body.find("<link rel=\"stylesheet\"") == std::string::npos);
  CHECK(body.find("://") == std::string::npos);
  CHECK(body.find("@import") == std::string::npos);
}

TEST_CASE("http_server: /feed?count=3 in each format: a chunk per row as it is made, then the end") {
  constexpr std::int64_t interval_ms = 100;
  server_process server({"--feed-interval-ms", std::to_string(interval_ms)});
  for (const feed_format& format : feed_formats) {
    CAPTURE(format.name);
    const std::int64_t before = unix_time_ms();
    const std::string response = exchange(
        server.port(), "GET /feed?format=" + std::string(format.name) + "&count=3 HTTP/1.1\r\nConnection: close\r\n\r\n");
    const std::int64_t after = unix_time_ms();
    const std::vector<std::int64_t> times = feed_times(response);
    REQUIRE(times.size() == 3);
    CHECK(response == chunked_head_close(format.content_type) + feed_body(format, times));
    check_feed_times(times, before, after, interval_ms);
  }
  // ndjson by default; no rows at all; an array that ends at once.
  const std::string response = exchange(server.port(), "GET /feed?count=2 HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(response == chunked_head_close("application/x-ndjson") + feed_body(feed_formats[0], feed_times(response)));
  CHECK(exchange(server.port(), "GET /feed?count=0 HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        chunked_head_close("application/x-ndjson") + "0\r\n\r\n");
  CHECK(exchange(server.port(), "GET /feed?count=0&format=array HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        chunked_head_close("application/json") + "2\r\n[]\r\n0\r\n\r\n");
  CHECK(exchange(server.port(), "GET /feed?format=xml HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("400 Bad Request", "/feed: format must be ndjson, sse, json-seq or array\n", true));
  CHECK(exchange(server.port(), "GET /feed?count=-1 HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("400 Bad Request", "/feed: count must be a number from 0 to 10^12\n", true));
  // On a kept-alive connection, the next request is answered once the feed ends.
  {
    client c(server.port());
    c.send("GET /feed?count=1 HTTP/1.1\r\n\r\n" + std::string(ping_request));
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string received = c.read_until(pong);
    CHECK(received == head + feed_body(feed_formats[0], feed_times(received)) + std::string(pong));
  }
  const nlohmann::json stats = stats_of(server);
  CHECK(stats["feeds_active"] == 0);  // every timer freed
  CHECK(stats["streams_completed"] == 8);
  CHECK(stats["streams_failed"] == 0);
}

TEST_CASE("http_server: a /feed row reaches the client as it is made, before the next one") {
  constexpr std::int64_t interval_ms = 1000;
  server_process server({"--feed-interval-ms", std::to_string(interval_ms)});
  client c(server.port());
  const std::int64_t requested = unix_time_ms();
  c.send("GET /feed?count=2 HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string first = c.read_until("}\n");
  const std::int64_t first_arrived = unix_time_ms();
  const std::string rest = c.read_to_end();
  const std::vector<std::int64_t> times = feed_times(first + rest);
  REQUIRE(times.size() == 2);
  const std::string head = chunked_head_close("application/x-ndjson");
  CHECK(first == head + chunk("{\"seq\":0,\"time_ms\":" + std::to_string(times[0]) + "}\n"));
  CHECK(first + rest == head + feed_body(feed_formats[0], times));
  // By the server's clock in the rows, the same as this test's (the system clock), not by
  // how soon this test got to read: the first row is made at once, not an interval after
  // the request; it reached the client before the second was made; and that one came an
  // interval later. Each bound is one-sided, with half an interval or more to spare.
  CHECK(times[0] - requested < interval_ms / 2);
  CHECK(first_arrived < times[1]);
  CHECK(times[1] - times[0] >= interval_ms / 2);
}

TEST_CASE("http_server: a /feed client that leaves ends its stream and frees its timer") {
  server_process server({"--feed-interval-ms", "20"});
  {
    client resetting(server.port());
    resetting.send("GET /feed HTTP/1.1\r\n\r\n");
    CHECK(resetting.read_until("}\n").starts_with(ndjson_head));
    resetting.reset();
    client closing(server.port());  // closes without a reset, after reading all that came
    closing.send("GET /feed?format=sse HTTP/1.1\r\n\r\n");
    CHECK(closing.read_until("}\n\n").find("data: {\"seq\":0,") != std::string::npos);
    closing.read_available();
  }
  const nlohmann::json stats = settled_stats(server, [](const nlohmann::json& s) {
    return s["streams_failed"] == 2 && s["feeds_active"] == 0;
  });
  CHECK(stats["streams_started"] == 2);
  CHECK(stats["streams_completed"] == 0);
  CHECK(stats["streams_failed"] == 2);
  CHECK(stats["feeds_active"] == 0);
  check_still_serving(server);
}

TEST_CASE("http_server: /primes takes format=sse, json-seq, ndjson and array") {
  server_process server;
  // The head and the first lines of /primes in `format`.
  const auto first_lines = [&](std::string_view format, std::size_t size) {
    client c(server.port());
    c.send("GET /primes?format=" + std::string(format) + " HTTP/1.1\r\nConnection: close\r\n\r\n");
    std::string received = c.read_until("\r\n\r\n");
    received += c.read_at_least(16 * 1024);  // a whole block: at least one whole chunk
    c.reset();
    const std::size_t body_at = received.find("\r\n\r\n") + 4;
    const std::string body = decode_chunked_prefix(std::string_view(received).substr(body_at));
    return received.substr(0, body_at) + body.substr(0, size);
  };
  const std::string two_sse = "data: {\"n\":1,\"prime\":2}\n\ndata: {\"n\":2,\"prime\":3}\n\n";
  CHECK(first_lines("sse", two_sse.size()) == chunked_head_close("text/event-stream") + two_sse);
  const std::string two_seq = "\x1E{\"n\":1,\"prime\":2}\n\x1E{\"n\":2,\"prime\":3}\n";
  CHECK(first_lines("json-seq", two_seq.size()) == chunked_head_close("application/json-seq") + two_seq);
  const std::string two_lines = "{\"n\":1,\"prime\":2}\n{\"n\":2,\"prime\":3}\n";
  CHECK(first_lines("ndjson", two_lines.size()) == chunked_head_close("application/x-ndjson") + two_lines);
  const std::string two_items = "[{\"n\":1,\"prime\":2},{\"n\":2,\"prime\":3},";
  CHECK(first_lines("array", two_items.size()) == chunked_head_close("application/json") + two_items);
  CHECK(exchange(server.port(), "GET /primes?format=csv HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("400 Bad Request", "/primes: format must be ndjson, sse, json-seq or array\n", true));
  check_still_serving(server);
}

TEST_CASE("http_server: long-poll pieces, concatenated, are the document; the last ends the session") {
  server_process server;
  const std::string key = start_session(server, 100'000);
  const std::string other = start_session(server, 0);
  CHECK(other != key);
  client c(server.port());
  // 588,891 bytes: eight pieces of 64 KiB and one of 64,603.
  CHECK(poll_to_end(c, key) == numbers_text(100'000));
  CHECK(poll_session(c, key) == text_response("404 Not Found", unknown_session, false));
  CHECK(poll_session(c, other) == piece_response("[]", true));
  CHECK(poll_session(c, std::string(32, '0')) == text_response("404 Not Found", unknown_session, false));
  const std::string missing = "/longpoll/next needs ?session=KEY, the key /longpoll/start gave\n";
  c.send("GET /longpoll/next HTTP/1.1\r\n\r\n");
  CHECK(read_response(c) == text_response("400 Bad Request", missing, false));
  c.send("GET /longpoll/next?session= HTTP/1.1\r\n\r\n");
  CHECK(read_response(c) == text_response("400 Bad Request", missing, false));
  c.send("GET /longpoll/start?length=x HTTP/1.1\r\n\r\n");
  CHECK(read_response(c) ==
        text_response("400 Bad Request", "/longpoll/start needs ?length=N, N from 0 to 10^12\n", false));
  CHECK(stats_of(server)["longpoll_sessions"] == 0);
}

TEST_CASE("http_server: a long-poll session idle past --session-timeout-ms is evicted; polls keep one alive") {
  // A session goes between one and one and a half timeouts after its last poll. Polls
  // about 50 ms apart keep one with a wide margin, however busy the machine.
  constexpr std::int64_t session_timeout_ms = 600;
  server_process server({"--session-timeout-ms", std::to_string(session_timeout_ms)});
  const std::string idle = start_session(server, 10);
  const std::string polled = start_session(server, 2'000'000);  // 15 MB, 228 pieces: more than polls
  const auto started = steady::now();
  client c(server.port());
  std::string text;
  // A poll every 50 ms, for twice the timeout by this test's clock, and then until the
  // sweep timer has evicted the idle session: waited for, within the wait limit.
  std::size_t sessions = 2;
  for (int polls = 0; polls != 150 && steady::now() - started < wait_limit &&
                      (steady::now() - started < milliseconds(2 * session_timeout_ms) || sessions != 1);
       ++polls) {
    std::this_thread::sleep_for(milliseconds(50));
    const std::string response = poll_session(c, polled);
    const std::string piece = split_response(response).second;
    CHECK(response == piece_response(piece, false));
    text += piece;
    sessions = stats_of(server)["longpoll_sessions"];
  }
  CHECK(sessions == 1);  // the timer evicted the idle one, never polled: a poll would have too
  CHECK(poll_session(c, idle) == text_response("404 Not Found", unknown_session, false));
  text += poll_to_end(c, polled);
  CHECK(text == numbers_text(2'000'000));
}

TEST_CASE("http_server: above --max-sessions a start is refused with 503; an ended session frees its place") {
  server_process server({"--max-sessions", "2"});
  const std::string first = start_session(server, 3);
  start_session(server, 3);
  const std::string refusal =
      text_response("503 Service Unavailable", "too many long-poll sessions: at most 2 at once; try again later\n", true);
  CHECK(exchange(server.port(), "GET /longpoll/start?length=3 HTTP/1.1\r\nConnection: close\r\n\r\n") == refusal);
  client c(server.port());
  CHECK(poll_session(c, first) == piece_response("[0,1,2]", true));
  start_session(server, 3);
  CHECK(exchange(server.port(), "GET /longpoll/start?length=3 HTTP/1.1\r\nConnection: close\r\n\r\n") == refusal);
  CHECK(stats_of(server)["longpoll_sessions"] == 2);
}

// --- with curl ------------------------------------------------------------------------

namespace {

// curl's output for `target` on `server`, with `flags` before the URL; curl's own
// errors are in the output too.
command_result curl(const server_process& server, std::string_view target, std::string_view flags = "") {
  return run_command("curl --silent --show-error --max-time 20 " + std::string(flags) + " 'http://127.0.0.1:" +
                     std::to_string(server.port()) + std::string(target) + "'");
}

void require_curl() {
  REQUIRE_MESSAGE(run_command("command -v curl").status == 0, "these tests need curl: scripts/install-deps.sh");
}

}  // namespace

TEST_CASE("http_server with curl: /feed in NDJSON and SSE, row by row as made, then the end") {
  require_curl();
  server_process server({"--feed-interval-ms", "20"});
  for (const feed_format& format : {feed_formats[0], feed_formats[1]}) {
    CAPTURE(format.name);
    const command_result feed =
        curl(server, "/feed?count=5&format=" + std::string(format.name), "--no-buffer --write-out '%{content_type}'");
    CHECK(feed.status == 0);
    const std::vector<std::int64_t> times = feed_times(feed.output);
    REQUIRE(times.size() == 5);
    std::string expected;
    for (std::size_t seq = 0; seq != times.size(); ++seq) {
      expected += std::string(format.prefix) + "{\"seq\":" + std::to_string(seq) +
                  ",\"time_ms\":" + std::to_string(times[seq]) + "}" + std::string(format.suffix);
    }
    CHECK(feed.output == expected + std::string(format.content_type));
  }
  check_still_serving(server);
}

TEST_CASE("http_server with curl: the endless /primes in NDJSON and SSE, until curl leaves") {
  require_curl();
  server_process server;
  // head takes the first lines and exits; curl then fails to write and leaves too.
  const auto first_lines = [&](std::string_view format, int lines) {
    return run_command("curl --silent --no-buffer --max-time 20 'http://127.0.0.1:" + std::to_string(server.port()) +
                       "/primes?format=" + std::string(format) + "' | head -n " + std::to_string(lines));
  };
  const std::string thousand_lines = prime_lines_below(7920);  // the 1000th prime is 7919
  const command_result ndjson = first_lines("ndjson", 1000);
  CHECK(ndjson.status == 0);
  CHECK(ndjson.output == thousand_lines);

  std::string thousand_events;
  for (std::size_t at = 0; at != thousand_lines.size();) {
    const std::size_t end = thousand_lines.find('\n', at);
    thousand_events += "data: " + thousand_lines.substr(at, end - at) + "\n\n";
    at = end + 1;
  }
  const command_result sse = first_lines("sse", 2000);
  CHECK(sse.status == 0);
  CHECK(sse.output == thousand_events);
  const nlohmann::json stats =
      settled_stats(server, [](const nlohmann::json& s) { return s["streams_failed"] == 2; });
  CHECK(stats["streams_started"] == 2);
  CHECK(stats["streams_failed"] == 2);  // ended by the client, as endless streams are
  check_still_serving(server);
}

TEST_CASE("http_server with curl: a long-poll session, piece by piece, then 404") {
  require_curl();
  server_process server;
  const command_result started = curl(server, "/longpoll/start?length=100000", "--write-out ' %{http_code}'");
  REQUIRE(started.status == 0);
  const std::size_t space = started.output.rfind(' ');
  CHECK(started.output.substr(space) == " 201");
  const std::string key = nlohmann::json::parse(started.output.substr(0, space))["session"];
  CHECK(key.size() == 32);

  std::string text;
  int pieces = 0;
  for (bool done = false; !done && pieces != 100; ++pieces) {
    const command_result piece = curl(server, "/longpoll/next?session=" + key, "--include");
    REQUIRE(piece.status == 0);
    const auto [head, body] = split_response(piece.output);
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    done = head.find("X-Iterjson-Done: true\r\n") != std::string::npos;
    text += body;
  }
  CHECK(pieces == 9);  // 588,891 bytes: eight pieces of 64 KiB and one of 64,603
  CHECK(text == numbers_text(100'000));
  const command_result after = curl(server, "/longpoll/next?session=" + key, "--write-out ' %{http_code}'");
  CHECK(after.output == std::string(unknown_session) + " 404");
}

// --- /rows: an SQLite table ---------------------------------------------------------------

#if ITERJSON_TEST_SQLITE
namespace {

// The first two of the generated orders: the generator is seeded, so they are always these.
constexpr std::string_view first_two_orders =
    R"([{"id":1,"customer":"Jürgen Großmann","amount":429.89,"placed_at":"2024-01-01T00:00:37Z","note":"leave at the door"},)"
    R"({"id":2,"customer":"Alan Turing","amount":995.74,"placed_at":"2024-01-01T00:01:14Z","note":"gift wrap"}])";

}  // namespace

TEST_CASE("http_server: /rows streams the orders a row at a time, as --oneshot collects them, in every format") {
  server_process streamed;
  CHECK(fetch_body(streamed.port(), "/rows?limit=2&format=array") ==
        std::pair{chunked_head_close("application/json"), std::string(first_two_orders)});
  CHECK(fetch_body(streamed.port(), "/rows?limit=0&format=array").second == "[]");
  CHECK(exchange(streamed.port(), "GET /rows?limit=-1 HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("400 Bad Request", "/rows: limit must be a number from 0 to 10^12\n", true));
  CHECK(exchange(streamed.port(), "GET /rows?format=csv HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("400 Bad Request", "/rows: format must be ndjson, sse, json-seq or array\n", true));

  server_process oneshot({"--oneshot"});
  for (const std::string format : {"array", "ndjson", "sse", "json-seq"}) {
    CAPTURE(format);
    const auto [head, body] = fetch_body(streamed.port(), "/rows?format=" + format);
    const auto [oneshot_head, oneshot_body] = fetch_body(oneshot.port(), "/rows?format=" + format);
    CHECK(head.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(oneshot_head.find("Content-Length: " + std::to_string(oneshot_body.size())) != std::string::npos);
    CHECK(body == oneshot_body);
    if (format == "ndjson") {
      CHECK(std::ranges::count(body, '\n') == 1000);
      CHECK(nlohmann::json::parse(body.substr(body.rfind('\n', body.size() - 2) + 1))["id"] == 1000);
    }
  }
  const nlohmann::json all = nlohmann::json::parse(fetch_body(streamed.port(), "/rows?format=array").second);
  REQUIRE(all.size() == 1000);
  CHECK(all[999]["id"] == 1000);
  CHECK(all[999]["placed_at"] == "2024-01-01T10:16:40Z");  // 1000 orders 37 s apart
  check_still_serving(streamed);
  check_still_serving(oneshot);
}

TEST_CASE("http_server: --db serves the orders table of that file; a file without one stops the server at start") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("http_server_db_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "given.db").string();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount REAL, placed_at TEXT, note TEXT);"
                       "INSERT INTO orders VALUES (7, 'Ève \"E\" Noël', 0.5, '2025-06-01T12:00:00Z', NULL);"
                       "INSERT INTO orders VALUES (9, 'Bob', 1e21, 'soon', 'tab\there');",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  {
    server_process server({"--db", path});
    CHECK(fetch_body(server.port(), "/rows?format=ndjson").second ==
          "{\"id\":7,\"customer\":\"Ève \\\"E\\\" Noël\",\"amount\":0.5,\"placed_at\":\"2025-06-01T12:00:00Z\",\"note\":null}\n"
          "{\"id\":9,\"customer\":\"Bob\",\"amount\":1e+21,\"placed_at\":\"soon\",\"note\":\"tab\\there\"}\n");
    CHECK(fetch_body(server.port(), "/rows?limit=1&format=json-seq").second ==
          "\x1E{\"id\":7,\"customer\":\"Ève \\\"E\\\" Noël\",\"amount\":0.5,\"placed_at\":\"2025-06-01T12:00:00Z\",\"note\":null}\n");
  }
  const command_result missing = run_command(std::string(ITERJSON_HTTP_SERVER) + " --port 0 --db " + (dir / "none.db").string());
  CHECK(WEXITSTATUS(missing.status) == 1);
  CHECK(missing.output.find("cannot open") != std::string::npos);
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TABLE orders", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  const command_result no_table = run_command(std::string(ITERJSON_HTTP_SERVER) + " --port 0 --db " + path);
  CHECK(WEXITSTATUS(no_table.status) == 1);
  CHECK(no_table.output.find("no such table: orders") != std::string::npos);
  std::filesystem::remove_all(dir);
}
#endif

// --- /pg/rows: a PostgreSQL table, each row as it arrives ------------------------------------

#if ITERJSON_TEST_POSTGRES
namespace {

// The server of --pg, and its connection string with a name the tests find in
// pg_stat_activity; null (with a message) where PostgreSQL cannot start.
postgres_server* running_postgres() {
  postgres_server& server = shared_postgres();
  if (!server.running()) MESSAGE("PostgreSQL could not start, so this test is skipped: " << server.skip_reason());
  return server.running() ? &server : nullptr;
}

std::string demo_conninfo(const postgres_server& server) { return server.conninfo() + " application_name=iterjson_demo"; }

// One number that a query on `server` answers.
long long pg_count(const postgres_server& server, const char* sql) {
  const pg_connection c = connect_postgres(server);
  PGresult* result = PQexec(c.get(), sql);
  REQUIRE_MESSAGE(PQresultStatus(result) == PGRES_TUPLES_OK, PQresultErrorMessage(result));
  const long long count = std::stoll(PQgetvalue(result, 0, 0));
  PQclear(result);
  return count;
}

// The /pg/rows queries running on `server` now.
long long pg_queries_running(const postgres_server& server) {
  return pg_count(server,
                  "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT id, label%'");
}

}  // namespace

TEST_CASE("http_server: /pg/rows is the table's rows with their exact text, in every format") {
  postgres_server* pg = running_postgres();
  if (pg == nullptr) return;
  server_process server({"--pg", demo_conninfo(*pg)});
  CHECK(fetch_body(server.port(), "/pg/rows?limit=2&format=array") ==
        std::pair{chunked_head_close("application/json"),
                  std::string(R"([{"id":1,"label":"Łukasz #1","amount":79.19,"ratio":0.14285714285714285,"active":false,)"
                              R"("tags":{"even": false, "tier": 1},"created_at":"2024-01-01 00:01:00+00"},)"
                              R"({"id":2,"label":"東京 #2","amount":158.38,"ratio":0.2857142857142857,"active":false,)"
                              R"("tags":{"even": true, "tier": 2},"created_at":"2024-01-01 00:02:00+00"}])")});
  const std::string lines = fetch_body(server.port(), "/pg/rows?limit=1000&format=ndjson").second;
  CHECK(std::ranges::count(lines, '\n') == 1000);
  CHECK(nlohmann::json::parse(lines.substr(lines.rfind('\n', lines.size() - 2) + 1))["ratio"].is_null());  // id 1000
  CHECK(fetch_body(server.port(), "/pg/rows?limit=1&format=sse").second.starts_with("data: {\"id\":1,"));
  CHECK(exchange(server.port(), "GET /pg/rows?delay_ms=5000 HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("400 Bad Request", "/pg/rows: delay_ms must be from 0 to 1000\n", true));
  server_process without;
  CHECK(exchange(without.port(), "GET /pg/rows HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        text_response("404 Not Found", "/pg/rows is served when the server is started with --pg CONNINFO\n", true));
}

TEST_CASE("http_server: /pg/rows sends rows while the query runs, and /ping answers all the while") {
  postgres_server* pg = running_postgres();
  if (pg == nullptr) return;
  server_process server({"--pg", demo_conninfo(*pg)});
  client rows(server.port());
  client pinger(server.port());
  const auto start = steady::now();
  rows.send("GET /pg/rows?limit=200&delay_ms=10&format=ndjson HTTP/1.1\r\nConnection: close\r\n\r\n");
  std::string received;
  std::optional<milliseconds> first_row;
  milliseconds slowest_ping{0};
  int pings = 0;
  while (!received.ends_with("\r\n0\r\n\r\n") && steady::now() - start < wait_limit) {
    wait_for(rows.fd(), POLLIN, steady::now() + milliseconds(20));
    received += rows.read_available();
    if (!first_row && received.find("{\"id\":1,") != std::string::npos) {
      first_row = std::chrono::duration_cast<milliseconds>(steady::now() - start);
    }
    const auto sent = steady::now();
    pinger.send(ping_request);
    CHECK(pinger.read_at_least(pong.size()) == pong);
    slowest_ping = std::max(slowest_ping, std::chrono::duration_cast<milliseconds>(steady::now() - sent));
    ++pings;
  }
  const auto last_row = std::chrono::duration_cast<milliseconds>(steady::now() - start);
  REQUIRE(received.ends_with("\r\n0\r\n\r\n"));
  const std::string lines = decode_chunked_prefix(std::string_view(received).substr(received.find("\r\n\r\n") + 4));
  CHECK(std::ranges::count(lines, '\n') == 200);
  REQUIRE(first_row.has_value());
  MESSAGE("first row after " << first_row->count() << " ms, the last after " << last_row.count() << " ms; " << pings
                             << " pings, the slowest " << slowest_ping.count() << " ms");
  // 200 rows 10 ms apart: the server sends its output in 8 KiB pieces, about 55 rows here.
  CHECK(last_row >= milliseconds(1900));
  CHECK(*first_row * 2 < last_row);
  CHECK(slowest_ping < milliseconds(250));  // a few ms on an idle machine; bounded for a busy one
}

TEST_CASE("http_server: a /pg/rows client that leaves cancels the query; the connection serves the next; so does SIGTERM") {
  postgres_server* pg = running_postgres();
  if (pg == nullptr) return;
  server_process server({"--pg", demo_conninfo(*pg)});
  {
    client c(server.port());
    c.send("GET /pg/rows?limit=100000&delay_ms=10 HTTP/1.1\r\n\r\n");  // 1000 s of rows
    CHECK(c.read_until("{\"id\":1,").find("{\"id\":1,") != std::string::npos);
    REQUIRE(pg_queries_running(*pg) == 1);
    c.reset();
  }
  // The server meets the reset at its next write, a row or two later, and cancels.
  const auto deadline = steady::now() + wait_limit;
  while (pg_queries_running(*pg) != 0 && steady::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
  CHECK(pg_queries_running(*pg) == 0);
  CHECK(fetch_body(server.port(), "/pg/rows?limit=1&format=array").second.starts_with("[{\"id\":1,"));
  // Both queries ran on the one connection the server opened (at start, for the table).
  CHECK(pg_count(*pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'iterjson_demo'") == 1);
  check_still_serving(server);

  // SIGTERM mid-query: the server cancels it, and exits cleanly once it has ended.
  client c(server.port());
  c.send("GET /pg/rows?limit=100000&delay_ms=10 HTTP/1.1\r\n\r\n");
  CHECK(c.read_until("{\"id\":1,").find("{\"id\":1,") != std::string::npos);
  CHECK(server.stop() == 0);
  CHECK(pg_queries_running(*pg) == 0);
}

TEST_CASE("http_server: a PostgreSQL server that goes away mid-stream: the response ends without its last chunk") {
  postgres_server pg;  // a server of its own, to stop
  if (!pg.running()) {
    MESSAGE("PostgreSQL could not start, so this test is skipped: " << pg.skip_reason());
    return;
  }
  server_process server({"--pg", demo_conninfo(pg)});
  client c(server.port());
  c.send("GET /pg/rows?limit=100000&delay_ms=10 HTTP/1.1\r\n\r\n");
  std::string received = c.read_until("{\"id\":1,");
  pg.stop();
  const client::ending end = c.read_to_end_or_reset();
  received += end.text;
  CHECK(end.reset);
  CHECK(received.find("\r\n0\r\n\r\n") == std::string::npos);
  check_still_serving(server);
}
#endif
