#pragma once

// The rows of a PostgreSQL query as a source that waits: libpq's single-row mode hands a
// row over as soon as it arrives, and the source answers `pending` until one has. The
// event loop watches the connection's socket and calls `pg_rows::on_readable()`.

#include <charconv>
#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <libpq-fe.h>

#include "iterjson/detail/column_row.hpp"
#include "iterjson/detail/config.hpp"
#include "iterjson/source.hpp"
#include "iterjson/traits.hpp"

#if !ITERJSON_DETAIL_EXCEPTIONS
#include "iterjson/encoder.hpp"  // detail::abort_on
#endif

namespace iterjson {

/// What `pg_rows` throws when the query cannot be sent, the server reports an error, or
/// the connection is lost: libpq's message, and the SQLSTATE when the server gave one
/// (`57014` for a query cancelled). Thrown out of an encoder's `next()` or `read()`, it
/// leaves the encoder `failed()`, with the JSON Pointer of the row in `error_path()`.
class pg_error : public std::runtime_error {
 public:
  pg_error(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}

  /// The five-character SQLSTATE; empty for an error of the connection itself.
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

/// A request to the server to cancel a query, from `pg_rows::cancel_request()`. Sending it
/// blocks: a round trip on a connection of its own, for which PostgreSQL forks a process
/// (10 to 30 ms in the tests). So a loop sends it from a worker thread, as libuv's
/// `uv_queue_work` runs one; `send()` is thread-safe (it is `PQcancel`). Move-only.
class pg_cancel_request {
 public:
  pg_cancel_request() = default;
  explicit pg_cancel_request(PGcancel* request) noexcept : request_(request) {}
  pg_cancel_request(pg_cancel_request&& other) noexcept : request_(std::exchange(other.request_, nullptr)) {}
  pg_cancel_request& operator=(pg_cancel_request&& other) noexcept {
    std::swap(request_, other.request_);
    return *this;
  }
  ~pg_cancel_request() {
    if (request_ != nullptr) PQfreeCancel(request_);
  }

  /// Sends the request, once: true if the server took it. An empty request sends nothing.
  bool send() noexcept {
    if (request_ == nullptr) return false;
    char message[256];
    const bool sent = PQcancel(request_, message, sizeof message) != 0;
    PQfreeCancel(std::exchange(request_, nullptr));
    return sent;
  }

 private:
  PGcancel* request_ = nullptr;
};

namespace detail {

// Type OIDs of the built-in types (PostgreSQL's pg_type.dat): stable across versions.
enum class pg_type_oid : Oid {
  boolean = 16,
  int8 = 20,
  int2 = 21,
  int4 = 23,
  oid = 26,
  json = 114,
  float4 = 700,
  float8 = 701,
  numeric = 1700,
  jsonb = 3802,
};

struct clear_pg_result {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using pg_result_handle = std::unique_ptr<PGresult, clear_pg_result>;

// One field of a row, written by its column's type.
struct pg_value {
  const PGresult* result;
  int column;
  [[nodiscard]] std::string_view name() const { return PQfname(result, column); }
};

// NaN, Infinity or -Infinity as PostgreSQL writes them (float and numeric); else nothing.
inline bool pg_non_finite(std::string_view text, double& value) {
  if (text == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "Infinity") {
    value = std::numeric_limits<double>::infinity();
  } else if (text == "-Infinity") {
    value = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  return true;
}

// One row, as libpq's single-row mode makes it: a result of one tuple, owned here, so that
// its text lives as long as the encoder writes it. An object (`Keyed`) or an array.
template <bool Keyed>
class pg_row : public column_row<pg_value, const PGresult*, Keyed> {
 public:
  explicit pg_row(pg_result_handle result) noexcept
      : column_row<pg_value, const PGresult*, Keyed>(result.get(), PQnfields(result.get())), result_(std::move(result)) {}

 private:
  pg_result_handle result_;
};

[[noreturn, gnu::cold]] inline void on_pg_error(std::string message, std::string sqlstate) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
#if ITERJSON_DETAIL_EXCEPTIONS
  throw pg_error(message, std::move(sqlstate));
#else
  (void)sqlstate;
  abort_on("PostgreSQL: " + message);
#endif
}

}  // namespace detail

/// The rows of one query, sent on a libpq connection in single-row mode, as a source
/// that waits (`source.hpp`): an array whose elements are the rows as they arrive, each an
/// object keyed by column name (`Keyed`, `pg_rows`), or an array of its fields
/// (`pg_row_arrays`). While no row has arrived, `poll` answers `pending`, and the stream
/// waits without blocking the loop.
///
/// The loop's part: watch `socket()` for reading, and when it is readable, call
/// `on_readable()`, which reads what arrived and wakes the encoder if a row is there.
/// With libuv, a `uv_poll_t` on `socket()`; the demo server does so (`/pg/rows`).
///
/// Types, by the column's type OID: `int2`, `int4`, `int8` and `oid` as integers;
/// `float4` and `float8` as numbers (NaN and infinities meet `options::nan`); `bool` as
/// `true` or `false`; `numeric` as its exact decimal text, as a JSON number (its NaN and
/// infinities meet `options::nan`); `json` and `jsonb` as the JSON they hold, embedded
/// as `raw_json` (trusted: the server has validated it; the line breaks `json` keeps
/// become spaces, so that a stream of values keeps one value per line); SQL NULL as
/// `null`; anything else
/// as the server's text, a string (`options::invalid_utf8` applies).
///
/// Copies share one query: keep one for the loop and move one into the encoder, as with
/// `channel`. The connection must outlive every copy and serve this query alone until it
/// ends. The query ends when its rows are all taken; `cancel()` ends it early (a client
/// that left), after which the connection takes the next query. The last copy to go
/// cancels a query still running.
///
/// Errors (`pg_error`): one the server reports, or a lost connection, comes out of the
/// encoder's `next()` or `read()` with the path of the row it was waiting for; a chunked
/// response then ends without its last chunk. Built without exceptions, they abort.
template <bool Keyed>
class basic_pg_rows {
 public:
  using row = detail::pg_row<Keyed>;

