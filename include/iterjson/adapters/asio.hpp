#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include "iterjson/driver.hpp"

namespace iterjson {

static_assert(std::is_same_v<asio::error_code, std::error_code>,
              "iterjson/adapters/asio.hpp needs standalone Asio, whose error_code is std::error_code");

/// A `stream_driver` on any `AsyncWriteStream` of standalone Asio (a TCP or Unix socket,
/// an `asio::ssl::stream`, ...). One `asio::async_write` is in flight at a time; blocks
/// handed over meanwhile go out together in the next one. Turns are `asio::post`ed to
/// the stream's executor, behind the handlers already queued. A failed write ends the
/// stream with its error: the peer's (`EPIPE`, `ECONNRESET`, ...), or `ECANCELED`
/// (Asio's `operation_aborted`) if the owner closed or cancelled the stream under it. Only
/// `driver().stop()` ends a stream without a completion. Errors of Asio's system category
/// are reported in `std::system_category()`, with the same value, because Asio 1.22's
/// own category does not compare equal to `std::errc` conditions: compare with
/// `std::errc::connection_reset`, `std::errc::operation_canceled`, not `asio::error::*`.
///
/// Lifetime: made by `create` and held by `std::shared_ptr`. Every pending handler holds
/// one too, so the stream, the driver and the bytes in flight live until the last handler
/// ran, whatever the owner does meanwhile; destroying the `io_context` destroys the
/// handlers, and with them the adapter. The owner keeps its pointer for as long as it
/// wants the stream (a paused stream has no handler pending), and may drop it from the
/// completion handler. To end a stream early: `driver().stop()`, then close the stream;
/// a write in flight ends as aborted, which a stopped driver ignores, and a posted turn
/// finds nothing to do. Closing without `stop()` ends the stream with `ECANCELED` if a
/// write was in flight, else with the error of the next write (once resumed, for a paused
/// stream).
///
/// The adapter neither reads from the stream nor closes it. Single-threaded like the
/// driver: use it from the stream's executor only, a strand if several threads run the
/// `io_context`.
template <class AsyncWriteStream>
class asio_stream final : public byte_sink, public std::enable_shared_from_this<asio_stream<AsyncWriteStream>> {
 public:
  /// Takes `stream` over and, if it is a TCP socket, turns off Nagle's algorithm: the
  /// driver already gathers text into blocks, and Nagle would only hold back the last.
  /// Throws `std::invalid_argument` for `opts` the driver refuses.
  [[nodiscard]] static std::shared_ptr<asio_stream> create(AsyncWriteStream stream, const stream_options& opts = {}) {
    return std::shared_ptr<asio_stream>(new asio_stream(std::move(stream), opts));
  }

  asio_stream(const asio_stream&) = delete;
  asio_stream& operator=(const asio_stream&) = delete;

  [[nodiscard]] stream_driver& driver() noexcept { return driver_; }
  /// The stream, to read from or to close; only the driver writes to it.
  [[nodiscard]] AsyncWriteStream& stream() noexcept { return stream_; }
  /// Bytes handed over by the driver and not yet reported written: the write under way
  /// and the blocks queued behind it.
  [[nodiscard]] std::size_t bytes_in_flight() const noexcept {
    return asio::buffer_size(in_flight_) + asio::buffer_size(queued_);
  }

  write_result write(std::span<const std::string_view> blocks) override {
    for (const std::string_view block : blocks) queued_.push_back(asio::buffer(block));
    if (in_flight_.empty()) write_queued();
    return {};
  }

  void request_turn() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->driver_.on_turn(); });
  }

 private:
  asio_stream(AsyncWriteStream stream, const stream_options& opts) : stream_(std::move(stream)), driver_(*this, opts) {
    if constexpr (requires {
                    requires std::same_as<typename AsyncWriteStream::lowest_layer_type::protocol_type, asio::ip::tcp>;
                  }) {
      std::error_code ignored;  // a socket not yet connected or open fails harmlessly
      stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    }
  }

  // The queued views become the write in flight. The span keeps async_write from copying
  // the buffer sequence; in_flight_ stays untouched until the write completes.
  void write_queued() {
    in_flight_.swap(queued_);
    queued_.clear();
    asio::async_write(stream_, std::span<const asio::const_buffer>(in_flight_),
                      [self = this->shared_from_this()](const std::error_code& error, std::size_t bytes) {
                        self->on_write_done(error, bytes);
                      });
  }

  // The driver is told last: its completion handler may drop the owner's pointer. An
  // aborted write is reported like any other: a driver that was stopped ignores it.
  void on_write_done(const std::error_code& error, std::size_t bytes) {
    in_flight_.clear();
    if (error) {
      queued_.clear();  // the stream is over: nothing more goes out
      return driver_.on_peer_error(error.category() == asio::system_category()
                                       ? std::error_code(error.value(), std::system_category())
                                       : error);
    }
    if (!queued_.empty()) write_queued();  // the socket is not left idle while the driver produces
    driver_.on_written(bytes);
  }

  AsyncWriteStream stream_;
  std::vector<asio::const_buffer> in_flight_;  // the one write under way: the driver's memory
  std::vector<asio::const_buffer> queued_;     // handed over since; they go out together next
  stream_driver driver_;
};

}  // namespace iterjson
