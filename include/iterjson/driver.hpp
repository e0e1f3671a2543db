#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "iterjson/detail/outgoing_bytes.hpp"
#include "iterjson/encoder.hpp"
#include "iterjson/framing.hpp"

namespace iterjson {

/// What a sink's write did at once: the bytes it wrote, and the error that stopped it.
struct write_result {
  std::size_t written = 0;
  std::error_code error{};
};

/// Where a `stream_driver` writes: one connection of an event loop. An adapter implements
/// these two calls and reports back to the driver; `adapters/posix.hpp` is a complete
/// one of about a hundred lines.
///
/// The contract:
/// - `write(blocks)` starts writing `blocks`, in order, after all bytes given before. It
///   may write some at once, and says how many in `write_result::written`. The rest stays
///   valid, owned by the driver, until the adapter reports it with
///   `stream_driver::on_written(bytes)`, in order, from a callback of the loop. A write
///   error found at once goes in `write_result::error`; one found later is reported with
///   `stream_driver::on_peer_error(error)`. Either ends the stream.
/// - `request_turn()` asks the loop to call `stream_driver::on_turn()` soon, from a
///   callback of its own, after giving other events their turn (libuv's idle handle,
///   `asio::post`, an active libevent event, the next pass of a poll loop).
/// - Neither may call into the driver before returning. In turn, the driver calls `write`
///   only from `on_turn`, and the completion handler only from `on_turn`, `on_written` and
///   `on_peer_error`. `start`, `resume` and `flush` may call `request_turn()`, and nothing
///   else of the sink; `pause` and `stop` call nothing of it; none of the five runs the
///   completion handler.
/// - A sink whose peer goes away without a write failing (a read side that ends, say)
///   reports it with `on_peer_error` too. A peer that went away is reported as an error
///   equal to `std::errc::connection_reset` if it reset the connection, or
///   `std::errc::broken_pipe` if it closed it (an end of file, or a write that found it
///   gone); see `stream_end::error`.
/// - The driver must stay alive until every byte it handed over was reported or the
///   loop will never touch those bytes again (the connection is closed and its callbacks
///   have run).
class byte_sink {
 public:
  virtual write_result write(std::span<const std::string_view> blocks) = 0;
  virtual void request_turn() = 0;

 protected:
  byte_sink() = default;
  byte_sink(const byte_sink&) = default;
  byte_sink& operator=(const byte_sink&) = default;
  ~byte_sink() = default;
};

/// How the bytes of a stream are wrapped on the wire.
enum class transfer_framing {
  none,          ///< the text as it is
  http_chunked,  ///< one HTTP/1.1 chunk per block, and the last chunk at the end
};

/// How a `stream_driver` paces a stream. The defaults suit a TCP connection.
struct stream_options {
  /// Bytes per block, chunk framing included: text is gathered into blocks of this size
  /// and a block is written when full, at the end, or on `flush()`. Coalescing avoids
  /// tiny writes, tiny packets and tiny HTTP chunks.
  std::size_t block_size = 16 * 1024;
  /// The most bytes the driver holds at once: blocks handed to the sink and not yet
  /// reported written, plus the block being filled. At least `block_size`.
  std::size_t high_water = 64 * 1024;
  /// A turn gives the loop back control after producing this many bytes...
  std::size_t turn_bytes = 64 * 1024;
  /// ...or after this long, whichever comes first. Checked every `turn_step` bytes.
  std::chrono::nanoseconds turn_time = std::chrono::milliseconds(1);
  std::size_t turn_step = 4 * 1024;
  transfer_framing framing = transfer_framing::none;
  /// For a stream of values (`framing.hpp`): a turn that completed records hands its
  /// partial block to the sink too, so every record reaches the reader within a turn of
  /// being made, however slowly the next one comes.
  bool flush_records = true;
};

/// Error codes of a stream that did not end with its peer.
enum class stream_errc {
  encode_failed = 1,  ///< the encoder threw; `stream_end::exception` holds what
};

/// The category of `stream_errc`.
inline const std::error_category& stream_category() noexcept {
  struct category final : std::error_category {
    [[nodiscard]] const char* name() const noexcept override { return "iterjson.stream"; }
    [[nodiscard]] std::string message(int code) const override {
      return code == static_cast<int>(stream_errc::encode_failed) ? "the encoder failed" : "unknown stream error";
    }
  };
  static const category instance;
  return instance;
}

/// Makes a `std::error_code` of a `stream_errc`.
inline std::error_code make_error_code(stream_errc code) noexcept {
  return {static_cast<int>(code), stream_category()};
}

}  // namespace iterjson

