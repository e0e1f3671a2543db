#pragma once

// The server: it listens on 127.0.0.1, accepts connections, keeps the state the routes
// serve from, and measures itself for /stats. SIGINT and SIGTERM stop it cleanly.

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <iterjson/traits.hpp>

#include "sessions.hpp"

namespace http_demo {

// What the command line sets.
struct settings {
  int port = 8080;
  bool oneshot = false;
  std::uint64_t feed_interval_ms = 100;
  std::uint64_t session_timeout_ms = 30'000;
  std::size_t max_sessions = 1000;
  std::uint64_t idle_timeout_ms = 60'000;
  int send_buffer = 0;  // SO_SNDBUF of each connection; 0: the kernel's, which grows as it likes
  std::string db_path;                // --db: the SQLite database of /rows; empty: generate one
  std::uint64_t orders = 1'000'000;   // --orders: how many the generated database holds
  std::string pg_conninfo;            // --pg: the PostgreSQL server of /pg/rows; empty: none
};

// The figures of /stats.
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

}  // namespace http_demo

ITERJSON_FIELDS(http_demo::server_stats, max_loop_stall_us, streams_started, streams_completed, streams_failed,
                rss_kib, peak_rss_kib, feeds_active, longpoll_sessions, connections, idle_cut, stream_bytes_held);

namespace http_demo {

class connection;
class orders_database;
class pg_pool;

class server {
 public:
  server(uv_loop_t* loop, const settings& s);

  // Listens on 127.0.0.1:`port` (0: a free one) and prints `listening on 127.0.0.1:PORT`;
  // libuv's error if it cannot.
  int listen(int port);

  [[nodiscard]] bool oneshot() const { return oneshot_; }
  [[nodiscard]] uv_loop_t* loop() const { return loop_; }
  [[nodiscard]] std::uint64_t feed_interval_ms() const { return feed_interval_ms_; }
  [[nodiscard]] int send_buffer() const { return send_buffer_; }
  server_stats& stats() { return stats_; }
  // The database of /rows, set once before the loop runs; it must outlive the server.
  void serve_orders(const orders_database& orders) { orders_ = &orders; }
  [[nodiscard]] const orders_database& orders() const { return *orders_; }
  // The connections of /pg/rows, if --pg was given; set once before the loop runs.
  void serve_pg(pg_pool& pool) { pg_ = &pool; }
  [[nodiscard]] pg_pool* pg() const { return pg_; }
  session_store& sessions() { return sessions_; }
  // Where every connection reads into: each copies what it read out at once, so one
  // buffer serves them all, and a connection costs no 64 KiB of its own.
  [[nodiscard]] std::span<char> read_buffer() noexcept { return read_buffer_; }

  // The figures of /stats; the stall maximum starts again.
  std::string stats_json();

  void forget(connection* c) noexcept { connections_.erase(c); }

 private:
  static void on_connection(uv_stream_t* listener, int status);
  static void on_stall_tick(uv_timer_t* timer);
  static void on_idle_sweep(uv_timer_t* timer);
  static void on_signal(uv_signal_t* signal, int);

  uv_loop_t* loop_;
  bool oneshot_;
  std::uint64_t feed_interval_ms_;
  std::uint64_t idle_timeout_ms_;
  int send_buffer_;
  session_store sessions_;
  const orders_database* orders_ = nullptr;
  pg_pool* pg_ = nullptr;
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

}  // namespace http_demo
