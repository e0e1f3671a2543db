#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <utility>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/optional.hpp>
#include <boost/system/errc.hpp>

#include "iterjson/detail/config.hpp"
#include "iterjson/encoder.hpp"

namespace iterjson {

/// A Boost.Beast *Body* whose value is an `encoder`: the text is made as Beast writes it,
/// `BlockSize` bytes at a time (`beast_body` is 16 KiB), and never held whole.
///
/// ```cpp
/// http::response<iterjson::beast_body> res{http::status::ok, 11};
/// res.body() = iterjson::encoder(std::move(rows));
/// res.chunked(true);
/// iterjson::beast_async_write(stream, res, handler);
/// ```
///
/// - **Blocks.** The writer owns one block. Each `get()` fills it from the encoder and
///   hands it to Beast's serializer, which writes it (one HTTP chunk per block when
///   chunked) before asking for the next, so one response holds one block of text
///   however slowly its client reads: Beast's own flow control is the backpressure.
/// - **Chunked or not.** The length of text made lazily is known only at its last byte,
///   so there is no `Content-Length` to send first. Chunked (`res.chunked(true)`, or
///   `prepare_payload()` on HTTP/1.1) is the normal way. With `chunked(false)` and no
///   `Content-Length`, a response ends where the connection ends, HTTP/1.0's way (RFC
///   9112, section 6.3): the writer marks it `Connection: close`, so `res.need_eof()` is
///   true and the server must close the connection after writing it, as Beast's servers
///   do. A request has no such way out: its write fails with `errc::invalid_argument`.
///   A `Content-Length` you set yourself is trusted.
/// - **A source with nothing yet** (`source.hpp`). The writer hands over what it has,
///   then answers Beast with `http::error::need_buffer`, Beast's "not yet": the
///   serializer keeps its place and the write completes with that error. Write with
///   `beast_async_write`, which takes that as "wait": it suspends the write, without
///   blocking the thread, until the source wakes the encoder, then goes on with the same
///   serializer. A plain `http::async_write` of a body whose source waits completes
///   with `need_buffer` instead.
/// - **Errors.** A failed encoder ends the write with its `error()` (an `encode_errc`,
///   or `encode_errc::exception_thrown` for a user's exception) and a chunked body
///   without its last chunk, so the client sees it cut short. A client that leaves ends
///   the write with the socket's error.
template <std::size_t BlockSize>
struct basic_beast_body {
  static_assert(BlockSize > 0, "a block must hold some text");
  using value_type = encoder;

  /// Beast's *BodyWriter*: made by the serializer, it pulls one block at a time.
  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool is_request, class Fields>
    writer(boost::beast::http::header<is_request, Fields>& head, value_type& text) : text_(text) {
      namespace http = boost::beast::http;
      bool chunked = false;
      for (const auto& coding : http::token_list{head[http::field::transfer_encoding]}) {
        chunked = boost::beast::iequals(coding, "chunked");  // the last coding counts
      }
      if (chunked || head.count(http::field::content_length) != 0) return;
      if constexpr (is_request) {
        unframed_request_ = true;
      } else {
        head.set(http::field::connection, "close");  // the body ends with the connection
      }
    }

    void init(boost::beast::error_code& ec) {
      ec = {};
      if (unframed_request_) ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    }

    /// The next block, and whether more follows; none at the end. `need_more` (before
    /// the first block: the head goes out alone) or `need_buffer` when the source has
    /// nothing yet; the encoder's error when it failed.
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (!block_) block_ = std::make_unique<char[]>(BlockSize);
      std::size_t size = 0;
#if ITERJSON_DETAIL_EXCEPTIONS
      try {
        size = text_.read(block_.get(), BlockSize);
      } catch (...) {
        // The encoder recorded what failed; the exception itself ends here.
      }
#else
      size = text_.read(block_.get(), BlockSize);
#endif
      if (text_.failed()) {
        ec = text_.error();
        return boost::none;
      }
      const bool first = !started_;
      started_ = true;
      if (size != 0) return std::make_pair(const_buffers_type(block_.get(), size), !text_.done());
      if (!text_.waiting()) return boost::none;  // the text has ended
      ec = first ? boost::beast::http::error::need_more : boost::beast::http::error::need_buffer;
      return boost::none;
    }

   private:
    value_type& text_;
    std::unique_ptr<char[]> block_;  // the block handed to Beast; valid until the next get()
    bool started_ = false;
    bool unframed_request_ = false;
  };
};

