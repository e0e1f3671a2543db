#pragma once

// The rows of /pg/rows: a PostgreSQL table, read with one fixed query in libpq's single-row
// mode, each row sent as it arrives while the loop keeps serving. A uv_poll_t watches the
// connection's socket while the stream waits for a row, and only then: a client that reads
// slowly holds the query back, not the server's memory.
//
// The table, created and filled at start if missing (--pg CONNINFO):
//   iterjson_demo_rows(id bigint PRIMARY KEY, label text, amount numeric(12,2),
//                      ratio double precision, active boolean, tags jsonb,
//                      created_at timestamptz)
// No SQL comes from a request: ?limit= and ?delay_ms= are bound as parameters.

#include <libpq-fe.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <iterjson/adapters/postgres.hpp>

namespace http_demo {

// Idle connections to the server of --pg, kept for the next /pg/rows: a query cancelled
// by a client that left, or ended, gives its connection back. At most `max_open` at once.
class pg_pool {
 public:
  // Connects once, and creates and fills the table if it is missing. Throws
  // std::runtime_error if it cannot.
  explicit pg_pool(std::string conninfo, std::size_t max_open = 16);
  pg_pool(const pg_pool&) = delete;
  pg_pool& operator=(const pg_pool&) = delete;
  ~pg_pool();

  // An idle connection, or a new one (a blocking connect, a few milliseconds on a local
  // server); null if `max_open` are in use or the server cannot be reached.
  PGconn* acquire();
  // A connection back from a query: kept if it is ready for the next one, else closed.
  void release(PGconn* connection) noexcept;

  [[nodiscard]] std::size_t open() const noexcept { return open_; }
  [[nodiscard]] std::size_t idle() const noexcept { return idle_.size(); }
  std::uint64_t cancelled = 0;  // queries cut short by a stream that ended early

 private:
  std::string conninfo_;
  std::size_t max_open_;
  std::size_t open_ = 0;
  std::vector<PGconn*> idle_;
};

// The rows of one /pg/rows, as a source for an encoder, which owns it: the query, on a
// connection of the pool, and the uv_poll_t that watches its socket. When the stream ends,
// however it ends, this goes with the encoder: a query still running is cancelled without
// the loop waiting (the request is sent from libuv's thread pool, and what is left of the
// query is dropped as it comes), and then the connection goes back to the pool.
class pg_table_rows {
 public:
  // The first `limit` rows by id, each after a pause of `delay_ms` on the server.
  // Throws iterjson::pg_error if the query cannot be sent.
  pg_table_rows(uv_loop_t* loop, pg_pool& pool, PGconn* connection, long long limit, long long delay_ms);

  iterjson::poll_result<iterjson::pg_rows::row> poll(const iterjson::waker& w);

 private:
  struct watcher {
    watcher(pg_pool& p, PGconn* c, iterjson::pg_rows r) : pool(&p), connection(c), rows(std::move(r)) {}
    uv_poll_t poll{};
    pg_pool* pool;
    PGconn* connection;
    iterjson::pg_rows rows;
    bool watching = false;
    bool draining = false;  // the stream has ended; the query is being cancelled
    bool sending = false;   // the cancel request is with the thread pool
    iterjson::pg_cancel_request cancel;
    uv_work_t cancel_work{};
  };
  struct close_watcher {
    void operator()(watcher* w) const noexcept;
  };

  static void on_socket(uv_poll_t* handle, int status, int events);
  static void close_when_done(watcher& w) noexcept;

  std::unique_ptr<watcher, close_watcher> watcher_;
};

}  // namespace http_demo
