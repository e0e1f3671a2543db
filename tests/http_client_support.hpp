#pragma once

// The HTTP demo, examples/http_server, as its tests see it: the real binary, started with
// --port 0 by server_process, and clients on loopback sockets that never wait longer than
// wait_limit for anything; the responses and the texts the server sends.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "loopback.hpp"

extern char** environ;

namespace iterjson::testing {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

// No single wait of these tests is longer.
inline constexpr auto wait_limit = std::chrono::seconds(10);

// Polls `fd` for `events` until `deadline`; false if the time ran out.
inline bool wait_for(int fd, short events, steady::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now()).count();
    if (left <= 0) return false;
    pollfd watched{fd, events, 0};
    const int n = ::poll(&watched, 1, static_cast<int>(left));
    if (n > 0) return true;
    check_system(n == 0 || errno == EINTR, "poll");
  }
}

// examples/http_server, started with `--port 0` and the given flags; SIGTERM, then SIGKILL
// if it lingers, and waitpid when this goes. Unless the flags say otherwise, the database
// of /rows is 1000 generated orders, not the default million: made in a few milliseconds.
class server_process {
 public:
  explicit server_process(std::vector<std::string> flags = {}) {
    if (std::ranges::find(flags, "--db") == flags.end() && std::ranges::find(flags, "--orders") == flags.end()) {
      flags.insert(flags.end(), {"--orders", "1000"});
    }
    int output[2];
    check_system(::pipe2(output, O_CLOEXEC) == 0, "pipe2");
    std::vector<std::string> arguments{ITERJSON_HTTP_SERVER, "--port", "0"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO);
    const int error = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(output[1]);
    stdout_ = output[0];
    if (error != 0) {
      ::close(stdout_);
      throw std::system_error(error, std::system_category(), "posix_spawn " ITERJSON_HTTP_SERVER);
    }
    try {
      port_ = read_port();
    } catch (...) {
      stop();
      ::close(stdout_);
      throw;
    }
  }

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  ~server_process() {
    stop();
    ::close(stdout_);
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  // The file descriptors the server has open: the entries of /proc/PID/fd.
  [[nodiscard]] std::size_t open_fds() const {
    const std::filesystem::path fds = "/proc/" + std::to_string(pid_) + "/fd";
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(fds), {}));
  }

  // The server's peak resident memory, VmHWM of /proc/PID/status, in KiB.
  [[nodiscard]] std::uint64_t peak_rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("VmHWM:")) return std::strtoull(line.c_str() + 6, nullptr, 10);
    }
    FAIL("no VmHWM in /proc/" << pid_ << "/status");
    return 0;
  }

  // True while the process runs.
  bool alive() {
    if (exit_status_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
    exit_status_ = status;
    return false;
  }

  // Stops the server: SIGTERM, and SIGKILL if it has not exited within the wait limit.
  // Returns its wait status.
  int stop() {
    if (!alive()) return *exit_status_;
    ::kill(pid_, SIGTERM);
    const auto deadline = steady::now() + wait_limit;
    while (alive() && steady::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
    if (!exit_status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exit_status_ = status;
    }
    return *exit_status_;
  }

 private:
  // The port of the line `listening on 127.0.0.1:PORT`, the first the server prints.
  std::uint16_t read_port() {
    const auto deadline = steady::now() + wait_limit;
    std::string line;
    while (!line.ends_with('\n')) {
      REQUIRE_MESSAGE(wait_for(stdout_, POLLIN, deadline), "the server printed no `listening on` line");
      char c = 0;
      const ssize_t n = ::read(stdout_, &c, 1);
      REQUIRE_MESSAGE(n == 1, "the server exited before listening: " << line);
      line += c;
    }
    constexpr std::string_view prefix = "listening on 127.0.0.1:";
    REQUIRE_MESSAGE(line.starts_with(prefix), line);
    std::uint16_t port = 0;
    const char* end = line.data() + line.size() - 1;
    const auto [stop, error] = std::from_chars(line.data() + prefix.size(), end, port);
    REQUIRE_MESSAGE((error == std::errc{} && stop == end && port != 0), line);
    return port;
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  std::uint16_t port_ = 0;
  std::optional<int> exit_status_;
};

// What a client sets on its socket before it connects; zero leaves the kernel's default.
struct client_socket {
  int receive_buffer = 0;  // SO_RCVBUF, which the kernel doubles
  int max_segment = 0;     // TCP_MAXSEG: the MSS announced to the server
};

// A client connection to 127.0.0.1:`port`; never blocks longer than the wait limit.
class client {
 public:
  explicit client(std::uint16_t port, const client_socket& shape = {})
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    check_system(fd_ != -1, "socket");
    if (shape.receive_buffer != 0) {
      check_system(::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &shape.receive_buffer, sizeof(int)) == 0, "SO_RCVBUF");
    }
    if (shape.max_segment != 0) {
      check_system(::setsockopt(fd_, IPPROTO_TCP, TCP_MAXSEG, &shape.max_segment, sizeof(int)) == 0, "TCP_MAXSEG");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    check_system(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "connect");
  }

  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client() { ::close(fd_); }

  void send(std::string_view bytes) {
    const auto deadline = steady::now() + wait_limit;
    while (!bytes.empty()) {
      REQUIRE_MESSAGE(wait_for(fd_, POLLOUT, deadline), "the server reads nothing");
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      check_system(n > 0, "send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Sends `bytes` until the socket takes no more for `patience`, or `most` bytes were
  // sent; returns how many were.
  std::size_t send_until_blocked(std::string_view bytes, std::size_t most, milliseconds patience) {
    std::size_t sent = 0;
    while (sent < most && wait_for(fd_, POLLOUT, steady::now() + patience)) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      check_system(n > 0, "send");
      sent += static_cast<std::size_t>(n);
    }
    return sent;
  }

  // No more requests: shutdown(SHUT_WR), a FIN.
  void half_close() { check_system(::shutdown(fd_, SHUT_WR) == 0, "shutdown"); }

  // Reads until the server closes the connection.
  std::string read_to_end() {
    std::string text;
    REQUIRE_MESSAGE(read_while(text, [] { return true; }) == read_stop::closed,
                    "no end of stream after " << text.size() << " bytes");
    return text;
  }

  // How the server ended the connection, and all that arrived before.
  struct ending {
    std::string text;
    bool reset = false;  // with a reset (RST) rather than a close (FIN)
  };

  // Reads until the server ends the connection, whichever way.
  ending read_to_end_or_reset() {
    ending end;
    const read_stop stop = read_while(end.text, [] { return true; });
    REQUIRE_MESSAGE(stop != read_stop::timed_out, "no end of stream after " << end.text.size() << " bytes");
    end.reset = stop == read_stop::reset;
    return end;
  }

  // Reads until `size` bytes arrived; fewer only if the server closed first.
  std::string read_at_least(std::size_t size) {
    std::string text;
    read_while(text, [&] { return text.size() < size; });
    return text;
  }

  // Reads until `marker` arrived; returns all that did, which may go past it.
  std::string read_until(std::string_view marker) {
    std::string text;
    REQUIRE_MESSAGE(read_while(text, [&] { return text.find(marker) == std::string::npos; }) == read_stop::enough,
                    "no " << marker << " in " << text);
    return text;
  }

  // Reads what has arrived, without waiting.
  std::string read_available() {
    std::string text;
    char buffer[64 * 1024];
    ssize_t n = 0;
    while ((n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }

  [[nodiscard]] int fd() const noexcept { return fd_; }

  // Closes with a reset, as a client that goes away does.
  void reset() {
    const linger reset{1, 0};
    check_system(::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset) == 0, "setsockopt");
  }

 private:
  enum class read_stop { enough, closed, reset, timed_out };

  // Reads into `text` while `wanting()`, until the server closes or the time runs out.
  template <class Wanting>
  read_stop read_while(std::string& text, Wanting wanting) {
    const auto deadline = steady::now() + wait_limit;
    char buffer[64 * 1024];
    while (wanting()) {
      if (!wait_for(fd_, POLLIN, deadline)) return read_stop::timed_out;
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0 && errno == ECONNRESET) return read_stop::reset;
      check_system(n >= 0, "recv");
      if (n == 0) return read_stop::closed;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return read_stop::enough;
  }

  int fd_;
};

// One request on a connection of its own, answered and closed by the server.
inline std::string exchange(std::uint16_t port, std::string_view request) {
  client c(port);
  c.send(request);
  return c.read_to_end();
}

// The head and the body of a response.
inline std::pair<std::string, std::string> split_response(const std::string& response) {
  const std::size_t head_end = response.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  return {response.substr(0, head_end + 4), response.substr(head_end + 4)};
}

// One response of known length on a kept-alive connection, head and body.
inline std::string read_response(client& c) {
  std::string response = c.read_until("\r\n\r\n");
  const std::size_t body_at = response.find("\r\n\r\n") + 4;
  constexpr std::string_view length_header = "\r\nContent-Length: ";
  const std::size_t length_at = response.find(length_header);
  REQUIRE(length_at < body_at);
  std::size_t length = 0;
  const char* digits = response.data() + length_at + length_header.size();
  REQUIRE(std::from_chars(digits, response.data() + body_at, length).ec == std::errc{});
  if (response.size() < body_at + length) response += c.read_at_least(body_at + length - response.size());
  REQUIRE(response.size() == body_at + length);
  return response;
}

// A text/plain response of the server, with its Content-Length.
inline std::string text_response(std::string_view status, std::string_view body, bool close) {
  return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + std::string(body);
}

// The head of a chunked response closing its connection.
inline std::string chunked_head_close(std::string_view content_type) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(content_type) +
         "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
}

// `bytes` as one HTTP chunk.
inline std::string chunk(std::string_view bytes) {
  char size[16];
  const char* end = std::to_chars(size, size + sizeof size, bytes.size(), 16).ptr;
  return std::string(size, static_cast<std::size_t>(end - size)) + "\r\n" + std::string(bytes) + "\r\n";
}

// The server's /stats.
inline nlohmann::json stats_of(server_process& server) {
  const std::string response = exchange(server.port(), "GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n");
  return nlohmann::json::parse(split_response(response).second);
}

// /stats once `settled` holds for it, or when `limit` (the wait limit unless said) is reached.
template <class Settled>
nlohmann::json settled_stats(server_process& server, Settled settled, steady::duration limit = wait_limit) {
  const auto deadline = steady::now() + limit;
  nlohmann::json stats = stats_of(server);
  while (!settled(stats) && steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
    stats = stats_of(server);
  }
  return stats;
}

// The text of /numbers?length=`length`.
inline std::string numbers_text(long long length) {
  return iterjson::to_string(lazy_numbers(static_cast<std::size_t>(length)));
}

inline constexpr std::string_view pong = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\npong";
inline constexpr std::string_view ping_request = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
inline constexpr std::string_view chunked_json_head =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
inline constexpr std::string_view chunked_json_head_close =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

// How /feed frames its rows: each record of a stream between `prefix` and `suffix`, or
// with no suffix, one array.
struct feed_format {
  std::string_view name;
  std::string_view content_type;
  std::string_view prefix;
  std::string_view suffix;
};

inline constexpr feed_format feed_formats[] = {
    {"ndjson", "application/x-ndjson", "", "\n"},
    {"sse", "text/event-stream", "data: ", "\n\n"},
    {"json-seq", "application/json-seq", "\x1E", "\n"},
    {"array", "application/json", "", ""},
};

// The values of "time_ms" in `text`, in order.
inline std::vector<std::int64_t> feed_times(std::string_view text) {
  constexpr std::string_view key = "\"time_ms\":";
  std::vector<std::int64_t> times;
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at)) {
    at += key.size();
    std::int64_t time = 0;
    REQUIRE(std::from_chars(text.data() + at, text.data() + text.size(), time).ec == std::errc{});
    times.push_back(time);
  }
  return times;
}

// The chunked body of a /feed response with rows made at `times`: a chunk per row, each
// sent as it was made, then the last chunk.
inline std::string feed_body(const feed_format& format, const std::vector<std::int64_t>& times) {
  std::string body;
  for (std::size_t seq = 0; seq != times.size(); ++seq) {
    const std::string row = "{\"seq\":" + std::to_string(seq) + ",\"time_ms\":" + std::to_string(times[seq]) + "}";
    if (!format.suffix.empty()) {
      body += chunk(std::string(format.prefix) + row + std::string(format.suffix));
    } else {
      body += chunk((seq == 0 ? "[" : ",") + row + (seq + 1 == times.size() ? "]" : ""));
    }
  }
  return body + "0\r\n\r\n";
}

inline constexpr std::string_view unknown_session = "unknown or expired session: start again with /longpoll/start\n";

// Starts a long-poll session over /numbers?length=`length`; its key, from an answer
// checked whole.
inline std::string start_session(server_process& server, long long length) {
  const std::string response = exchange(
      server.port(), "GET /longpoll/start?length=" + std::to_string(length) + " HTTP/1.1\r\nConnection: close\r\n\r\n");
  constexpr std::string_view prefix = "{\"session\":\"";
  const std::string body = split_response(response).second;
  REQUIRE_MESSAGE((body.starts_with(prefix) && body.size() == prefix.size() + 32 + 2), response);
  const std::string key = body.substr(prefix.size(), 32);
  CHECK(key.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(response ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 46\r\nCache-Control: no-store\r\n"
        "Location: /longpoll/next?session=" + key + "\r\nConnection: close\r\n\r\n{\"session\":\"" + key + "\"}");
  return key;
}

// The answer to /longpoll/next with `piece`.
inline std::string piece_response(std::string_view piece, bool done) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(piece.size()) + "\r\nCache-Control: no-store\r\nX-Iterjson-Done: " + (done ? "true" : "false") +
         "\r\n\r\n" + std::string(piece);
}

// Polls session `key` once on the kept-alive connection `c`; the whole response.
inline std::string poll_session(client& c, std::string_view key) {
  c.send("GET /longpoll/next?session=" + std::string(key) + " HTTP/1.1\r\n\r\n");
  return read_response(c);
}

// Polls session `key` until done, checking each answer; the text the pieces make.
inline std::string poll_to_end(client& c, std::string_view key) {
  constexpr std::size_t piece_size = 64 * 1024;
  std::string text;
  for (;;) {
    const std::string response = poll_session(c, key);
    const std::string piece = split_response(response).second;
    const bool done = piece.size() < piece_size;  // no test document is a multiple of it
    CHECK(response == piece_response(piece, done));
    text += piece;
    if (done) return text;
    REQUIRE(text.size() < 64 * 1024 * 1024);
  }
}

// The server still answers a new connection.
inline void check_still_serving(server_process& server) {
  REQUIRE(server.alive());
  client c(server.port());
  c.send(ping_request);
  CHECK(c.read_at_least(pong.size()) == pong);
}

}  // namespace iterjson::testing
