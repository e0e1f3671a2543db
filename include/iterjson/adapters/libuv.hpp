#pragma once

#include <uv.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "iterjson/driver.hpp"

namespace iterjson {

/// The category of libuv's error codes: the message is `uv_strerror`'s, and a code that is
/// an errno (all but a few such as `UV_EOF`) compares equal to it, so
/// `error == std::errc::broken_pipe` works. `UV_EOF`, a peer that closed the connection,
/// compares equal to `std::errc::broken_pipe`, as the driver documents for every loop.
inline const std::error_category& libuv_category() noexcept {
  struct category final : std::error_category {
    [[nodiscard]] const char* name() const noexcept override { return "libuv"; }
    [[nodiscard]] std::string message(int code) const override { return uv_strerror(-code); }
    [[nodiscard]] std::error_condition default_error_condition(int code) const noexcept override {
      if (code == -UV_EOF) return std::errc::broken_pipe;
      return std::generic_category().default_error_condition(code);
    }
  };
  static const category instance;
  return instance;
}

/// The `std::error_code` of a negative libuv status.
inline std::error_code libuv_error(int status) noexcept { return {-status, libuv_category()}; }

/// A `stream_driver` on a libuv stream (`uv_tcp_t`, `uv_pipe_t`, ...). Blocks go out with
/// `uv_try_write` and, for what that leaves, `uv_write`; the bytes queued in libuv are the
/// driver's own and count toward its high-water mark, so libuv's write queue stays
/// bounded. Turns run from an idle handle of the adapter's, after the loop polled for I/O.
/// TCP streams get `TCP_NODELAY`: the driver already coalesces.
///
/// The stream stays the caller's to read from: report a read error or end of file with
/// `driver().on_peer_error(libuv_error(status))`. Lifetime: end with `close()`, which
/// closes the stream and the adapter's handle; free both in its callback, not before.
class libuv_stream final : public byte_sink {
 public:
  /// Adapts `stream`, initialized and connected, on its loop.
  explicit libuv_stream(uv_stream_t* stream, const stream_options& opts = {}) : stream_(stream), driver_(*this, opts) {
    uv_idle_init(stream->loop, &idle_);
    idle_.data = this;
    if (stream->type == UV_TCP) uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(stream), 1);
  }

  libuv_stream(const libuv_stream&) = delete;
  libuv_stream& operator=(const libuv_stream&) = delete;

  [[nodiscard]] stream_driver& driver() noexcept { return driver_; }
  [[nodiscard]] uv_stream_t* stream() const noexcept { return stream_; }

  /// Stops the driver and closes the stream and the adapter's idle handle. Writes still
  /// queued end with `UV_ECANCELED`. `on_closed` runs once libuv is done with both: from
  /// then on nothing refers to the adapter or the stream, and both may be freed. The
  /// stream's `data` is the adapter's from this call on.
  void close(std::function<void()> on_closed) {
    driver_.stop();
    on_closed_ = std::move(on_closed);
    stream_->data = this;
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_), &on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(stream_), &on_handle_closed);
  }

  write_result write(std::span<const std::string_view> blocks) override {
    buffers_.clear();
    std::size_t total = 0;
    for (const std::string_view block : blocks) {
      buffers_.push_back(uv_buf_init(const_cast<char*>(block.data()), static_cast<unsigned>(block.size())));
      total += block.size();
    }
    int written = uv_try_write(stream_, buffers_.data(), static_cast<unsigned>(buffers_.size()));
    if (written == UV_EAGAIN) written = 0;
    if (written < 0) return {0, libuv_error(written)};
    const std::size_t done = static_cast<std::size_t>(written);
    if (done == total) return {done, {}};
    // The rest goes through uv_write, from the first byte not written.
    std::size_t first = 0;
    std::size_t skip = done;
    for (; skip >= buffers_[first].len; ++first) skip -= buffers_[first].len;
    buffers_[first].base += skip;
    buffers_[first].len -= static_cast<decltype(buffers_[first].len)>(skip);
    auto request = std::make_unique<write_request>(write_request{{}, total - done});
    request->request.data = this;
    const int status = uv_write(&request->request, stream_, buffers_.data() + first,
                                static_cast<unsigned>(buffers_.size() - first), &on_write_done);
    if (status < 0) return {done, libuv_error(status)};
    request.release();  // libuv's until on_write_done
    return {done, {}};
  }

  void request_turn() override {
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) uv_idle_start(&idle_, &on_idle);
  }

 private:
  struct write_request {
    uv_write_t request;
    std::size_t size;
  };

  static void on_idle(uv_idle_t* idle) {
    auto& self = *static_cast<libuv_stream*>(idle->data);
    uv_idle_stop(idle);
    self.driver_.on_turn();
  }

  static void on_write_done(uv_write_t* request, int status) {
    auto& self = *static_cast<libuv_stream*>(request->data);
    const std::size_t size = std::unique_ptr<write_request>(reinterpret_cast<write_request*>(request))->size;
    // UV_ECANCELED too: after close() the driver was stopped and ignores it.
    if (status < 0) return self.driver_.on_peer_error(libuv_error(status));
    self.driver_.on_written(size);
  }

  static void on_handle_closed(uv_handle_t* handle) {
    auto& self = *static_cast<libuv_stream*>(handle->data);
    if (++self.closed_handles_ != 2) return;
    std::function<void()> on_closed = std::move(self.on_closed_);
    if (on_closed) on_closed();
  }

  uv_stream_t* stream_;
  uv_idle_t idle_{};
  int closed_handles_ = 0;
  std::function<void()> on_closed_;
  std::vector<uv_buf_t> buffers_;  // reused: uv_write copies them
  stream_driver driver_;
};

}  // namespace iterjson
