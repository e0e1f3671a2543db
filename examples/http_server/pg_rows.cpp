#include "pg_rows.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace http_demo {

namespace {

// The rows of the table, made by the server itself; 100,000 of them, about 17 MB of JSON.
constexpr const char* create_table_sql = R"(
CREATE TABLE IF NOT EXISTS iterjson_demo_rows (
  id bigint PRIMARY KEY,
  label text NOT NULL,
  amount numeric(12, 2) NOT NULL,
  ratio double precision,
  active boolean NOT NULL,
  tags jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO iterjson_demo_rows
SELECT g,
       (ARRAY['Zoë', 'Łukasz', '東京', 'plain', 'a "quoted" label'])[g % 5 + 1] || ' #' || g,
       round((g * 7919 % 100000) / 100.0, 2),
       CASE WHEN g % 10 = 0 THEN NULL ELSE g / 7.0 END,
       g % 3 = 0,
       jsonb_build_object('even', g % 2 = 0, 'tier', g % 4),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 100000) AS g
WHERE NOT EXISTS (SELECT 1 FROM iterjson_demo_rows);
)";

// The one query /pg/rows runs. pg_sleep is in a column, so it runs once per row made.
constexpr const char* rows_sql =
    "SELECT id, label || pg_sleep($2::float8 / 1000)::text AS label, amount, ratio, active, tags, created_at "
    "FROM iterjson_demo_rows ORDER BY id LIMIT $1";

}  // namespace

pg_pool::pg_pool(std::string conninfo, std::size_t max_open) : conninfo_(std::move(conninfo)), max_open_(max_open) {
  PGconn* connection = acquire();
  if (connection == nullptr) throw std::runtime_error("cannot connect to PostgreSQL (--pg " + conninfo_ + ")");
  // No NOTICE that the table exists already.
  PGresult* made = PQexec(connection, (std::string("SET client_min_messages = warning;") + create_table_sql).c_str());
  const bool ok = PQresultStatus(made) == PGRES_COMMAND_OK;
  const std::string message = PQerrorMessage(connection);
  PQclear(made);
  release(connection);
  if (!ok) throw std::runtime_error("cannot create the table of /pg/rows: " + message);
}

pg_pool::~pg_pool() {
  for (PGconn* connection : idle_) PQfinish(connection);
}

PGconn* pg_pool::acquire() {
  if (!idle_.empty()) {
    PGconn* connection = idle_.back();
    idle_.pop_back();
    return connection;
  }
  if (open_ >= max_open_) return nullptr;
  PGconn* connection = PQconnectdb(conninfo_.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    PQfinish(connection);
    return nullptr;
  }
  // Times in UTC whatever the server's time zone, so that the text is the same everywhere.
  PQclear(PQexec(connection, "SET TIME ZONE 'UTC'"));
  ++open_;
  return connection;
}

void pg_pool::release(PGconn* connection) noexcept {
  if (PQstatus(connection) == CONNECTION_OK && PQtransactionStatus(connection) == PQTRANS_IDLE) {
    try {
      idle_.push_back(connection);
      return;
    } catch (...) {  // no room to keep it: close it
    }
  }
  PQfinish(connection);
  --open_;
}

pg_table_rows::pg_table_rows(uv_loop_t* loop, pg_pool& pool, PGconn* connection, long long limit, long long delay_ms) {
  const std::string limit_text = std::to_string(limit);
  const std::string delay_text = std::to_string(delay_ms);
  const char* parameters[] = {limit_text.c_str(), delay_text.c_str()};
  std::unique_ptr<watcher> made;
  try {
    made = std::make_unique<watcher>(pool, connection, iterjson::pg_rows(connection, rows_sql, parameters));
  } catch (...) {
    pool.release(connection);
    throw;
  }
  uv_poll_init(loop, &made->poll, made->rows.socket());
  made->poll.data = made.get();
  watcher_.reset(made.release());
}

iterjson::poll_result<iterjson::pg_rows::row> pg_table_rows::poll(const iterjson::waker& w) {
  watcher& self = *watcher_;
  iterjson::poll_result<iterjson::pg_rows::row> result = self.rows.poll(w);
  if (result.is_pending() && !self.watching) {
    uv_poll_start(&self.poll, UV_READABLE, &on_socket);
    self.watching = true;
  }
  return result;
}

void pg_table_rows::on_socket(uv_poll_t* handle, int, int) {
  watcher& self = *static_cast<watcher*>(handle->data);
  // An error of the poll itself shows as one of the connection: PQconsumeInput finds it.
  bool ready = true;
  try {
    ready = self.rows.on_readable();
  } catch (...) {  // the encoder's wake callback threw: nothing may leave a libuv callback
  }
  if (!ready) return;
  uv_poll_stop(handle);
  self.watching = false;
  if (self.draining) close_when_done(self);
}

// After the stream: once the query has ended and the cancel request is sent, the watcher
// closes, and the connection goes back to the pool once libuv is done with it. So no
// cancel request can reach the next query on the connection.
void pg_table_rows::close_when_done(watcher& w) noexcept {
  if (!w.rows.finished() || w.sending) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&w.poll), [](uv_handle_t* handle) {
    std::unique_ptr<watcher> closed(static_cast<watcher*>(handle->data));
    closed->pool->release(closed->connection);
  });
}

// A query still running is cancelled without the loop waiting: the request, which blocks
// for a round trip, goes to libuv's thread pool, and the watcher stays until what is left
// of the query has come and been dropped.
void pg_table_rows::close_watcher::operator()(watcher* w) const noexcept {
  w->draining = true;
  if (!w->rows.finished()) {
    ++w->pool->cancelled;
    w->cancel = w->rows.cancel_request();
    w->cancel_work.data = w;
    const auto send = [](uv_work_t* work) { static_cast<watcher*>(work->data)->cancel.send(); };
    const auto sent = [](uv_work_t* work, int) {
      watcher& self = *static_cast<watcher*>(work->data);
      self.sending = false;
      close_when_done(self);
    };
    w->sending = uv_queue_work(w->poll.loop, &w->cancel_work, send, sent) == 0;
    if (!w->sending) w->cancel.send();  // no thread pool: the loop waits, once
  }
  if (!w->rows.finished() && !w->watching) {
    uv_poll_start(&w->poll, UV_READABLE, &on_socket);
    w->watching = true;
  }
  close_when_done(*w);
}

}  // namespace http_demo
