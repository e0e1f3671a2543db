// An HTTP/1.1 server on libuv that streams large JSON responses without blocking its
// event loop: the demo of iterjson's driver and libuv adapter.
//
//   http_server [--port P] [--oneshot] [--feed-interval-ms MS] [--session-timeout-ms MS]
//               [--max-sessions N] [--idle-timeout-ms MS] [--send-buffer BYTES]
//               [--db PATH | --orders N] [--pg CONNINFO]
//
// --port 0 picks a free port; the server prints `listening on 127.0.0.1:PORT` when ready.
// --oneshot is the blocking baseline: /numbers is serialized whole with to_string, then
// written; so are the rows of /rows, collected first. --db PATH serves /rows from an SQLite
// database with an orders table (orders.hpp); without it, --orders N orders (1,000,000 by
// default) are generated at start in a temporary directory, removed at exit. --pg CONNINFO
// (a libpq connection string) serves /pg/rows from that PostgreSQL server, creating its
// table if missing. SIGINT and SIGTERM stop the server cleanly.
//
// The program, a file per concern:
//   routes.hpp      what each request is answered with: /numbers, /primes, /feed,
//                   /longpoll/start and /longpoll/next, /ping, /stats, and / (the page)
//   page.hpp        the page of GET /, page.html, built into the program
//   sources.hpp     what the endless streams are made of: primes, timer-made feed rows
//   orders.hpp      the SQLite table of /rows: opened or generated, read a row at a time
//   pg_rows.hpp     the PostgreSQL table of /pg/rows: rows as they arrive, a socket watched
//   sessions.hpp    long-poll sessions: paused encoders, resumed a piece per request
//   http.hpp        request heads parsed, their limits; response heads
//   connection.hpp  one client: reading, answering in order, keep-alive, idle timeout
//   server.hpp      listening, the connections, the figures of /stats, signals
//   main.cpp        the command line and the loop

#include <uv.h>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

#include "server.hpp"
#if HTTP_DEMO_SQLITE || HTTP_DEMO_POSTGRES
#include <chrono>
#include <exception>
#include <optional>
#endif
#if HTTP_DEMO_SQLITE
#include "orders.hpp"
#endif
#if HTTP_DEMO_POSTGRES
#include "pg_rows.hpp"
#endif

namespace {

using http_demo::settings;

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "http_server: %s\nusage: http_server [--port P] [--oneshot] [--feed-interval-ms MS] "
               "[--session-timeout-ms MS] [--max-sessions N] [--idle-timeout-ms MS] [--send-buffer BYTES] "
               "[--db PATH | --orders N] [--pg CONNINFO]\n",
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
    } else if (flag == "--send-buffer") {
      s.send_buffer = static_cast<int>(flag_number(argc, argv, i, 4096, 64 * 1024 * 1024));
    } else if (flag == "--db") {
      if (i + 1 == argc) usage("--db needs a path");
      s.db_path = argv[++i];
    } else if (flag == "--pg") {
      if (i + 1 == argc) usage("--pg needs a connection string");
      s.pg_conninfo = argv[++i];
    } else if (flag == "--orders") {
      s.orders = flag_number(argc, argv, i, 0, 100'000'000);
    } else {
      usage("unknown argument " + std::string(flag));
    }
  }
  return s;
}

#if HTTP_DEMO_SQLITE
// The database of /rows: --db, or one generated now, which takes a second or so.
http_demo::orders_database open_orders(const settings& s) {
  if (!s.db_path.empty()) return http_demo::orders_database(s.db_path);
  const auto start = std::chrono::steady_clock::now();
  http_demo::orders_database made = http_demo::orders_database::generate(s.orders);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::fprintf(stderr, "http_server: generated %llu orders in %lld ms: %s\n", static_cast<unsigned long long>(s.orders),
               static_cast<long long>(ms.count()), made.path().c_str());
  return made;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_arguments(argc, argv);
  // libuv writes with writev: a client gone must be EPIPE for the stream, not the end of
  // the process.
  std::signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  http_demo::server http(loop, s);
#if HTTP_DEMO_SQLITE
  // Made before the server listens; closed once the loop has ended, with every stream of /rows.
  std::optional<http_demo::orders_database> orders;
  try {
    orders.emplace(open_orders(s));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_server: %s\n", e.what());
    return 1;
  }
  http.serve_orders(*orders);
#endif
#if HTTP_DEMO_POSTGRES
  std::optional<http_demo::pg_pool> pg;
  if (!s.pg_conninfo.empty()) {
    try {
      pg.emplace(s.pg_conninfo);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "http_server: %s\n", e.what());
      return 1;
    }
    http.serve_pg(*pg);
  }
#else
  if (!s.pg_conninfo.empty()) {
    std::fprintf(stderr, "http_server: --pg: this server was built without libpq\n");
    return 1;
  }
#endif
  if (const int status = http.listen(s.port); status < 0) {
    std::fprintf(stderr, "http_server: cannot listen on 127.0.0.1:%d: %s\n", s.port, uv_strerror(status));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