/// The Body to use: blocks of 16 KiB.
using beast_body = basic_beast_body<16 * 1024>;

namespace detail {

// A wake of the encoder, carried to the write's executor: the write waits on `timer`
// (set to never expire) and a wake cancels it. A wake that comes while the write is
// still under way is remembered in `woken`, so that it is not lost.
struct beast_wake_signal {
  explicit beast_wake_signal(const boost::asio::any_io_executor& executor) : timer(executor) {}
  boost::asio::steady_timer timer;
  bool waiting = false;
  bool woken = false;
};

template <class Stream, bool is_request, std::size_t BlockSize, class Fields>
class beast_write_op {
 public:
  using message = boost::beast::http::message<is_request, basic_beast_body<BlockSize>, Fields>;
  using serializer = boost::beast::http::serializer<is_request, basic_beast_body<BlockSize>, Fields>;

  beast_write_op(Stream& stream, message& msg)
      : stream_(stream),
        message_(msg),
        serializer_(std::make_unique<serializer>(msg)),
        signal_(std::make_shared<beast_wake_signal>(stream.get_executor())) {}

  template <class Self>
  void operator()(Self& self) {
    message_.body().on_wake([signal = std::weak_ptr(signal_), executor = stream_.get_executor()] {
      boost::asio::post(executor, [signal] {
        const auto s = signal.lock();
        if (!s) return;  // the write has ended
        s->woken = true;
        if (s->waiting) s->timer.cancel();
      });
    });
    write(self);
  }

  // A write of the serializer ended: the body is complete, failed, or waits.
  template <class Self>
  void operator()(Self& self, boost::beast::error_code ec, std::size_t bytes) {
    bytes_ += bytes;
    if (ec != boost::beast::http::error::need_buffer) return finish(self, ec);
    if (signal_->woken) return write(self);  // woken while the write was under way
    signal_->waiting = true;
    signal_->timer.expires_at(std::chrono::steady_clock::time_point::max());
    signal_->timer.async_wait(std::move(self));
  }

  // The source woke the encoder (the timer was cancelled): the write goes on.
  template <class Self>
  void operator()(Self& self, boost::beast::error_code) {
    signal_->waiting = false;
    write(self);
  }

 private:
  template <class Self>
  void write(Self& self) {
    signal_->woken = false;
    boost::beast::http::async_write(stream_, *serializer_, std::move(self));
  }

  // The encoder goes now, and with it the value it owns: a client that left costs
  // nothing more.
  template <class Self>
  void finish(Self& self, boost::beast::error_code ec) {
    message_.body() = encoder();
    serializer_.reset();
    const std::size_t bytes = bytes_;
    self.complete(ec, bytes);
  }

  Stream& stream_;
  message& message_;
  std::unique_ptr<serializer> serializer_;
  std::shared_ptr<beast_wake_signal> signal_;
  std::size_t bytes_ = 0;
};

}  // namespace detail

/// Writes a message whose body is a `basic_beast_body` to `stream` (a `beast::tcp_stream`,
/// a socket, an `ssl_stream`...), as `http::async_write` does, with one difference: when
/// the encoder waits on a source that has nothing yet, the write is suspended, without
/// blocking the thread, until the source wakes the encoder, and then goes on.
///
/// Completes with the bytes written, head included, and an error: none; the stream's
/// (a client that left: `connection_reset`, `broken_pipe`); the encoder's `error()`.
/// Either way the body's encoder is freed before the handler runs (`msg.body()` is then
/// an empty encoder). Any completion token of Boost.Asio works: a callback,
/// `use_awaitable`, `use_future`, `deferred`.
///
/// `msg` must outlive the operation; the stream is used from its executor, which must
/// be the thread, or strand, that runs the write (the source's wake is posted to it).
/// If `need_eof()` is true afterwards (a body sent unchunked, without a length), close
/// the connection.
template <class Stream, bool is_request, std::size_t BlockSize, class Fields, class CompletionToken>
auto beast_async_write(Stream& stream, boost::beast::http::message<is_request, basic_beast_body<BlockSize>, Fields>& msg,
                       CompletionToken&& token) {
  return boost::asio::async_compose<CompletionToken, void(boost::beast::error_code, std::size_t)>(
      detail::beast_write_op<Stream, is_request, BlockSize, Fields>(stream, msg), token, stream);
}

}  // namespace iterjson