template <>
struct std::is_error_code_enum<iterjson::stream_errc> : std::true_type {};

namespace iterjson {

/// How a stream ended, as its completion handler hears it, once.
struct stream_end {
  /// Empty when every byte was written; else `stream_errc::encode_failed`, or the error of
  /// the connection, in the loop's own category. Every adapter reports a peer that went
  /// away as an error equal to `std::errc::connection_reset` (it reset the connection) or
  /// `std::errc::broken_pipe` (it closed the connection: an end of file, or a write that
  /// found it gone). Other errors are the loop's: `std::errc::timed_out` for a libevent
  /// timeout, `std::errc::operation_canceled` for an Asio write aborted because the owner
  /// closed the socket without `stop()`.
  std::error_code error{};
  /// For `encode_failed`: the exception the encoder threw, an `encode_error` or a user's
  /// (null when built without exceptions).
  std::exception_ptr exception{};
  /// For `encode_failed`: the encoder's message, or the user's exception's, ending with
  /// the path as an `encode_error`'s does.
  std::string what{};
  /// For `encode_failed`: the RFC 6901 JSON Pointer of the value being written (empty
  /// for the root), whoever threw.
  std::string path{};

  [[nodiscard]] bool ok() const noexcept { return !error; }
  /// The error in words: the encoder's message for `encode_failed`.
  [[nodiscard]] std::string message() const {
    if (!what.empty()) return what;
    return error ? error.message() : "ok";
  }
};

/// What a driver has done so far; all of it since construction.
struct stream_stats {
  std::uint64_t text_bytes = 0;     ///< bytes of JSON text the encoders produced
  std::uint64_t bytes_written = 0;  ///< bytes the sink reported written, framing included
  std::uint64_t writes = 0;         ///< calls of `byte_sink::write`
  std::uint64_t turns = 0;          ///< calls of `on_turn` that produced
  std::uint64_t stalls = 0;         ///< times production stopped at the high-water mark
  std::uint64_t waits = 0;          ///< times production stopped at a source with nothing yet
  std::size_t bytes_held = 0;       ///< bytes held now: in flight plus the block being filled
  std::size_t peak_bytes_held = 0;  ///< the most ever held at once
  std::chrono::nanoseconds longest_turn{};
};

/// Drives an `encoder` into a `byte_sink` from an event loop, the way Twisted's
/// `cooperate` drives a producer: text is gathered into blocks, at most `high_water`
/// bytes are held at once, and each turn of the loop produces at most `turn_bytes`
/// bytes or `turn_time` before giving the loop back. A push producer: `pause()`,
/// `resume()`, `stop()`.
///
/// ```cpp
/// driver.start(iterjson::encoder(std::move(rows)), [](const iterjson::stream_end& end) {
///   if (!end.ok()) log(end.message());
/// });
/// ```
///
/// One stream at a time; once it ended, `start` may begin the next (a keep-alive HTTP
/// connection sends response after response). Single-threaded: call it from the loop's
/// thread only.
class stream_driver {
 public:
  using completion_handler = std::function<void(const stream_end&)>;

  /// A driver writing to `sink`, which must outlive it. Throws `std::invalid_argument`
  /// for a zero block or turn step, a block too small for its framing, or a high-water
  /// mark below one block.
  explicit stream_driver(byte_sink& sink, const stream_options& opts = {})
      : sink_(sink),
        options_(opts),
        out_(opts.block_size, opts.framing == transfer_framing::http_chunked,
             opts.block_size == 0 ? 0 : opts.high_water / opts.block_size) {
    if (opts.turn_step == 0 || out_.block_payload() == 0) {
      detail::on_misuse<std::invalid_argument>("iterjson::stream_options: block_size and turn_step must hold some text");
    }
    if (opts.high_water < opts.block_size) {
      detail::on_misuse<std::invalid_argument>("iterjson::stream_options: high_water must be at least block_size");
    }
  }

