#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/escape.hpp"
#include "iterjson/detail/frame_stack.hpp"
#include "iterjson/error.hpp"
#include "iterjson/options.hpp"
#include "iterjson/source.hpp"

namespace iterjson::detail {

// Output that did not fit the window, kept in order until the next window. Frames only
// run on an empty queue and stop after the item that overflowed, so a few segments
// always suffice.
struct pending_segment {
  enum class kind_type : std::uint8_t { copy, repeat, string_body };
  kind_type kind;
  std::uint8_t skip;  // string_body: bytes already written of the escape at `data`
  char repeated;      // repeat: the character
  const char* data;   // copy: bytes (stable until drained); string_body: next source byte
  std::size_t size;   // bytes (or repeats) left
};

// Every byte value at a fixed address, so a single character can be queued by reference.
inline constexpr auto byte_values = [] {
  std::array<char, 256> bytes{};
  for (int i = 0; i < 256; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return bytes;
}();

// A separator: most are one or two bytes, written as one fixed-size store of `head`.
struct separator {
  static constexpr std::uint8_t long_size = 0xFF;  // short_size of a separator past 8 bytes

  explicit separator(std::string_view given)
      : text(given), short_size(given.size() <= sizeof head ? static_cast<std::uint8_t>(given.size()) : long_size) {
    char padded[sizeof head]{};
    given.copy(padded, sizeof padded);
    std::memcpy(&head, padded, sizeof head);
  }
  std::string text;
  std::uint64_t head = 0;    // the first bytes, padded, in memory order
  std::uint8_t short_size;   // text.size(), or long_size
};

// How far a string body got in a window.
struct string_progress {
  char* out;               // the end of what was written
  const char* in;          // the next source byte; `end` when finished
  std::uint8_t skip;       // bytes of the escape of the unit at `in` already written
  const char* invalid_at;  // an invalid sequence refused by utf8_policy::error, else null
};

// Writes the body of a string from `p` into [out, limit), `skip` bytes of the escape of
// the unit at `p` being already out; resumable anywhere. While the window has room,
// pieces go through escape_string; only its last bytes are filled one unit at a time.
inline string_progress write_string_body(char* out, char* limit, const char* p, const char* end,
                                         std::uint8_t skip, string_rules rules) {
  constexpr std::size_t smallest_piece = 8;
  for (;;) {
    auto room = static_cast<std::size_t>(limit - out);
    if (skip == 0) {
      if (room >= escape_slack + max_escape_ratio * smallest_piece) {
        const std::size_t piece = std::min(static_cast<std::size_t>(end - p), (room - escape_slack) / max_escape_ratio);
        const escaped_string escaped = escape_string(out, p, p + piece, end, rules);
        if (escaped.invalid_at != nullptr) return {escaped.out, escaped.in, 0, escaped.invalid_at};
        out = escaped.out;
        p = escaped.in;
        if (p == end) return {out, end, 0, nullptr};
        continue;
      }
      if (room == 0) return {out, p, 0, nullptr};
      const char* window_end = static_cast<std::size_t>(end - p) > room ? p + room : end;
      const char* clean = clean_prefix(p, window_end, end, rules);
      std::memcpy(out, p, static_cast<std::size_t>(clean - p));
      out += clean - p;
      p = clean;
      if (p == end) return {out, end, 0, nullptr};
      if (p == window_end) continue;
      room = static_cast<std::size_t>(limit - out);
    }
    const escaped_unit unit = escape_unit(p, end, rules);
    if (unit.consumed == 0) return {out, p, 0, p};
    const std::size_t fits = std::min<std::size_t>(room, unit.size - skip);
    std::memcpy(out, unit.text + skip, fits);
    out += fits;
    if (skip + fits < unit.size) return {out, p, static_cast<std::uint8_t>(skip + fits), nullptr};
    skip = 0;
    p += unit.consumed;
  }
}

class writer;

// The type-erased heart of an encoder: the stack of frames, the window of output they
// write into, and the queue of what did not fit. Frames write through a `writer`,
// which holds the window's position in registers while a frame's step runs.
class engine {
 public:
  explicit engine(const options& opts)
      : item_separator_(opts.item_separator),
        key_separator_(opts.key_separator),
        indent_width_(opts.indent < 0 ? 0 : static_cast<std::size_t>(opts.indent)),
        chunk_size_(opts.chunk_size),
        max_depth_(opts.max_depth),
        rules_{opts.ensure_ascii, opts.invalid_utf8},
        mode_(rules_.mode()),
        inline_containers_(opts.invalid_utf8 != utf8_policy::error),
        nan_(opts.nan),
        indent_char_(opts.indent_char),
        indenting_(opts.indent >= 0),
        sort_keys_(opts.sort_keys) {
    if (chunk_size_ == 0) {
#if ITERJSON_DETAIL_EXCEPTIONS
      throw std::invalid_argument("iterjson: options::chunk_size must be at least 1");
#else
      record_failure(encode_error("options::chunk_size must be at least 1", "", encode_errc::invalid_options));
#endif
    }
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  ~engine() {
    if (wake_) *wake_ = {};  // wakers that outlive the engine wake nobody
  }

  // --- driving -------------------------------------------------------------------------

  [[nodiscard]] bool done() const noexcept { return failed_ || (stack_.empty() && queue_empty()); }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  // A source answered pending during the last call: nothing more until it wakes us.
  [[nodiscard]] bool waiting() const noexcept { return waiting_; }
  // Values of a stream of values (framing.hpp) written whole, suffix included.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  [[nodiscard]] const std::string& error_path() const noexcept { return error_path_; }

  // Writes up to `capacity` bytes at `out`; fewer only at the end. Resumable anywhere.
  std::size_t fill(char* out, std::size_t capacity) {
    if (done()) return 0;
    pos_ = out;
    end_ = out + capacity;
    descent_ = 0;
    waiting_ = false;
#if ITERJSON_DETAIL_EXCEPTIONS
    try {
      produce();
    } catch (...) {
      on_exception();
      throw;
    }
#else
    produce();
    if (failed_) {
      stack_.clear();
      return 0;
    }
#endif
    return static_cast<std::size_t>(pos_ - out);
  }

  // The next slice for `encoder::next()`: straight from a source string when a whole
  // chunk of it needs no escaping, else filled into the slice buffer.
  std::string_view next_slice() {
    if (done()) return {};
    if (const std::string_view direct = take_clean_chunk(); !direct.empty()) return direct;
    if (!slice_buffer_) slice_buffer_ = std::make_unique<char[]>(chunk_size_);
    return {slice_buffer_.get(), fill(slice_buffer_.get(), chunk_size_)};
  }

  // --- frames --------------------------------------------------------------------------

  template <class F, class... Args>
  F& push(Args&&... args) {
    return stack_.push<F>(std::forward<Args>(args)...);
  }
  void pop() noexcept { stack_.pop(); }
  [[nodiscard]] const frame* top() const noexcept { return stack_.top(); }

  [[nodiscard]] bool sort_keys() const noexcept { return sort_keys_; }

  // --- sources that wait ---------------------------------------------------------------

  // The waker handed to every source polled, made once, on first use; a poll begins.
  const waker& source_waker() {
    if (!wake_) {
      wake_ = std::make_shared<wake_state>();
      waker_ = waker(wake_);
    }
    wake_->woken = false;
    return waker_;
  }

  // The source polled last has nothing yet: the engine stops and waits to be woken,
  // unless the source woke it already, while answering; then it is polled again.
  void wait() noexcept {
    if (wake_->woken) return;
    waiting_ = true;
    wake_->waiting = true;
  }

  // What to call when a waiting source wakes (see encoder::on_wake).
  void on_wake(std::function<void()> callback) {
    source_waker();
    wake_->on_wake = std::move(callback);
  }

  // Values of std::shared_ptr open on the stack, to find cycles (see shared_frame).
  // Declared before stack_: frames erase from it as they are destroyed.
  std::unordered_set<const void*> open_shared_values;

  // --- errors (cold) -------------------------------------------------------------------

  // The JSON Pointer of the item being written.
  [[nodiscard]] std::string current_path() const {
    std::vector<const frame*> frames;
    for (const frame* f = stack_.top(); f != nullptr; f = f->below) frames.push_back(f);
    std::string path;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) (*it)->ops->append_path(**it, path);
    return path;
  }

  // Throws encode_error; without exceptions, the engine fails and the caller returns:
  // frames stop at their next item (see writer::stopped) and fill() returns nothing.
  // Errors come in the order of the text: a key still queued is checked before an error
  // of its value is raised, as it is when the window held it (to_string).
  [[ITERJSON_DETAIL_NORETURN, gnu::cold]] void fail(encode_errc code, const std::string& reason) {
    if (code != encode_errc::invalid_utf8) check_queued_utf8();
#if ITERJSON_DETAIL_EXCEPTIONS
    throw encode_error(reason, current_path(), code);
#else
    if (!failed_) record_failure(encode_error(reason, current_path(), code));
#endif
  }

  [[ITERJSON_DETAIL_NORETURN, gnu::cold]] void on_invalid_utf8(const char* at) {
    constexpr char hex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(*at);
    fail(encode_errc::invalid_utf8,
         std::string("invalid UTF-8 (byte 0x") + hex[byte >> 4] + hex[byte & 0xF] + ") refused by utf8_policy::error");
  }

  // Under utf8_policy::error, fails at the first invalid sequence in the queued string
  // bodies. Only on the way to another error: the text it scans is written later anyway.
  [[gnu::cold]] void check_queued_utf8() {
    if (rules_.invalid_utf8 != utf8_policy::error) return;
    for (std::size_t i = queue_head_; i != queue_tail_; ++i) {
      const pending_segment& segment = queue_[i];
      if (segment.kind != pending_segment::kind_type::string_body) continue;
      const char* const end = segment.data + segment.size;
      for (const char* p = segment.data; p != end;) {
        const utf8_sequence sequence = decode_utf8(p, end);
        if (!sequence.valid) return on_invalid_utf8(p);
        p += sequence.length;
      }
    }
  }

  [[nodiscard]] std::error_code error() const noexcept { return error_; }
  [[nodiscard]] const std::string& error_message() const noexcept { return error_message_; }

 private:
  friend class writer;

  // --- the pending queue ---------------------------------------------------------------

  // The most one frame step can queue, at a window of any size: an object member's item
  // separator, newline, indent, key (quote, body, quote), key separator and value
  // (quote, body, quote) are 10 segments; a child closed inside that step adds 3; the
  // arena holds at most two formatted numbers (a float key and a float value).
  static constexpr std::size_t queue_capacity = 32;
  static constexpr std::size_t arena_capacity = 256;

  [[nodiscard]] bool queue_empty() const noexcept { return queue_head_ == queue_tail_; }

  void enqueue(const pending_segment& segment) {
    assert(queue_tail_ < queue_capacity);
    queue_[queue_tail_++] = segment;
  }
  void enqueue_copy(const char* data, std::size_t size) {
    enqueue({pending_segment::kind_type::copy, 0, 0, data, size});
  }
  // Bytes that will not outlive the call that made them: kept in the arena.
  void enqueue_transient(const char* data, std::size_t size) {
    assert(arena_used_ + size <= arena_capacity);
    char* kept = arena_ + arena_used_;
    arena_used_ += size;
    std::memcpy(kept, data, size);
    enqueue_copy(kept, size);
  }

  // Writes queued output into the window; true once the queue is empty.
  bool drain() {
    while (!queue_empty()) {
      pending_segment& segment = queue_[queue_head_];
      const std::size_t fits = std::min(static_cast<std::size_t>(end_ - pos_), segment.size);
      switch (segment.kind) {
        case pending_segment::kind_type::copy:
          std::memcpy(pos_, segment.data, fits);
          pos_ += fits;
          segment.data += fits;
          segment.size -= fits;
          break;
        case pending_segment::kind_type::repeat:
          std::memset(pos_, segment.repeated, fits);
          pos_ += fits;
          segment.size -= fits;
          break;
        case pending_segment::kind_type::string_body: {
          const char* end = segment.data + segment.size;
          const string_progress progress = write_string_body(pos_, end_, segment.data, end, segment.skip, rules_);
          if (progress.invalid_at != nullptr) on_invalid_utf8(progress.invalid_at);
          pos_ = progress.out;
          segment.data = progress.in;
          segment.skip = progress.skip;
          segment.size = static_cast<std::size_t>(end - progress.in);
          break;
        }
      }
      if (segment.size != 0) return false;
      ++queue_head_;
    }
    queue_head_ = queue_tail_ = 0;
    arena_used_ = 0;
    return true;
  }

  std::string_view take_clean_chunk() {
    if (queue_empty()) return {};
    pending_segment& segment = queue_[queue_head_];
    if (segment.kind != pending_segment::kind_type::string_body || segment.skip != 0 ||
        segment.size < chunk_size_) {
      return {};
    }
    const char* start = segment.data;
    if (clean_prefix(start, start + chunk_size_, start + segment.size, rules_) != start + chunk_size_) return {};
    segment.data += chunk_size_;
    segment.size -= chunk_size_;
    if (segment.size == 0) ++queue_head_;  // the closing quote always follows
    return {start, chunk_size_};
  }

  // Steps frames until the window is full, the stack is empty, or a source waits.
  void produce() {
    if (!drain()) return;
    while (pos_ != end_ && !stack_.empty() && !waiting_ && (ITERJSON_DETAIL_EXCEPTIONS || !failed_)) {
      frame& top = *stack_.top();
      top.ops->step(top, *this);
    }
    // Nothing refers to a retired frame once the queue is empty; popping it now lets
    // done() turn true with the last byte rather than one empty call later.
    while (queue_empty() && !stack_.empty() && stack_.top()->ops->step == &pop_retired) {
      stack_.pop();
    }
  }

  [[ITERJSON_DETAIL_NORETURN, gnu::cold]] void on_too_deep() {
    fail(encode_errc::too_deep, "nesting deeper than options::max_depth (" + std::to_string(max_depth_) + ")");
  }

  // The engine fails for good: nothing is written after this.
  [[gnu::cold]] void record_failure(const encode_error& error) {
    error_ = error.code();
    error_message_ = error.what();
    error_path_ = error.path();
    failed_ = true;
    queue_head_ = queue_tail_ = 0;
  }

#if ITERJSON_DETAIL_EXCEPTIONS
  [[gnu::cold]] void on_exception() noexcept {
    try {
      throw;
    } catch (const encode_error& error) {
      try {
        record_failure(error);
      } catch (...) {  // no memory for the message: the error itself still propagates
      }
    } catch (...) {
      error_ = encode_errc::exception_thrown;
      try {
        error_path_ = current_path();
      } catch (...) {
      }
    }
    failed_ = true;
    stack_.clear();
    queue_head_ = queue_tail_ = 0;
  }
#endif

  // The window: where the next byte goes, and its end. A writer holds copies while a
  // frame steps and hands them back (see writer).
  char* pos_ = nullptr;
  char* end_ = nullptr;
  frame_stack stack_;
  std::size_t depth_ = 0;
  static constexpr unsigned max_descent = 16;
  unsigned descent_ = 0;  // frames stepping inside their parent's step

  std::size_t queue_head_ = 0;
  std::size_t queue_tail_ = 0;
  pending_segment queue_[queue_capacity];
  std::size_t arena_used_ = 0;
  char arena_[arena_capacity];

  std::unique_ptr<char[]> slice_buffer_;
  std::string error_path_;
  std::string error_message_;
  std::error_code error_;
  std::shared_ptr<wake_state> wake_;
  waker waker_;
  std::uint64_t records_ = 0;
  bool waiting_ = false;

  const separator item_separator_;
  const separator key_separator_;
  const std::size_t indent_width_;
  const std::size_t chunk_size_;
  const std::size_t max_depth_;
  const string_rules rules_;
  const scan_mode mode_;
  // Containers of scalars may be written without a frame (frames.hpp): unless a string
  // may fail, for an error's path names the frames. (A non-finite number, which may
  // fail too, is handed to a frame whatever the policy.)
  const bool inline_containers_;
  const nan_policy nan_;
  const char indent_char_;
  const bool indenting_;
  const bool sort_keys_;
  bool failed_ = false;
};

inline void pop_retired(frame&, engine& e) { e.pop(); }

}  // namespace iterjson::detail
