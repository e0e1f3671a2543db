// An HTTP/1.1 server on libuv that streams large JSON responses without blocking its
// event loop: the demo of iterjson's driver and libuv adapter.
//
//   http_server [--port P] [--oneshot] [--feed-interval-ms MS] [--session-timeout-ms MS]
//               [--max-sessions N] [--idle-timeout-ms MS]
//
//   GET /numbers?length=N  the array [0,1,...,N-1] from a lazy range, never materialized,
//                          in HTTP chunks of 16 KiB; N at most 10^12
//   GET /primes            lines {"n":1,"prime":2} from an endless generator, until the
//                          client disconnects
//   GET /feed              rows {"seq":0,"time_ms":T} made by a timer, one every
//                          --feed-interval-ms (100 by default), the first at once, each
//                          sent as it is made; T is the Unix time in milliseconds.
//                          ?count=N ends the feed after N rows; without, it ends when the
//                          client disconnects
//                          /primes and /feed take ?format=: ndjson (the default,
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
//
// --port 0 picks a free port; the server prints `listening on 127.0.0.1:PORT` when ready.
// --oneshot is the blocking baseline: /numbers is serialized whole with to_string, then
// written; above max_oneshot_length numbers it answers 400 instead.
//
// Connections are kept alive; requests on one are answered in order, and the server
// reads no more of a connection while it answers it, so what a client sends meanwhile
// waits in the kernel, not in the server. (So a client that leaves a stream is noticed
// when a write to it fails: for /feed, at the next row or the one after.) A client that
// half-closes after its requests still gets every answer. HTTP/1.0 requests are answered
// with Connection: close, and a streamed body, which HTTP/1.0 cannot chunk, ends where
// the connection does. A response cut short ends with a reset connection, so that it
// cannot pass for complete. A request head, blank line included, is at most 16 KiB (431
// above), and one with a NUL byte is malformed (400). SIGINT and SIGTERM stop the server
// cleanly.
//
// --idle-timeout-ms (60000) cuts a connection on which nothing moved for that long while
// it waited on its client: no request byte came while the server waited for a request,
// or no write of a response completed while bytes of it waited for the client to take
// them. A stream under way is cut with a reset, and counts as failed. A stream that waits
// for its own source with everything written, /feed between rows, waits on the server,
// not the client, so it is never idle however long --feed-interval-ms is; a client that
// falls behind it is. A write completes once all its bytes reached the kernel, at most the
// driver's 64 KiB high-water mark, so a client must also take about 64 KiB per timeout,
// 1 KiB/s by default. A client that trickles a request head byte by byte keeps its
// connection, up to the 16 KiB head limit. Long-poll sessions outlive their connections:
// the default is twice --session-timeout-ms, so a client that polls often enough to keep
// its session keeps its connection too. The connections are checked by one timer, four
// times per timeout: one is cut between one and one and a quarter timeouts after its
// last movement.

#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <iterjson/adapters/libuv.hpp>
#include <iterjson/driver.hpp>
#include <iterjson/framing.hpp>
#include <iterjson/iterjson.hpp>

#include "number_sequence.hpp"

namespace {

// --- what is served ------------------------------------------------------------------

// A line of /primes: the nth prime.
struct prime_line {
  std::uint64_t n;
  std::uint64_t prime;
};

// Whether one of `divisors`, the primes in order, divides `number`; they must reach its
// square root.
bool has_divisor(const std::vector<std::uint64_t>& divisors, std::uint64_t number) {
  for (const std::uint64_t p : divisors) {
    if (p * p > number) return false;
    if (number % p == 0) return true;
  }
  return false;
}

// The primes, in order, without end: each found by trial division when the encoder asks
// for the next line. Only the divisors that takes are kept, the primes up to the square
// root of the candidate or just past it: memory grows with the root of the last prime
// written, not with the stream.
iterjson::generator<prime_line> prime_lines() {
  std::vector<std::uint64_t> divisors{2};
  co_yield {1, 2};
  for (std::uint64_t n = 2, candidate = 3;; ++candidate) {
    while (divisors.back() * divisors.back() < candidate) {
      // The prime after the largest divisor is below twice that divisor (Bertrand's
      // postulate), so the divisors it is tried with are all there already.
      std::uint64_t next = divisors.back() + 1;
      while (has_divisor(divisors, next)) ++next;
      divisors.push_back(next);
    }
    if (!has_divisor(divisors, candidate)) co_yield {n++, candidate};
  }
}

// A row of /feed.
struct feed_row {
  std::uint64_t seq;     // 0, 1, 2, ...
  std::int64_t time_ms;  // when it was made, in milliseconds since the Unix epoch
};

// The answer to /longpoll/start.
struct session_created {
  std::string session;
};

struct server_stats {
  std::uint64_t max_loop_stall_us = 0;
  std::uint64_t streams_started = 0;
  std::uint64_t streams_completed = 0;
  std::uint64_t streams_failed = 0;
  std::uint64_t rss_kib = 0;
  std::uint64_t peak_rss_kib = 0;
  std::uint64_t feeds_active = 0;  // /feed timers not yet freed
  std::uint64_t longpoll_sessions = 0;
  std::uint64_t connections = 0;        // open now, the one asking included
  std::uint64_t idle_cut = 0;           // connections cut by --idle-timeout-ms
  std::uint64_t stream_bytes_held = 0;  // by all stream drivers now, each at most its high-water mark
};

}  // namespace

