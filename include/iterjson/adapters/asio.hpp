#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
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

/// How `iterjson::async_write` writes a text.
struct async_write_options {
  /// Bytes per write, framing included: the text is gathered into a block of this size,
  /// written when full, at the end, or when a source has nothing more yet.
  std::size_t block_size = 16 * 1024;
  /// `http_chunked`: one HTTP/1.1 chunk per block, and the last chunk at the end only
  /// when the text is complete.
  transfer_framing framing = transfer_framing::none;
};

namespace detail {

// A wake of the encoder, carried to the write's executor: a wait is a timer set never to
// expire, which a wake cancels; a wake that comes while a write is under way is kept.
struct asio_wake_signal {
  explicit asio_wake_signal(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool waiting = false;
  bool woken = false;
};

// The composed operation of iterjson::async_write: fill a block, write it, again; one
// write in flight, and a timer to wait on a source.
template <class AsyncWriteStream>
class asio_write_op {
 public:
  asio_write_op(AsyncWriteStream& stream, encoder text, const async_write_options& opts)
      : stream_(stream),
        text_(std::move(text)),
        options_(opts),
        header_room_(opts.framing == transfer_framing::http_chunked ? http_chunked::header_room(opts.block_size) : 0),
        trailer_room_(opts.framing == transfer_framing::http_chunked
                          ? http_chunked::chunk_end.size() + http_chunked::last_chunk.size()
                          : 0),
        block_(std::make_unique<char[]>(opts.block_size)),
        signal_(std::make_shared<asio_wake_signal>(stream.get_executor())) {
    if (opts.block_size <= header_room_ + trailer_room_) {
      on_misuse<std::invalid_argument>("iterjson::async_write_options: block_size must hold some text");
    }
  }

  // Starts: the source's wakes are posted to the stream's executor.
  template <class Self>
  void operator()(Self& self) {
    text_.on_wake([signal = std::weak_ptr(signal_), executor = stream_.get_executor()] {
      asio::post(executor, [signal] {
        const auto s = signal.lock();
        if (!s) return;  // the write has ended
        s->woken = true;
        if (s->waiting) s->timer.cancel();
      });
    });
    produce(self);
  }

  // A write ended.
  template <class Self>
  void operator()(Self& self, std::error_code error, std::size_t bytes) {
    written_ += bytes;
    if (error || text_ended_) return finish(self, error);
    produce(self);
  }

  // A wait ended: the source woke the encoder, or the operation was cancelled.
  template <class Self>
  void operator()(Self& self, std::error_code) {
    signal_->waiting = false;
    produce(self);
  }

 private:
  template <class Self>
  void produce(Self& self) {
    if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
      return finish(self, asio::error::operation_aborted);
    }
    signal_->woken = false;
    char* const payload = block_.get() + header_room_;
    char* const end = block_.get() + options_.block_size - trailer_room_;
    char* fill = payload;
    while (fill != end) {
      fill += read_into(fill, static_cast<std::size_t>(end - fill));
      if (text_.failed()) return finish(self, text_.error());
      if (text_.done()) {
        text_ended_ = true;
        break;
      }
      if (text_.waiting()) break;
    }
    if (fill == payload && !text_ended_) return wait(self);
    write(self, payload, fill);
  }

  // Nothing to write yet: the operation waits until the source wakes the encoder. (A
  // wake is posted, so none can come between the read that found nothing and this.)
  template <class Self>
  void wait(Self& self) {
    signal_->waiting = true;
    signal_->timer.expires_at(std::chrono::steady_clock::time_point::max());
    signal_->timer.async_wait(std::move(self));
  }

  std::size_t read_into(char* at, std::size_t size) {
#if ITERJSON_DETAIL_EXCEPTIONS
    try {
      return text_.read(at, size);
    } catch (...) {
      return 0;  // the encoder is failed() now and knows why
    }
#else
    return text_.read(at, size);
#endif
  }

  // The block's text, framed, and the last chunk after the text's end.
  template <class Self>
  void write(Self& self, char* begin, char* end) {
    if (options_.framing == transfer_framing::http_chunked) {
      if (end != begin) {
        begin = http_chunked::write_header_before(begin, static_cast<std::size_t>(end - begin));
        end = std::copy(http_chunked::chunk_end.begin(), http_chunked::chunk_end.end(), end);
      }
      if (text_ended_) end = std::copy(http_chunked::last_chunk.begin(), http_chunked::last_chunk.end(), end);
    }
    asio::async_write(stream_, asio::buffer(begin, static_cast<std::size_t>(end - begin)), std::move(self));
  }

  // The encoder goes first, and what it owns; then the handler.
  template <class Self>
  void finish(Self& self, std::error_code error) {
    text_ = encoder();
    block_.reset();
    if (error.category() == asio::system_category()) error = std::error_code(error.value(), std::system_category());
    self.complete(error, written_);
  }

  AsyncWriteStream& stream_;
  encoder text_;
  async_write_options options_;
  std::size_t header_room_;
  std::size_t trailer_room_;
  std::unique_ptr<char[]> block_;
  std::shared_ptr<asio_wake_signal> signal_;
  std::size_t written_ = 0;
  bool text_ended_ = false;
};

}  // namespace detail

/// Writes the text of `text` to `stream`, any `AsyncWriteStream` of standalone Asio, as
/// a composed operation taking any completion token: a callback, `asio::use_awaitable`,
/// `asio::use_future`, `asio::experimental::deferred`.
///
/// ```cpp
/// co_await asio::async_write(socket, asio::buffer(head), asio::use_awaitable);
/// co_await iterjson::async_write(socket, iterjson::encoder(std::move(rows)), asio::use_awaitable);
/// ```
///
/// The text is gathered into blocks of `block_size` and written a block per write, one
/// write in flight: a slow reader holds one block. When the encoder waits on a source
/// with nothing yet, what was gathered is written, then the operation waits, without
/// blocking the thread, until the source wakes the encoder (the wake is posted to the
/// stream's executor, which must be the one that runs the operation). `framing` wraps
/// the blocks as HTTP/1.1 chunks; a stream of values (`ndjson`, `json_seq`,
/// `server_sent_events`) is an encoder like any other, each record reaching the reader
/// by the time its source waits.
///
/// Completes once with an error and the bytes written, framing included: no error; the
/// stream's (a peer that went away: `connection_reset`, `broken_pipe`, in
/// `std::system_category()` as the other adapters report it); the encoder's `error()`;
/// or `operation_aborted` once cancelled through the token's cancellation slot
/// (`asio::bind_cancellation_slot(signal.slot(), token)`, terminal cancellation). The
/// encoder is freed before the handler runs. The stream must outlive the operation.
/// Throws `std::invalid_argument` for a block too small for its framing.
template <class AsyncWriteStream, class CompletionToken>
auto async_write(AsyncWriteStream& stream, encoder text, CompletionToken&& token, const async_write_options& opts = {}) {
  return asio::async_compose<CompletionToken, void(std::error_code, std::size_t)>(
      detail::asio_write_op<AsyncWriteStream>(stream, std::move(text), opts), token, stream);
}

}  // namespace iterjson