  /// Sends `query`, with `parameters` as text for `$1`, `$2`..., in single-row mode.
  /// Throws `pg_error` if libpq cannot send it (another query is running, the connection
  /// is broken).
  basic_pg_rows(PGconn* connection, const char* query, std::span<const char* const> parameters = {})
      : state_(std::make_shared<state>(connection)) {
    if (PQsendQueryParams(connection, query, static_cast<int>(parameters.size()), nullptr, parameters.data(), nullptr,
                          nullptr, 0) == 0) {
      state_->finished = true;
      detail::on_pg_error(PQerrorMessage(connection), {});
    }
    PQsetSingleRowMode(connection);  // right after sending: cannot fail then
  }

  /// The socket to watch for reading.
  [[nodiscard]] int socket() const noexcept { return PQsocket(state_->connection); }

  /// True once every result of the query was taken, or it was cancelled.
  [[nodiscard]] bool finished() const noexcept { return state_->finished; }

  /// For the loop, when `socket()` is readable: reads what arrived, without blocking, and
  /// wakes the encoder if a row, the end or an error is there (its `on_wake` callback runs
  /// from here). Returns true then: a loop may stop watching the socket until `poll`
  /// answers `pending` again, so that a stream its client holds back holds the query back
  /// too. False: nothing whole yet, keep watching.
  ///
  /// After `cancel_request()`, it drops what arrived instead, and returns true once the
  /// query has ended (`finished()`): keep watching until then.
  bool on_readable() {
    state& s = *state_;
    if (s.finished) return true;
    if (PQconsumeInput(s.connection) == 0) s.lost = true;  // PQgetResult reports it
    if (s.cancelling) return s.drop_arrived();
    if (!s.lost && PQisBusy(s.connection) != 0) return false;
    std::exchange(s.waiting, waker()).wake();
    return true;
  }

  /// Ends a query still running, waiting: asks the server to cancel it (see
  /// `pg_cancel_request`), then reads and drops what is left of it until the server has
  /// stopped. The connection is then ready for the next query. Does nothing to a query
  /// that ended. 20 to 30 ms in the tests: for a loop, `cancel_request()`.
  void cancel() noexcept { state_->cancel(); }

  /// Ends a query still running, without waiting: returns the request to cancel it, for
  /// the caller to send from a thread that may block (empty if the query has ended). What
  /// is left of the query is then dropped by `on_readable()` as it arrives: keep watching
  /// `socket()` until that returns true, and the request is sent; `finished()` is then
  /// true, and the connection takes the next query. An encoder that still polls this
  /// source fails with `pg_error`, so that its text cannot look complete.
  [[nodiscard]] pg_cancel_request cancel_request() noexcept { return state_->cancel_request(); }