ITERJSON_FIELDS(prime_line, n, prime);
ITERJSON_FIELDS(feed_row, seq, time_ms);
ITERJSON_FIELDS(session_created, session);
ITERJSON_FIELDS(server_stats, max_loop_stall_us, streams_started, streams_completed, streams_failed, rss_kib,
                peak_rss_kib, feeds_active, longpoll_sessions, connections, idle_cut, stream_bytes_held);

namespace {

// VmRSS and VmHWM of this process, in KiB.
void read_memory(server_stats& stats) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) stats.rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
    if (line.starts_with("VmHWM:")) stats.peak_rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
}

// --- /feed: rows made over time ------------------------------------------------------------

std::int64_t unix_time_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The most rows a feed holds that its stream has not taken yet. A client too slow for the
// feed holds the timer back too, as it holds back the stream: rows come later, and the
// server's memory does not grow.
constexpr std::size_t max_feed_backlog = 1024;

// The rows of one /feed response, as a source its encoder polls: a libuv timer pushes a
// row into a channel every interval, and the stream waits on the channel in between; no
// thread, no polling. The encoder owns this source, so the timer lives as long as the
// stream and no longer: whether the count is reached, the client goes or the server
// stops, the driver drops the encoder, and with it the timer.
class feed_rows {
 public:
  // A row every `interval_ms`, the first at once: `count` of them, or without end.
  // `live_feeds` counts the feeds whose timer is not freed yet.
  feed_rows(uv_loop_t* loop, std::uint64_t interval_ms, std::optional<std::uint64_t> count, std::uint64_t& live_feeds)
      : ticker_(new ticker) {
    uv_timer_init(loop, &ticker_->timer);
    ticker_->timer.data = ticker_.get();
    ticker_->count = count;
    ticker_->live_feeds = &live_feeds;
    ++live_feeds;
    if (count == std::uint64_t{0}) {
      ticker_->rows.close();
    } else {
      uv_timer_start(&ticker_->timer, &on_tick, 0, interval_ms);
    }
  }

  iterjson::poll_result<feed_row> poll(const iterjson::waker& w) {
    if (ticker_->failure) std::rethrow_exception(ticker_->failure);
    return ticker_->rows.poll(w);
  }

 private:
  // The timer, and the channel it pushes into. Freed once libuv has closed the timer.
  struct ticker {
    uv_timer_t timer{};
    iterjson::channel<feed_row> rows;
    std::uint64_t made = 0;
    std::optional<std::uint64_t> count;
    std::uint64_t* live_feeds = nullptr;
    std::exception_ptr failure;  // what stopped the timer, to end the stream with
  };

  struct close_ticker {
    void operator()(ticker* t) const noexcept {
      uv_close(reinterpret_cast<uv_handle_t*>(&t->timer), [](uv_handle_t* handle) {
        auto* closed = static_cast<ticker*>(handle->data);
        --*closed->live_feeds;
        delete closed;
      });
    }
  };

  static void on_tick(uv_timer_t* timer) {
    ticker& t = *static_cast<ticker*>(timer->data);
    if (t.rows.size() >= max_feed_backlog) return;
    try {
      t.rows.push({t.made, unix_time_ms()});  // wakes the stream if it waits
    } catch (...) {  // no exception may leave a libuv callback: the stream fails with it
      t.failure = std::current_exception();
      uv_timer_stop(timer);
      t.rows.close();
      return;
    }
    if (++t.made == t.count) {
      uv_timer_stop(timer);
      t.rows.close();  // the stream ends once the rows pushed are written
    }
  }

  std::unique_ptr<ticker, close_ticker> ticker_;
};

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

// --- long-poll sessions ---------------------------------------------------------------------

// The documents of long-poll clients, each a paused encoder that every poll resumes for
// one more piece: CherryPy's json_yield, with the generator kept on the server. Sessions
// are keyed by 128 bits from std::random_device, evicted by a timer once not polled for
// `timeout_ms`, and at most `max_sessions` at once.
class session_store {
 public:
  session_store(uv_loop_t* loop, std::uint64_t timeout_ms, std::size_t max_sessions)
      : loop_(loop), timeout_ms_(timeout_ms), max_sessions_(max_sessions) {
    uv_timer_init(loop, &sweep_timer_);
    sweep_timer_.data = this;
  }