  stream_driver(const stream_driver&) = delete;
  stream_driver& operator=(const stream_driver&) = delete;

  /// Starts a stream: `prefix` (bytes written as they are, before the text and outside
  /// any framing, such as HTTP headers), then the text of `text`. Production begins on a
  /// turn the driver requests; `on_end` runs once when the stream ends, unless `stop()`
  /// comes first. Calls the sink's `request_turn()`, and nothing else of the sink. Throws
  /// `std::logic_error` while another stream is under way.
  void start(encoder text, completion_handler on_end, std::string_view prefix = {}) {
    if (state_ != state::idle) detail::on_misuse<std::logic_error>("iterjson::stream_driver: a stream is under way");
    encoder_.emplace(std::move(text));
    encoder_->on_wake([this] { on_source_woke(); });
    on_end_ = std::move(on_end);
    if (!prefix.empty()) out_.add_copy(prefix);
    state_ = state::producing;
    want_turn();
  }

  /// Stops producing until `resume()`. Bytes already handed to the sink still go out.
  void pause() noexcept { paused_ = true; }

  /// Produces again after `pause()`, from the next turn.
  void resume() {
    if (!paused_) return;
    paused_ = false;
    if (state_ == state::producing) want_turn();
  }

  /// Hands the block being filled to the sink on the next turn, even if not full.
  void flush() {
    if (state_ != state::producing) return;
    flush_ = true;
    want_turn();
  }

  /// Ends the stream for good, at once: nothing more is produced or written, and no
  /// handler runs, the completion handler included. Bytes already handed to the sink may
  /// still be written; their memory lives until reported or until the driver dies.
  void stop() noexcept {
    if (state_ == state::idle) return;
    end_stream();
    state_ = state::stopped;
  }

  /// True while a stream is under way: started, and neither ended nor stopped.
  [[nodiscard]] bool active() const noexcept { return state_ == state::producing || state_ == state::finishing; }
  [[nodiscard]] bool paused() const noexcept { return paused_; }
  [[nodiscard]] stream_stats stats() const noexcept {
    stream_stats now = stats_;
    now.bytes_written = out_.bytes_written();
    now.bytes_held = out_.held();
    now.peak_bytes_held = out_.peak_held();
    return now;
  }
  [[nodiscard]] const stream_options& options() const noexcept { return options_; }

  // --- called by the adapter, from loop callbacks ---------------------------------------

  /// A turn the driver requested: produces up to the turn's budget and the high-water
  /// mark, and hands what is ready to the sink in one write.
  void on_turn() {
    turn_requested_ = false;
    if (state_ != state::producing || paused_) return;
    ++stats_.turns;
    const auto began = clock::now();
    const std::uint64_t records_before = encoder_->records();
    std::size_t produced = 0;
    waiting_ = false;
    for (;;) {
      if (!out_.filling() && !start_block()) break;  // held bytes at the high-water mark
      const std::size_t room = std::min(options_.turn_step, out_.fill_room());
      std::size_t n = 0;
#if ITERJSON_DETAIL_EXCEPTIONS
      try {
        n = encoder_->read(out_.fill_position(), room);
      } catch (...) {
        return fail_encoding(std::current_exception());
      }
#else
      n = encoder_->read(out_.fill_position(), room);
      if (encoder_->failed()) return fail_encoding(nullptr);
#endif
      out_.filled(n);
      produced += n;
      stats_.text_bytes += n;
      if (encoder_->done()) {
        finish_text();
        break;
      }
      if (encoder_->waiting()) {  // parked until the source wakes the encoder
        waiting_ = true;
        ++stats_.waits;
        break;
      }
      if (out_.fill_room() == 0) out_.seal_block();
      if (produced >= options_.turn_bytes || clock::now() - began >= options_.turn_time) {
        want_turn();
        break;
      }
    }
    // What was made goes out now if asked, if the source has nothing more yet, or if it
    // completed records of a stream of values; else the block fills on.
    const bool records_done = options_.flush_records && encoder_ && encoder_->records() != records_before;
    if ((flush_ || waiting_ || records_done) && out_.block_has_text()) out_.seal_block();
    flush_ = false;
    stats_.longest_turn = std::max(stats_.longest_turn, std::chrono::nanoseconds(clock::now() - began));
    submit();
  }