  /// The source side, called by the encoder: the next row, `pending`, or `exhausted`.
  poll_result<row> poll(const waker& w) {
    state& s = *state_;
    if (s.cancelling) detail::on_pg_error("the query was cancelled", "57014");
    while (!s.finished && PQisBusy(s.connection) == 0) {
      detail::pg_result_handle result(PQgetResult(s.connection));
      if (!result) {
        s.finished = true;
        break;
      }
      switch (PQresultStatus(result.get())) {
        case PGRES_SINGLE_TUPLE: return row(std::move(result));
        case PGRES_TUPLES_OK:  // the end of the rows; a null result follows
        case PGRES_COMMAND_OK: break;
        default: s.fail(std::move(result));
      }
    }
    if (s.finished) return exhausted;
    if (s.lost) s.fail(nullptr);
    s.waiting = w;
    return pending;
  }

 private:
  struct state {
    explicit state(PGconn* c) noexcept : connection(c) {}
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state() { cancel(); }

    void cancel() noexcept {
      cancel_request().send();
      if (!finished) drain();
    }

    pg_cancel_request cancel_request() noexcept {
      if (finished || cancelling) return {};
      cancelling = true;
      pg_cancel_request request(PQgetCancel(connection));
      drop_arrived();
      return request;
    }

    // After a cancel: drops the results whole in what was read, without blocking; true
    // once the query has ended (or the connection is lost, which ends it too).
    bool drop_arrived() noexcept {
      while (!lost && PQisBusy(connection) == 0) {
        PGresult* rest = PQgetResult(connection);
        if (rest == nullptr) break;
        PQclear(rest);
      }
      if (lost || PQisBusy(connection) == 0) finished = true;
      return finished;
    }

    // Reads the query's results to their end, blocking, so that the connection takes
    // the next query; a lost connection ends at once.
    void drain() noexcept {
      finished = true;
      while (PGresult* rest = PQgetResult(connection)) PQclear(rest);
    }

    // The server's error in `result`, or the connection's; the query ends with it.
    [[noreturn]] void fail(detail::pg_result_handle result) {
      std::string message = result ? PQresultErrorMessage(result.get()) : "";
      if (message.empty()) message = PQerrorMessage(connection);
      const char* code = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
      std::string sqlstate = code != nullptr ? code : "";
      result.reset();
      drain();
      detail::on_pg_error(std::move(message), std::move(sqlstate));
    }

    PGconn* connection;
    waker waiting;
    bool finished = false;
    bool lost = false;  // PQconsumeInput failed: the connection broke
    bool cancelling = false;
  };

  std::shared_ptr<state> state_;
};

/// Rows as objects keyed by column name. A class, so: `auto rows = pg_rows(conn, sql);`.
using pg_rows = basic_pg_rows<true>;
/// Rows as arrays of fields in column order.
using pg_row_arrays = basic_pg_rows<false>;

}  // namespace iterjson

/// A field of a PostgreSQL row, written by its column's type (see `basic_pg_rows`).
template <>
struct iterjson::variant_traits<iterjson::detail::pg_value> {
  template <class Visitor>
  static void visit(const detail::pg_value& value, Visitor&& visitor) {
    const PGresult* const result = value.result;
    const int column = value.column;
    if (PQgetisnull(result, 0, column) != 0) return visitor(nullptr);
    const std::string_view text(PQgetvalue(result, 0, column), static_cast<std::size_t>(PQgetlength(result, 0, column)));
    using detail::pg_type_oid;
    switch (static_cast<pg_type_oid>(PQftype(result, column))) {
      case pg_type_oid::boolean: return visitor(text == "t");
      case pg_type_oid::int2:
      case pg_type_oid::int4:
      case pg_type_oid::int8:
      case pg_type_oid::oid: {
        long long number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc{} && end == text.data() + text.size()) return visitor(number);
        return visitor(text);  // not expected of the server: the text, as a string
      }
      case pg_type_oid::float4:
      case pg_type_oid::float8: {
        double number = 0;
        if (detail::pg_non_finite(text, number)) return visitor(number);
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc{} && end == text.data() + text.size()) return visitor(number);
        return visitor(text);
      }
      case pg_type_oid::numeric: {
        double non_finite = 0;
        if (detail::pg_non_finite(text, non_finite)) return visitor(non_finite);
        return visitor(raw_json{text});  // the server's decimal text is a JSON number
      }
      case pg_type_oid::jsonb: return visitor(raw_json{text});  // the server's own text: one line
      case pg_type_oid::json: {
        // json keeps the text it was given, line breaks included, which would break a
        // stream of values (NDJSON, SSE) in two. In valid JSON a line break can only be
        // whitespace between tokens (a string cannot hold one raw), so a space serves.
        if (text.find_first_of("\r\n") == std::string_view::npos) return visitor(raw_json{text});
        std::string one_line(text);
        for (char& c : one_line) {
          if (c == '\n' || c == '\r') c = ' ';
        }
        return visitor(raw_json{one_line});
      }
      default: return visitor(text);
    }
  }
};