  session_store(const session_store&) = delete;
  session_store& operator=(const session_store&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return sessions_.size(); }
  [[nodiscard]] std::size_t max_sessions() const noexcept { return max_sessions_; }
  [[nodiscard]] bool full() const noexcept { return sessions_.size() >= max_sessions_; }

  // A new session whose document is `text`; its key. Only when not full().
  std::string open(iterjson::encoder text) {
    std::string key = new_key();
    sessions_.emplace(key, session{std::move(text), uv_now(loop_)});
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&sweep_timer_))) {
      // An idle session goes between one and one and a half timeouts after its last poll.
      const std::uint64_t period = std::max<std::uint64_t>(timeout_ms_ / 2, 1);
      uv_timer_start(&sweep_timer_, &on_sweep, period, period);
    }
    return key;
  }

  // The document of session `key`, polled now; null if the key is unknown or expired.
  iterjson::encoder* find(std::string_view key) {
    const auto found = sessions_.find(key);
    if (found == sessions_.end()) return nullptr;
    const std::uint64_t now = uv_now(loop_);
    if (expired(found->second, now)) {  // the sweep has not come yet
      sessions_.erase(found);
      return nullptr;
    }
    found->second.last_poll_ms = now;
    return &found->second.text;
  }

  void erase(std::string_view key) {
    if (const auto found = sessions_.find(key); found != sessions_.end()) sessions_.erase(found);
  }

  // At shutdown: the timer's handle.
  void close() noexcept { uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr); }

 private:
  struct session {
    iterjson::encoder text;
    std::uint64_t last_poll_ms;  // loop time
  };

  [[nodiscard]] bool expired(const session& s, std::uint64_t now) const noexcept {
    return now - s.last_poll_ms >= timeout_ms_;
  }

  static void on_sweep(uv_timer_t* timer) {
    auto& self = *static_cast<session_store*>(timer->data);
    const std::uint64_t now = uv_now(self.loop_);
    std::erase_if(self.sessions_, [&](const auto& entry) { return self.expired(entry.second, now); });
    if (self.sessions_.empty()) uv_timer_stop(timer);
  }

  // 32 hex digits of std::random_device (the kernel's generator on Linux), which a client
  // cannot predict from the keys it was given, as it could a seeded std::mt19937's.
  std::string new_key() {
    std::string key(32, '0');
    do {
      for (std::size_t word = 0; word != 4; ++word) {
        std::uint32_t bits = static_cast<std::uint32_t>(entropy_());
        for (std::size_t digit = 8; digit-- != 0; bits >>= 4) key[word * 8 + digit] = "0123456789abcdef"[bits & 0xf];
      }
    } while (sessions_.contains(key));
    return key;
  }

  uv_loop_t* loop_;
  std::uint64_t timeout_ms_;
  std::size_t max_sessions_;
  uv_timer_t sweep_timer_{};
  std::map<std::string, session, std::less<>> sessions_;
  std::random_device entropy_;
};

// --- requests --------------------------------------------------------------------------

struct request {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  bool keep_alive = true;
  bool http_1_0 = false;  // no chunked encoding, no keep-alive
  bool has_body = false;
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i != a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Parses a request head (up to and without the blank line); nothing if malformed. A NUL
// byte makes it malformed wherever it is: RFC 9112 (section 5.5) lets a server reject one
// in a field value, and in a request line it has no place at all.
std::optional<request> parse_request(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return std::nullopt;
  request r;
  const std::size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t space1 = line.find(' ');
  const std::size_t space2 = line.rfind(' ');
  if (space1 == std::string_view::npos || space2 == space1) return std::nullopt;
  r.method = line.substr(0, space1);
  const std::string_view target = line.substr(space1 + 1, space2 - space1 - 1);
  const std::string_view version = line.substr(space2 + 1);
  if (target.empty() || target[0] != '/' || !version.starts_with("HTTP/1.")) return std::nullopt;
  r.http_1_0 = version == "HTTP/1.0";
  r.keep_alive = !r.http_1_0;
  const std::size_t question = target.find('?');
  r.path = target.substr(0, question);
  if (question != std::string_view::npos) r.query = target.substr(question + 1);
  std::string_view headers = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!headers.empty()) {
    const std::size_t end = headers.find("\r\n");
    const std::string_view header = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 2);
    const std::size_t colon = header.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = header.substr(0, colon);
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (equal_ignoring_case(name, "connection") && !r.http_1_0) r.keep_alive = !equal_ignoring_case(value, "close");
    if (equal_ignoring_case(name, "transfer-encoding") || (equal_ignoring_case(name, "content-length") && value != "0")) {
      r.has_body = true;
    }
  }
  return r;
}

// The value of `name` in a query string, if present.
std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::optional<long long> parse_length(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0 || value > 1'000'000'000'000) {
    return std::nullopt;
  }
  return value;
}

// The format `?format=` asks for, NDJSON if none; null if it names none.
const format_spec* requested_format(std::string_view query) {
  const std::optional<std::string_view> name = query_parameter(query, "format");
  if (!name) return &stream_formats[0];
  for (const format_spec& format : stream_formats) {
    if (format.name == *name) return &format;
  }
  return nullptr;
}

