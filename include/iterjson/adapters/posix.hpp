#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "iterjson/driver.hpp"

namespace iterjson {

/// Makes `fd` non-blocking and, if it is a TCP socket, turns off Nagle's algorithm:
/// the driver already gathers text into blocks, and Nagle would only hold back the last.
inline std::error_code prepare_stream_fd(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags == -1 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) return {errno, std::system_category()};
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails harmlessly on other fds
  return {};
}

/// A `stream_driver` on a non-blocking file descriptor, for any loop built on poll or
/// epoll, a hand-written one included. Writes go out with `sendmsg(MSG_NOSIGNAL)`, so a
/// closed peer is `EPIPE`, not SIGPIPE (with `writev` on an fd that is not a socket,
/// where the process must ignore SIGPIPE itself). `EPIPE` and `ECONNRESET` end the
/// stream as the peer's error.
///
/// The loop's part, on each pass:
/// - poll the fd while `wants_poll()`: for `POLLOUT` while `wants_writable()`, else for no
///   event at all, since poll reports `POLLERR` and `POLLHUP` unasked. A paused stream
///   still learns that its peer went away, and a stream that ended is no longer polled,
///   so a hung-up fd does not make poll return at once, pass after pass;
/// - call `on_hangup()` when poll reports `POLLERR` or `POLLHUP`, else `on_writable()`
///   when it reports `POLLOUT`;
/// - call `on_turn()` when `wants_turn()`, after the other ready events (poll with a
///   zero timeout while any stream wants a turn).
///
/// With epoll, which also reports `EPOLLERR` and `EPOLLHUP` unasked, remove the fd from
/// the set once `wants_poll()` turns false.
///
/// The fd stays the caller's: the stream neither closes it nor reads from it. A peer
/// that closes without a reset is no hang-up until a write fails, but an end of file for
/// the caller's reads: report it with `driver().on_peer_error(std::error_code(EPIPE,
/// std::system_category()))`. Destroy the stream before closing the fd, from the loop's
/// thread.
class posix_stream final : public byte_sink {
 public:
#if ITERJSON_DETAIL_EXCEPTIONS
  /// Prepares `fd` with `prepare_stream_fd`; throws `std::system_error` if it cannot.
  explicit posix_stream(int fd, const stream_options& opts = {}) : fd_(fd), driver_(*this, opts) {
    if (const std::error_code error = prepare_stream_fd(fd)) throw std::system_error(error, "iterjson::posix_stream");
  }
#endif
  /// Prepares `fd` with `prepare_stream_fd`, and sets `error` if it cannot; the stream
  /// must then not be used. The one form without exceptions.
  posix_stream(int fd, std::error_code& error, const stream_options& opts = {}) : fd_(fd), driver_(*this, opts) {
    error = prepare_stream_fd(fd);
  }

  [[nodiscard]] stream_driver& driver() noexcept { return driver_; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// True while the fd must be polled: a stream is under way, or bytes wait to be written.
  [[nodiscard]] bool wants_poll() const noexcept { return driver_.active() || !unwritten_.empty(); }
  /// True while bytes wait for the fd to become writable.
  [[nodiscard]] bool wants_writable() const noexcept { return !unwritten_.empty(); }
  [[nodiscard]] bool wants_turn() const noexcept { return turn_wanted_; }
  /// Bytes handed over by the driver and not yet written to the fd.
  [[nodiscard]] std::size_t bytes_waiting() const noexcept {
    std::size_t bytes = 0;
    for (const std::string_view block : unwritten_) bytes += block.size();
    return bytes;
  }

  /// The fd is in error or hung up (`POLLERR`, `POLLHUP`): nothing more goes out, and the
  /// stream ends with the socket's pending error (`SO_ERROR`), or `EPIPE` if it has none.
  void on_hangup() {
    unwritten_.clear();
    driver_.on_peer_error(pending_error());
  }

  /// The fd is writable: writes what waits, reporting to the driver.
  void on_writable() {
    if (unwritten_.empty()) return;
    const write_result result = write_now(unwritten_);
    consume(result.written);
    if (result.error) {
      unwritten_.clear();  // the stream is over: nothing more goes out
      return driver_.on_peer_error(result.error);
    }
    if (result.written != 0) driver_.on_written(result.written);
  }

  /// The turn asked for: the driver produces its next blocks.
  void on_turn() {
    turn_wanted_ = false;
    driver_.on_turn();
  }

  write_result write(std::span<const std::string_view> blocks) override {
    if (!unwritten_.empty()) {  // keep the order: after what waits for writable
      unwritten_.insert(unwritten_.end(), blocks.begin(), blocks.end());
      return {};
    }
    const write_result result = write_now(blocks);
    if (!result.error) {
      unwritten_.assign(blocks.begin(), blocks.end());
      consume(result.written);
    }
    return result;
  }

  void request_turn() override { turn_wanted_ = true; }

 private:
  // One sendmsg (or writev) of as many blocks as one call takes. EAGAIN writes nothing.
  write_result write_now(std::span<const std::string_view> blocks) {
    iovec parts[64];
    const std::size_t count = std::min(blocks.size(), std::size(parts));
    for (std::size_t i = 0; i != count; ++i) parts[i] = {const_cast<char*>(blocks[i].data()), blocks[i].size()};
    ssize_t n = -1;
    if (is_socket_) {
      msghdr message{};
      message.msg_iov = parts;
      message.msg_iovlen = count;
      do n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
      while (n == -1 && errno == EINTR);
      if (n == -1 && errno == ENOTSOCK) is_socket_ = false;
    }
    if (!is_socket_) {
      do n = ::writev(fd_, parts, static_cast<int>(count));
      while (n == -1 && errno == EINTR);
    }
    if (n >= 0) return {static_cast<std::size_t>(n), {}};
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
    return {0, {errno, std::system_category()}};
  }

  // A hang-up may leave no pending error: a read or write took it already, or the fd is a
  // pipe. The peer is gone all the same, and the next write would fail with EPIPE.
  [[nodiscard]] std::error_code pending_error() const noexcept {
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error == 0) error = EPIPE;
    return {error, std::system_category()};
  }

  // Drops the first `bytes` of what waits.
  void consume(std::size_t bytes) {
    auto it = unwritten_.begin();
    for (; it != unwritten_.end() && bytes >= it->size(); ++it) bytes -= it->size();
    if (it != unwritten_.end()) it->remove_prefix(bytes);
    unwritten_.erase(unwritten_.begin(), it);
  }

  int fd_;
  bool is_socket_ = true;
  bool turn_wanted_ = false;
  std::vector<std::string_view> unwritten_;  // handed over, not yet written: the driver's memory
  stream_driver driver_;
};

}  // namespace iterjson
