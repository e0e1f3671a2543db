#pragma once

// A real PostgreSQL 15 server for the tests, from Debian's packages: initdb and pg_ctl in
// a temporary directory, listening on a Unix socket there and on no TCP port. As root,
// which initdb refuses, it runs as the unprivileged user `nobody` (runuser). Where it
// cannot start at all, `skip_reason()` says why, and the tests say so and skip.

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include "test_support.hpp"

namespace iterjson::testing {

inline constexpr const char* postgres_bin = "/usr/lib/postgresql/15/bin";

class postgres_server {
 public:
  postgres_server() {
    if (!std::filesystem::exists(std::string(postgres_bin) + "/initdb")) {
      skip_reason_ = std::string("no ") + postgres_bin + "/initdb: install Debian's postgresql";
      return;
    }
    char pattern[] = "/tmp/iterjson_pg.XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      skip_reason_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern;
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::chown(dir_.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
        skip_reason_ = "running as root, and cannot hand " + dir_ + " to the user nobody";
        return;
      }
      as_user_ = "runuser -u nobody -- ";
    }
    const command_result init = run_command(as_user_ + postgres_bin + "/initdb -D " + dir_ +
                                            "/data -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync");
    if (init.status != 0) {
      skip_reason_ = "initdb failed: " + init.output;
      return;
    }
    // Only the socket in dir_: no TCP port that another run could hold.
    const command_result start = run_command(as_user_ + pg_ctl() + " -w -t 30 -l " + dir_ + "/log -o \"-k " + dir_ +
                                             " -c listen_addresses= -c fsync=off\" start");
    if (start.status != 0) {
      skip_reason_ = "pg_ctl start failed: " + start.output + read_log();
      return;
    }
    running_ = true;
  }

  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  ~postgres_server() {
    stop();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Why it did not start; empty when it runs.
  [[nodiscard]] const std::string& skip_reason() const noexcept { return skip_reason_; }
  [[nodiscard]] bool running() const noexcept { return running_; }
  // A libpq connection string for the database `postgres`.
  [[nodiscard]] std::string conninfo() const { return "host=" + dir_ + " user=postgres dbname=postgres"; }

  // Stops it at once, as a crash or a lost host would: every connection is cut.
  // Not with run_command: the last stop comes at exit, when doctest, which it reports to,
  // is gone.
  void stop() {
    if (!running_) return;
    const std::string command = as_user_ + pg_ctl() + " -w -m immediate stop >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) std::fprintf(stderr, "could not stop PostgreSQL: %s\n", command.c_str());
    running_ = false;
  }

 private:
  [[nodiscard]] std::string pg_ctl() const { return std::string(postgres_bin) + "/pg_ctl -D " + dir_ + "/data"; }
  [[nodiscard]] std::string read_log() const {
    const command_result log = run_command("cat " + dir_ + "/log");
    return log.output;
  }

  std::string dir_;
  std::string as_user_;
  std::string skip_reason_;
  bool running_ = false;
};

// One server for every test of the binary that wants one, started on first use.
inline postgres_server& shared_postgres() {
  static postgres_server server;
  return server;
}

struct finish_connection {
  void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};
using pg_connection = std::unique_ptr<PGconn, finish_connection>;

// A connection to `server`; REQUIREs that it is good.
inline pg_connection connect_postgres(const postgres_server& server) {
  pg_connection connection(PQconnectdb(server.conninfo().c_str()));
  REQUIRE_MESSAGE(PQstatus(connection.get()) == CONNECTION_OK, PQerrorMessage(connection.get()));
  return connection;
}

}  // namespace iterjson::testing