// A response head. A body of known size has a Content-Length. A streamed body is chunked,
// or, for HTTP/1.0, which has no chunked encoding (RFC 9112, section 6.1), ends where the
// connection does. `extra_headers` are lines, each ended by CRLF.
std::string response_head(std::string_view status, std::string_view content_type, bool keep_alive,
                          std::optional<std::size_t> content_length, bool chunked = true,
                          std::string_view extra_headers = {}) {
  std::string head = "HTTP/1.1 ";
  head += status;
  head += "\r\nContent-Type: ";
  head += content_type;
  if (content_length) {
    head += "\r\nContent-Length: ";
    head += std::to_string(*content_length);
  } else if (chunked) {
    head += "\r\nTransfer-Encoding: chunked";
  }
  head += "\r\n";
  head += extra_headers;
  if (!keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

// --- the server --------------------------------------------------------------------------

constexpr std::size_t max_request_head = 16 * 1024;

// The longest /numbers that --oneshot serializes: about 420 MiB of text. Above it the
// answer is 400, not an allocation that could fail.
constexpr long long max_oneshot_length = 50'000'000;

// The most text one /longpoll/next answers with.
constexpr std::size_t longpoll_piece_size = 64 * 1024;

struct settings {
  int port = 8080;
  bool oneshot = false;
  std::uint64_t feed_interval_ms = 100;
  std::uint64_t session_timeout_ms = 30'000;
  std::size_t max_sessions = 1000;
  std::uint64_t idle_timeout_ms = 60'000;
};

class server;

// One client connection: reads requests, answers them one at a time. It reads only while
// no answer is under way, so it holds at most one request head and one read's bytes.
class connection {
 public:
  explicit connection(server& owner) : server_(owner) {}

  void accept(uv_stream_t* listener);
  void close() noexcept;
  void sweep_idle(std::uint64_t now, std::uint64_t timeout_ms) noexcept;
  [[nodiscard]] std::size_t stream_bytes_held() const noexcept;

 private:
  static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buffer);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*);
  static void on_raw_written(uv_write_t* write, int status);

  // Runs `work` from a libuv callback, which is C: no exception may leave it. One that
  // escapes ends the response under way with a 500, or, if bytes of it went out already,
  // the connection.
  template <class Work>
  void guarded(Work&& work) noexcept {
    try {
      std::forward<Work>(work)();
    } catch (const std::exception& e) {
      on_exception(e.what());
    } catch (...) {
      on_exception("unknown exception");
    }
  }
  void on_exception(const char* what) noexcept;

  void take(ssize_t nread, const char* bytes);
  void set_reading(bool on);
  void answer_next();
  void begin_response();
  void answer(const request& r);
  void answer_numbers(const request& r);
  void answer_primes(const request& r);
  void answer_feed(const request& r);
  void start_longpoll(const request& r);
  void continue_longpoll(const request& r);
  void refuse_format(const request& r);
  void stream_json(iterjson::encoder text, std::string_view content_type, const request& r);
  void stream_ended(const iterjson::stream_end& end, bool keep_alive);
  void send_text(std::string_view status, std::string body, bool keep_alive);
  void send_raw(std::string head, std::string body, bool keep_alive);
  void response_done(bool keep_alive);
  void abort() noexcept;
  [[nodiscard]] std::uint64_t bytes_moved() const noexcept;
  [[nodiscard]] bool waiting_on_client() const noexcept;
  void cut_idle();

  server& server_;
  uv_tcp_t tcp_{};
  // Made for the first streamed response, chunked unless that one is for HTTP/1.0.
  std::unique_ptr<iterjson::libuv_stream> stream_;
  std::string received_;
  bool reading_ = false;
  bool peer_ended_ = false;  // the client closed its side: it sends no more requests
  bool responding_ = false;
  bool response_sent_ = false;  // bytes of the response under way were handed to libuv
  bool closing_ = false;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t raw_bytes_written_ = 0;  // of the responses written whole, once written
  // What the idle sweep saw last: bytes_moved(), and since when (loop time) it has not
  // changed while the connection waited on its client.
  std::uint64_t moved_at_sweep_ = 0;
  std::uint64_t quiet_since_ms_ = 0;

  // A response written whole, not streamed: kept until libuv has written it.
  struct raw_write {
    uv_write_t request;
    connection* owner;
    std::string head;
    std::string body;
    bool keep_alive;
  };
};

class server {
 public:
  server(uv_loop_t* loop, const settings& s)
      : loop_(loop),
        oneshot_(s.oneshot),
        feed_interval_ms_(s.feed_interval_ms),
        idle_timeout_ms_(s.idle_timeout_ms),
        sessions_(loop, s.session_timeout_ms, s.max_sessions) {}

