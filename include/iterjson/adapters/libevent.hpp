#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <cerrno>
#include <cstddef>
#include <new>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "iterjson/adapters/posix.hpp"
#include "iterjson/driver.hpp"

namespace iterjson {

/// A `stream_driver` on a libevent 2.1 socket `bufferevent`, without copying: each block
/// goes into the output buffer with `evbuffer_add_reference`, and is reported written
/// once libevent has written and dropped it.
///
/// ```cpp
/// bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
/// auto stream = std::make_unique<iterjson::libevent_stream>(bev);
/// stream->driver().start(iterjson::encoder(rows), on_end);
/// ```
///
/// - A socket bufferevent, with or without `BEV_OPT_DEFER_CALLBACKS`: libevent 2.1 runs
///   its callbacks from the loop only, never from inside `evbuffer_add_reference` or
///   `event_active`, so the driver is never called back from inside its own calls either
///   way (the socket tests run both). Deferring is still the better choice, as each
///   callback then runs on its own, after the I/O of the pass. A filtering bufferevent
///   (`bufferevent_filter_new`, OpenSSL's) can run the write callback from inside an add,
///   without deferral, and libevent 2.1 offers no public way to read a bufferevent's
///   options: it is not supported.
/// - The stream takes over the write and event callbacks and the write watermarks while
///   it lives, and restores the caller's in its destructor; the caller's read callback
///   keeps running, with the caller's argument. Do not call `bufferevent_setcb` meanwhile.
///   During a stream, an error, an end of input or a timeout ends the stream, and its
///   completion handler is the one told; every other event, and all of them between
///   streams, go to the caller's event callback. Errors are in `std::system_category()`:
///   `EPIPE`, `ECONNRESET` and such for `BEV_EVENT_ERROR`; `EPIPE` for `BEV_EVENT_EOF`,
///   a peer that closed the connection, as the driver documents for every loop;
///   `ETIMEDOUT` for `BEV_EVENT_TIMEOUT`.
/// - libevent writes with `writev`, which raises SIGPIPE when the peer has gone: the
///   process must ignore SIGPIPE, so that the write fails with `EPIPE` instead.
/// - The bufferevent stays the caller's. Destroy the stream first, then free the
///   bufferevent, from the loop's thread: `bufferevent_free` frees the buffers only later,
///   from the loop. Destroying the stream while its bytes wait in the output buffer
///   (after `stop()` or an error) empties that buffer, whose bytes are the driver's: the
///   connection is then fit only for closing.
class libevent_stream final : public byte_sink {
 public:
  /// Streams to `bev`. If the bufferevent has its socket already, it is prepared with
  /// `prepare_stream_fd` (non-blocking, as libevent needs it, and no Nagle). Throws what
  /// `stream_driver`'s constructor throws, or `std::bad_alloc` if libevent cannot
  /// allocate the turn event (without exceptions, aborts); `bev` is then left as it was.
  explicit libevent_stream(bufferevent* bev, const stream_options& opts = {}) : bev_(bev), driver_(*this, opts) {
    turn_ = event_new(bufferevent_get_base(bev), -1, 0, on_turn, this);
    if (turn_ == nullptr) detail::on_out_of_memory("libevent could not allocate a stream's turn event");
    bufferevent_getcb(bev, &read_cb_, &write_cb_, &event_cb_, &cbarg_);
    bufferevent_getwatermark(bev, EV_WRITE, &write_low_, &write_high_);
    bufferevent_setcb(bev, read_cb_ != nullptr ? forward_read : nullptr, on_write, on_event, this);
    // The write callback comes once half the window went out: by then whole blocks were
    // released, so the driver refills in large steps while the rest keeps the socket
    // busy. It comes after every write that leaves this little or less, down to an empty
    // buffer, so released bytes are always reported in the end.
    bufferevent_setwatermark(bev, EV_WRITE, opts.high_water / 2, 0);
    if (const evutil_socket_t fd = bufferevent_getfd(bev); fd >= 0) prepare_stream_fd(fd);
  }

  libevent_stream(const libevent_stream&) = delete;
  libevent_stream& operator=(const libevent_stream&) = delete;