  /// `bytes` more of the bytes handed to the sink were written, in order.
  void on_written(std::size_t bytes) {
    out_.written(bytes);
    after_release();
  }

  /// The peer failed or went away: the stream ends with `error`. Bytes in flight stay
  /// owned until reported or until the driver dies.
  void on_peer_error(std::error_code error) {
    if (!active()) return;
    end_with({error, nullptr});
  }

 private:
  using clock = std::chrono::steady_clock;
  enum class state { idle, producing, finishing, stopped };

  void want_turn() {
    if (turn_requested_) return;
    turn_requested_ = true;
    sink_.request_turn();
  }

  // A block is begun only when a whole one fits under the high-water mark, so the bytes
  // held never pass it.
  bool start_block() {
    if (out_.held() + options_.block_size > options_.high_water) {
      if (!awaiting_drain_) ++stats_.stalls;
      awaiting_drain_ = true;
      return false;
    }
    out_.begin_block();
    return true;
  }

  void finish_text() {
    if (out_.block_has_text()) {
      out_.seal_block();
    } else {
      out_.drop_block();
    }
    if (options_.framing == transfer_framing::http_chunked) out_.add_static(http_chunked::last_chunk);
    encoder_.reset();
    state_ = state::finishing;
  }

  // Hands every ready segment to the sink in one write.
  void submit() {
    if (!out_.has_ready()) {
      if (state_ == state::finishing && out_.held() == 0) succeed();
      return;
    }
    ++stats_.writes;
    const write_result result = sink_.write(out_.hand_over());
    out_.written(result.written);
    if (result.error) return on_peer_error(result.error);
    after_release();
  }

  // Bytes were written: the stream ends if they were the last, or production resumes
  // if it waited for room.
  void after_release() {
    if (state_ == state::finishing && out_.held() == 0) return succeed();
    if (awaiting_drain_ && out_.held() + options_.block_size <= options_.high_water) {
      awaiting_drain_ = false;
      if (state_ == state::producing) want_turn();
    }
  }

  [[gnu::cold]] void fail_encoding(std::exception_ptr exception) {
    std::string path(encoder_->error_path());
    std::string what(encoder_->error_message());
#if ITERJSON_DETAIL_EXCEPTIONS
    if (what.empty()) {  // a user's exception: its own words, and where
      try {
        std::rethrow_exception(exception);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
        what = "unknown exception";
      }
      what += " at \"" + path + "\"";
    }
#endif
    end_with({make_error_code(stream_errc::encode_failed), std::move(exception), std::move(what), std::move(path)});
  }

  // A waiting source has more: production goes on from the next turn.
  void on_source_woke() {
    if (!waiting_) return;
    waiting_ = false;
    if (state_ == state::producing) want_turn();
  }

  void succeed() { end_with({}); }

  // Everything of the stream goes but the bytes in flight; then the handler, last,
  // because it may destroy the driver.
  void end_with(const stream_end& end) {
    end_stream();
    state_ = state::idle;
    completion_handler on_end = std::move(on_end_);
    if (on_end) on_end(end);
  }

  void end_stream() noexcept {
    encoder_.reset();
    out_.discard_unsent();
    paused_ = false;
    flush_ = false;
    awaiting_drain_ = false;
    waiting_ = false;
  }

  byte_sink& sink_;
  stream_options options_;
  detail::outgoing_bytes out_;

  state state_ = state::idle;
  std::optional<encoder> encoder_;
  completion_handler on_end_;
  bool paused_ = false;
  bool flush_ = false;
  bool awaiting_drain_ = false;
  bool waiting_ = false;  // for a source: on_source_woke asks for the next turn
  bool turn_requested_ = false;

  stream_stats stats_;  // but the bytes written and held, which out_ counts
};

}  // namespace iterjson