  int listen(int port) {
    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", port, &address);
    if (const int status = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0); status < 0) {
      return status;
    }
    if (const int status = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, &on_connection); status < 0) {
      return status;
    }
    int size = sizeof address;
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&address), &size);
    std::printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
    std::fflush(stdout);

    uv_timer_init(loop_, &stall_timer_);
    stall_timer_.data = this;
    last_tick_ = uv_hrtime();
    uv_timer_start(&stall_timer_, &on_stall_tick, 1, 1);
    uv_timer_init(loop_, &idle_timer_);
    idle_timer_.data = this;
    const std::uint64_t sweep_period = std::max<std::uint64_t>(idle_timeout_ms_ / 4, 1);
    uv_timer_start(&idle_timer_, &on_idle_sweep, sweep_period, sweep_period);
    for (uv_signal_t* signal : {&sigint_, &sigterm_}) {
      uv_signal_init(loop_, signal);
      signal->data = this;
    }
    uv_signal_start(&sigint_, &on_signal, SIGINT);
    uv_signal_start(&sigterm_, &on_signal, SIGTERM);
    return 0;
  }

  [[nodiscard]] bool oneshot() const { return oneshot_; }
  [[nodiscard]] uv_loop_t* loop() const { return loop_; }
  [[nodiscard]] std::uint64_t feed_interval_ms() const { return feed_interval_ms_; }
  server_stats& stats() { return stats_; }
  session_store& sessions() { return sessions_; }
  // Where every connection reads into: each copies what it read out at once, so one
  // buffer serves them all, and a connection costs no 64 KiB of its own.
  [[nodiscard]] std::span<char> read_buffer() noexcept { return read_buffer_; }

  // The figures of /stats; the stall maximum starts again.
  std::string stats_json() {
    read_memory(stats_);
    stats_.longpoll_sessions = sessions_.size();
    stats_.connections = connections_.size();
    stats_.stream_bytes_held = 0;
    for (const connection* c : connections_) stats_.stream_bytes_held += c->stream_bytes_held();
    std::string json = iterjson::to_string(stats_);
    stats_.max_loop_stall_us = 0;
    return json;
  }

  void forget(connection* c) noexcept { connections_.erase(c); }

 private:
  static void on_connection(uv_stream_t* listener, int status) {
    auto& self = *static_cast<server*>(listener->data);
    if (status < 0) return;
    connection* c = nullptr;
    try {
      c = new connection(self);
      self.connections_.insert(c);
    } catch (const std::exception& e) {  // no exception may leave a libuv callback
      delete c;
      std::fprintf(stderr, "http_server: cannot take a connection: %s\n", e.what());
      return;
    }
    c->accept(listener);
  }

  // A 1 ms timer: how late it fires is how long the loop was busy elsewhere.
  static void on_stall_tick(uv_timer_t* timer) {
    auto& self = *static_cast<server*>(timer->data);
    const std::uint64_t now = uv_hrtime();
    const std::uint64_t gap_us = (now - self.last_tick_) / 1000;
    if (gap_us > 1000) self.stats_.max_loop_stall_us = std::max(self.stats_.max_loop_stall_us, gap_us - 1000);
    self.last_tick_ = now;
  }

  static void on_idle_sweep(uv_timer_t* timer) {
    auto& self = *static_cast<server*>(timer->data);
    const std::uint64_t now = uv_now(self.loop_);
    for (auto next = self.connections_.begin(); next != self.connections_.end();) {
      connection* c = *next++;  // one that is cut forgets itself, before the next is reached
      c->sweep_idle(now, self.idle_timeout_ms_);
    }
  }

  static void on_signal(uv_signal_t* signal, int) {
    auto& self = *static_cast<server*>(signal->data);
    while (!self.connections_.empty()) (*self.connections_.begin())->close();  // each forgets itself
    for (uv_handle_t* handle : {reinterpret_cast<uv_handle_t*>(&self.listener_),
                                reinterpret_cast<uv_handle_t*>(&self.stall_timer_),
                                reinterpret_cast<uv_handle_t*>(&self.idle_timer_),
                                reinterpret_cast<uv_handle_t*>(&self.sigint_),
                                reinterpret_cast<uv_handle_t*>(&self.sigterm_)}) {
      uv_close(handle, nullptr);
    }
    self.sessions_.close();
  }

  uv_loop_t* loop_;
  bool oneshot_;
  std::uint64_t feed_interval_ms_;
  std::uint64_t idle_timeout_ms_;
  session_store sessions_;
  uv_tcp_t listener_{};
  uv_timer_t stall_timer_{};
  uv_timer_t idle_timer_{};
  uv_signal_t sigint_{};
  uv_signal_t sigterm_{};
  std::uint64_t last_tick_ = 0;
  server_stats stats_;
  std::set<connection*> connections_;
  std::vector<char> read_buffer_ = std::vector<char>(64 * 1024);
};

void connection::accept(uv_stream_t* listener) {
  uv_tcp_init(server_.loop(), &tcp_);
  tcp_.data = this;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) return close();
  quiet_since_ms_ = uv_now(server_.loop());
  set_reading(true);
}