  ~libevent_stream() {
    // Deferred callbacks read the bufferevent's callbacks when they run: none reaches us.
    bufferevent_setcb(bev_, read_cb_, write_cb_, event_cb_, cbarg_);
    bufferevent_setwatermark(bev_, EV_WRITE, write_low_, write_high_);
    event_free(turn_);
    if (in_flight_ != 0) drop_output();
  }

  [[nodiscard]] stream_driver& driver() noexcept { return driver_; }
  [[nodiscard]] bufferevent* bev() const noexcept { return bev_; }

  write_result write(std::span<const std::string_view> blocks) override {
    evbuffer* output = bufferevent_get_output(bev_);
    for (const std::string_view block : blocks) {
      if (block.empty()) continue;  // an empty chain could be freed at once, or never
      // Fails only for want of memory; the blocks added before still go out.
      if (evbuffer_add_reference(output, block.data(), block.size(), on_released, this) != 0) {
        return {0, {ENOMEM, std::system_category()}};
      }
      in_flight_ += block.size();
    }
    return {};
  }

  // The turn runs after the callbacks already active. libevent 2.1 polls again only once
  // its active queue is empty, so a stream may take several turns before the next poll:
  // as many as its high-water mark allows, then it waits for the socket.
  void request_turn() override { event_active(turn_, EV_TIMEOUT, 0); }

 private:
  // libevent dropped a block, in order: written, or its buffer emptied. This runs inside
  // libevent's buffer code, so it only counts; the write callback reports.
  static void on_released(const void*, std::size_t size, void* self) noexcept {
    auto& stream = *static_cast<libevent_stream*>(self);
    stream.in_flight_ -= size;
    stream.released_ += size;
  }

  static void on_write(bufferevent*, void* self) {
    auto& stream = *static_cast<libevent_stream*>(self);
    const std::size_t written = std::exchange(stream.released_, 0);
    if (written != 0) stream.driver_.on_written(written);  // last: it may destroy us
  }

  static void on_event(bufferevent* bev, short what, void* self) {
    auto& stream = *static_cast<libevent_stream*>(self);
    const std::error_code error = peer_error(what);
    if (!error || !stream.driver_.active()) {
      if (stream.event_cb_ != nullptr) stream.event_cb_(bev, what, stream.cbarg_);
      return;
    }
    stream.driver_.on_peer_error(error);  // last: it may destroy us
  }

  static void forward_read(bufferevent* bev, void* self) {
    auto& stream = *static_cast<libevent_stream*>(self);
    stream.read_cb_(bev, stream.cbarg_);
  }

  static void on_turn(evutil_socket_t, short, void* self) { static_cast<libevent_stream*>(self)->driver_.on_turn(); }

  // errno is the failed call's: libevent sets it again before a deferred event callback,
  // and runs a direct one right after the call.
  static std::error_code peer_error(short what) noexcept {
    if ((what & BEV_EVENT_ERROR) != 0) {
      const int code = EVUTIL_SOCKET_ERROR();
      return {code != 0 ? code : EIO, std::system_category()};  // never a success
    }
    if ((what & BEV_EVENT_EOF) != 0) return {EPIPE, std::system_category()};  // closed, not reset
    if ((what & BEV_EVENT_TIMEOUT) != 0) return {ETIMEDOUT, std::system_category()};
    return {};
  }

  // The driver's bytes must leave the output buffer before the driver dies. Draining runs
  // their cleanups now. A socket bufferevent freezes the front of its output buffer
  // outside its own writes, which makes the first drain fail.
  void drop_output() noexcept {
    evbuffer* output = bufferevent_get_output(bev_);
    const std::size_t length = evbuffer_get_length(output);
    if (evbuffer_drain(output, length) == 0) return;
    evbuffer_unfreeze(output, 1);
    evbuffer_drain(output, length);
    evbuffer_freeze(output, 1);
  }

  bufferevent* bev_;
  event* turn_ = nullptr;
  bufferevent_data_cb read_cb_ = nullptr;  // the caller's callbacks, restored at the end
  bufferevent_data_cb write_cb_ = nullptr;
  bufferevent_event_cb event_cb_ = nullptr;
  void* cbarg_ = nullptr;
  std::size_t write_low_ = 0;
  std::size_t write_high_ = 0;
  std::size_t in_flight_ = 0;  // bytes in the output buffer, the driver's memory
  std::size_t released_ = 0;   // dropped by libevent, not yet reported
  stream_driver driver_;
};

}  // namespace iterjson