void connection::close() noexcept {
  if (closing_) return;
  closing_ = true;
  server_.forget(this);
  if (stream_) return stream_->close([this] { delete this; });
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) { delete static_cast<connection*>(h->data); });
}

// Closes with a reset rather than a FIN: the client cannot take a response cut short,
// even a body that ends with the connection, for a complete one.
void connection::abort() noexcept {
  uv_os_fd_t fd{};
  if (!closing_ && uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0) {
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  close();
}

// Whether bytes moved is sampled at each sweep, so a connection is cut no sooner than
// `timeout_ms` after its last movement, and at most a sweep period later.
void connection::sweep_idle(std::uint64_t now, std::uint64_t timeout_ms) noexcept {
  const std::uint64_t moved = bytes_moved();
  if (moved != moved_at_sweep_ || !waiting_on_client()) {
    moved_at_sweep_ = moved;
    quiet_since_ms_ = now;
  } else if (now - quiet_since_ms_ >= timeout_ms) {
    guarded([&] { cut_idle(); });
  }
}

std::size_t connection::stream_bytes_held() const noexcept {
  return stream_ ? stream_->driver().stats().bytes_held : 0;
}

// Request bytes read, and response bytes whose write completed.
std::uint64_t connection::bytes_moved() const noexcept {
  return bytes_read_ + raw_bytes_written_ + (stream_ ? stream_->driver().stats().bytes_written : 0);
}

// Waiting for a request, or with response bytes in libuv's queue that the kernel has no
// room for until the client reads. A stream that waits for its source with nothing
// queued, or one being produced, waits on the server.
bool connection::waiting_on_client() const noexcept {
  return !responding_ || uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_)) != 0;
}

// A stream under way fails with timed_out, and its end aborts the connection; a response
// written whole is cut with a reset too; between requests the connection just closes.
void connection::cut_idle() {
  ++server_.stats().idle_cut;
  if (stream_ && stream_->driver().active()) {
    return stream_->driver().on_peer_error(std::make_error_code(std::errc::timed_out));
  }
  if (responding_) return abort();
  close();
}

void connection::on_exception(const char* what) noexcept {
  std::fprintf(stderr, "http_server: %s\n", what);
  if (closing_) return;
  if (!responding_ || response_sent_) return abort();
  try {
    send_text("500 Internal Server Error", "internal error\n", false);
  } catch (...) {
    abort();
  }
}

void connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
  const std::span<char> shared = static_cast<connection*>(handle->data)->server_.read_buffer();
  *buffer = uv_buf_init(shared.data(), static_cast<unsigned>(shared.size()));
}

void connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  auto& self = *static_cast<connection*>(stream->data);
  self.guarded([&] { self.take(nread, buffer->base); });
}

void connection::take(ssize_t nread, const char* bytes) {
  if (nread == UV_EOF) {  // a half-close: the requests received are still answered
    peer_ended_ = true;
    set_reading(false);
    if (!responding_) answer_next();
    return;
  }
  if (nread < 0) {  // the client went away
    if (stream_ && stream_->driver().active()) {
      return stream_->driver().on_peer_error(iterjson::libuv_error(static_cast<int>(nread)));
    }
    return close();
  }
  bytes_read_ += static_cast<std::uint64_t>(nread);
  received_.append(bytes, static_cast<std::size_t>(nread));
  if (!responding_) answer_next();
}

void connection::set_reading(bool on) {
  if (on == reading_ || closing_) return;
  reading_ = on;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (!on) {
    uv_read_stop(stream);
  } else if (uv_read_start(stream, &on_alloc, &on_read) < 0) {
    close();
  }
}

// Answers the next complete request received, if any; else reads on, or closes once the
// client sends no more.
void connection::answer_next() {
  const std::size_t head_end = received_.find("\r\n\r\n");
  // The limit holds however the head arrived: whole in one read, or still coming.
  const std::size_t head_size = head_end == std::string::npos ? received_.size() : head_end + 4;
  if (head_size > max_request_head) {
    begin_response();
    return send_raw(response_head("431 Request Header Fields Too Large", "text/plain", false, 0), {}, false);
  }
  if (head_end == std::string::npos) {
    if (peer_ended_) return close();
    return set_reading(true);
  }
  begin_response();
  const std::optional<request> r = parse_request(std::string_view(received_).substr(0, head_end));
  if (!r || r->has_body) return send_text("400 Bad Request", "bad request\n", false);
  const request copy = *r;  // its views point into received_, which answer() may not outlive
  const std::string path(copy.path), query(copy.query), method(copy.method);
  received_.erase(0, head_end + 4);
  answer({method, path, query, copy.keep_alive, copy.http_1_0, false});
}

// Until the response ends, what the client sends stays in the kernel.
void connection::begin_response() {
  set_reading(false);
  responding_ = true;
  response_sent_ = false;
}

void connection::answer(const request& r) {
  if (r.method != "GET") return send_text("405 Method Not Allowed", "only GET is served\n", r.keep_alive);
  if (r.path == "/ping") return send_text("200 OK", "pong", r.keep_alive);
  if (r.path == "/stats") {
    std::string body = server_.stats_json();
    std::string head = response_head("200 OK", "application/json", r.keep_alive, body.size());
    return send_raw(std::move(head), std::move(body), r.keep_alive);
  }
  if (r.path == "/numbers") return answer_numbers(r);
  if (r.path == "/primes") return answer_primes(r);
  if (r.path == "/feed") return answer_feed(r);
  if (r.path == "/longpoll/start") return start_longpoll(r);
  if (r.path == "/longpoll/next") return continue_longpoll(r);
  send_text("404 Not Found", "not found\n", r.keep_alive);
}

void connection::answer_primes(const request& r) {
  const format_spec* format = requested_format(r.query);
  if (!format) return refuse_format(r);
  stream_json(encode_in(format->format, prime_lines()), format->content_type, r);
}

void connection::answer_feed(const request& r) {
  const format_spec* format = requested_format(r.query);
  if (!format) return refuse_format(r);
  std::optional<std::uint64_t> count;
  if (const std::optional<std::string_view> text = query_parameter(r.query, "count")) {
    const std::optional<long long> n = parse_length(*text);
    if (!n) return send_text("400 Bad Request", "/feed: count must be a number from 0 to 10^12\n", r.keep_alive);
    count = static_cast<std::uint64_t>(*n);
  }
  feed_rows rows(server_.loop(), server_.feed_interval_ms(), count, server_.stats().feeds_active);
  stream_json(encode_in(format->format, std::move(rows)), format->content_type, r);
}

void connection::refuse_format(const request& r) {
  send_text("400 Bad Request", std::string(r.path) + ": format must be ndjson, sse, json-seq or array\n",
            r.keep_alive);
}

void connection::start_longpoll(const request& r) {
  const std::optional<std::string_view> text = query_parameter(r.query, "length");
  const std::optional<long long> length = text ? parse_length(*text) : std::nullopt;
  if (!length) return send_text("400 Bad Request", "/longpoll/start needs ?length=N, N from 0 to 10^12\n", r.keep_alive);
  session_store& sessions = server_.sessions();
  if (sessions.full()) {
    return send_text("503 Service Unavailable",
                     "too many long-poll sessions: at most " + std::to_string(sessions.max_sessions()) +
                         " at once; try again later\n",
                     r.keep_alive);
  }
  const std::string key = sessions.open(iterjson::encoder(examples::number_sequence(*length)));
  std::string body = iterjson::to_string(session_created{key});
  std::string head = response_head("201 Created", "application/json", r.keep_alive, body.size(), true,
                                   "Cache-Control: no-store\r\nLocation: /longpoll/next?session=" + key + "\r\n");
  send_raw(std::move(head), std::move(body), r.keep_alive);
}

// The next piece of a session's text. The last one ends the session; so does a failure,
// so that a later poll cannot take what is left for the whole text.
void connection::continue_longpoll(const request& r) {
  const std::optional<std::string_view> key = query_parameter(r.query, "session");
  if (!key || key->empty()) {
    return send_text("400 Bad Request", "/longpoll/next needs ?session=KEY, the key /longpoll/start gave\n",
                     r.keep_alive);
  }
  session_store& sessions = server_.sessions();
  iterjson::encoder* text = sessions.find(*key);
  if (!text) {
    return send_text("404 Not Found", "unknown or expired session: start again with /longpoll/start\n", r.keep_alive);
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
  std::string head = response_head("200 OK", "application/octet-stream", r.keep_alive, piece.size(), true,
                                   done ? "Cache-Control: no-store\r\nX-Iterjson-Done: true\r\n"
                                        : "Cache-Control: no-store\r\nX-Iterjson-Done: false\r\n");
  send_raw(std::move(head), std::move(piece), r.keep_alive);
}

void connection::answer_numbers(const request& r) {
  const std::optional<std::string_view> text = query_parameter(r.query, "length");
  const std::optional<long long> length = text ? parse_length(*text) : std::nullopt;
  if (!length) return send_text("400 Bad Request", "/numbers needs ?length=N, N from 0 to 10^12\n", false);
  const examples::number_sequence numbers(*length);
  if (!server_.oneshot()) return stream_json(iterjson::encoder(numbers), "application/json", r);
  if (*length > max_oneshot_length) {
    return send_text("400 Bad Request",
                     "--oneshot serializes /numbers whole: length at most " + std::to_string(max_oneshot_length) + "\n",
                     r.keep_alive);
  }
  std::string body = iterjson::to_string(numbers);  // the blocking baseline: all at once
  std::string head = response_head("200 OK", "application/json", r.keep_alive, body.size());
  send_raw(std::move(head), std::move(body), r.keep_alive);
}

void connection::stream_json(iterjson::encoder text, std::string_view content_type, const request& r) {
  const auto framing = r.http_1_0 ? iterjson::transfer_framing::none : iterjson::transfer_framing::http_chunked;
  if (!stream_) {
    stream_ = std::make_unique<iterjson::libuv_stream>(reinterpret_cast<uv_stream_t*>(&tcp_),
                                                       iterjson::stream_options{.framing = framing});
  } else if (stream_->driver().options().framing != framing) {
    // An HTTP/1.0 request after streamed HTTP/1.1 answers: this connection's driver chunks.
    return send_text("505 HTTP Version Not Supported",
                     "HTTP/1.0 after HTTP/1.1 on one connection is not streamed: use a new connection\n", false);
  }
  ++server_.stats().streams_started;
  const bool keep_alive = r.keep_alive;
  stream_->driver().start(
      std::move(text),
      [this, keep_alive](const iterjson::stream_end& end) { guarded([&] { stream_ended(end, keep_alive); }); },
      response_head("200 OK", content_type, keep_alive, std::nullopt, !r.http_1_0));
  response_sent_ = true;
}

void connection::stream_ended(const iterjson::stream_end& end, bool keep_alive) {
  if (!end.ok()) {
    ++server_.stats().streams_failed;
    // A disconnect is the normal end of /primes; anything else is worth a line.
    if (end.error == iterjson::stream_errc::encode_failed) std::fprintf(stderr, "stream failed: %s\n", end.message().c_str());
    return abort();
  }
  ++server_.stats().streams_completed;
  response_done(keep_alive);
}

void connection::send_text(std::string_view status, std::string body, bool keep_alive) {
  std::string head = response_head(status, "text/plain", keep_alive, body.size());
  send_raw(std::move(head), std::move(body), keep_alive);
}

void connection::send_raw(std::string head, std::string body, bool keep_alive) {
  auto write = std::make_unique<raw_write>(raw_write{{}, this, std::move(head), std::move(body), keep_alive});
  uv_buf_t buffers[] = {uv_buf_init(write->head.data(), static_cast<unsigned>(write->head.size())),
                        uv_buf_init(write->body.data(), static_cast<unsigned>(write->body.size()))};
  write->request.data = write.get();
  if (uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&tcp_), buffers, 2, &on_raw_written) < 0) return close();
  write.release();  // libuv's until on_raw_written
  response_sent_ = true;
}

void connection::on_raw_written(uv_write_t* request, int status) {
  const std::unique_ptr<raw_write> write(static_cast<raw_write*>(request->data));
  connection& self = *write->owner;
  if (status < 0) return self.close();
  self.raw_bytes_written_ += write->head.size() + write->body.size();
  self.guarded([&] { self.response_done(write->keep_alive); });
}

void connection::response_done(bool keep_alive) {
  responding_ = false;
  if (!keep_alive) return close();
  answer_next();
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "http_server: %s\nusage: http_server [--port P] [--oneshot] [--feed-interval-ms MS] "
               "[--session-timeout-ms MS] [--max-sessions N] [--idle-timeout-ms MS]\n",
               problem.c_str());
  std::exit(2);
}

// The value of the flag argv[i], a number from `least` to `most`; i moves past it.
std::uint64_t flag_number(int argc, char** argv, int& i, std::uint64_t least, std::uint64_t most) {
  const std::string flag = argv[i];
  if (i + 1 == argc) usage(flag + " needs a value");
  const std::string_view value = argv[++i];
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc{} || end != value.data() + value.size() || number < least || number > most) {
    usage(flag + " needs a number from " + std::to_string(least) + " to " + std::to_string(most));
  }
  return number;
}

settings parse_arguments(int argc, char** argv) {
  constexpr std::uint64_t day_ms = 24 * 3600 * 1000;
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--oneshot") {
      s.oneshot = true;
    } else if (flag == "--port") {
      s.port = static_cast<int>(flag_number(argc, argv, i, 0, 65535));
    } else if (flag == "--feed-interval-ms") {
      s.feed_interval_ms = flag_number(argc, argv, i, 1, day_ms);
    } else if (flag == "--session-timeout-ms") {
      s.session_timeout_ms = flag_number(argc, argv, i, 1, day_ms);
    } else if (flag == "--max-sessions") {
      s.max_sessions = static_cast<std::size_t>(flag_number(argc, argv, i, 0, 1'000'000));
    } else if (flag == "--idle-timeout-ms") {
      s.idle_timeout_ms = flag_number(argc, argv, i, 1, day_ms);
    } else {
      usage("unknown argument " + std::string(flag));
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_arguments(argc, argv);
  // libuv writes with writev: a client gone must be EPIPE for the stream, not the end of
  // the process.
  std::signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  server http(loop, s);
  if (const int status = http.listen(s.port); status < 0) {
    std::fprintf(stderr, "http_server: cannot listen on 127.0.0.1:%d: %s\n", s.port, uv_strerror(status));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
