#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "iterjson/detail/escape.hpp"
#include "iterjson/detail/frame_stack.hpp"
#include "iterjson/detail/write_number.hpp"
#include "iterjson/error.hpp"
#include "iterjson/options.hpp"

namespace iterjson::detail {

// Output that did not fit the window, kept in order until the next window. Frames only
// run on an empty queue and stop after the item that overflowed, so a few segments
// always suffice.
struct pending_segment {
  enum class kind_type : std::uint8_t { copy, repeat, string_body };
  kind_type kind;
  std::uint8_t skip;  // string_body: bytes already written of the escape at `data`
  char fill;          // repeat: the character
  const char* data;   // copy: bytes (stable until drained); string_body: next source byte
  std::size_t size;   // bytes (or repeats) left
};

// Every byte value at a fixed address, so a single character can be queued by reference.
inline constexpr auto byte_values = [] {
  std::array<char, 256> bytes{};
  for (int i = 0; i < 256; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return bytes;
}();

/// The type-erased heart of an encoder: a stack of frames that write into a window of
/// output, and the queue of what did not fit. Frames call the `put_*` writers, which
/// never fail for lack of room; they check `stopped()` after each item.
class engine {
 public:
  explicit engine(const options& opts)
      : item_separator_(opts.item_separator),
        key_separator_(opts.key_separator),
        indent_width_(opts.indent < 0 ? 0 : static_cast<std::size_t>(opts.indent)),
        chunk_size_(opts.chunk_size),
        max_depth_(opts.max_depth),
        rules_{opts.ensure_ascii, opts.invalid_utf8},
        nan_(opts.nan),
        indent_char_(opts.indent_char),
        indenting_(opts.indent >= 0),
        sort_keys_(opts.sort_keys) {
    if (chunk_size_ == 0) throw std::invalid_argument("iterjson: options::chunk_size must be at least 1");
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // --- driving -------------------------------------------------------------------------

  [[nodiscard]] bool done() const noexcept { return failed_ || (stack_.empty() && queue_empty()); }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] const std::string& error_path() const noexcept { return error_path_; }
  [[nodiscard]] std::size_t chunk_size() const noexcept { return chunk_size_; }

  // Writes up to `capacity` bytes at `out`; fewer only at the end. Resumable anywhere.
  std::size_t fill(char* out, std::size_t capacity) {
    if (done()) return 0;
    pos_ = out;
    end_ = out + capacity;
    try {
      if (drain()) {
        while (pos_ != end_ && !stack_.empty()) {
          frame& top = *stack_.top();
          top.ops->step(top, *this);
        }
        // Nothing refers to a retired frame once the queue is empty; popping it now lets
        // done() turn true with the last byte rather than one empty call later.
        while (queue_empty() && !stack_.empty() && stack_.top()->ops->step == &pop_retired) {
          stack_.pop();
        }
      }
    } catch (...) {
      on_exception();
      throw;
    }
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

  // `f` has written its value; it pops now if nothing refers to it, else it retires
  // and pops once its children are gone and the queued output is written.
  template <class F>
  void finish_keeping_value(F& f) noexcept {
    if (stopped(f)) {
      f.ops = &retired_ops_of<F>;
    } else {
      pop();
    }
  }

  // A frame must return from its step: the window is full, or it pushed a child.
  [[nodiscard]] bool stopped(const frame& f) const noexcept {
    return pos_ == end_ || stack_.top() != &f;
  }

  [[nodiscard]] bool sort_keys() const noexcept { return sort_keys_; }

  // --- layout --------------------------------------------------------------------------

  void open_container(char bracket) {
    if (depth_ == max_depth_) on_too_deep();
    ++depth_;
    put_char(bracket);
  }

  void close_container(char bracket, bool had_items) {
    --depth_;
    if (had_items && indenting_) put_newline_indent();
    put_char(bracket);
  }

  void begin_item(bool first) {
    if (!first) put_separator(item_separator_);
    if (indenting_) put_newline_indent();
  }

  void put_key_separator() { put_separator(key_separator_); }

  // Text that is JSON already and outlives the encoder, such as a struct's key.
  void put_json_text(std::string_view text) { put_stable(text); }

  // --- values --------------------------------------------------------------------------

  void put_null() { put_stable("null"); }
  void put_bool(bool value) { put_stable(value ? std::string_view("true") : std::string_view("false")); }

  template <std::integral Integer>
  void put_integer(Integer value) {
    if (room() >= max_integer_chars) {
      pos_ = write_integer(pos_, value);
    } else {
      char text[max_integer_chars];
      put_transient(text, static_cast<std::size_t>(write_integer(text, value) - text));
    }
  }

  template <std::floating_point Float>
  void put_float(Float value) {
    if (!std::isfinite(value)) return put_non_finite(static_cast<double>(value));
    if (room() >= max_double_chars) {
      pos_ = write_finite_float(pos_, value);
    } else {
      char text[max_double_chars];
      put_transient(text, static_cast<std::size_t>(write_finite_float(text, value) - text));
    }
  }

  void put_string(std::string_view text) {
    const char* const end = text.data() + text.size();
    if (room() >= 2 + escape_slack + max_escape_ratio * text.size()) {  // the common case
      *pos_ = '"';
      const escaped_string escaped = escape_string(pos_ + 1, text.data(), end, end, rules_);
      if (escaped.invalid_at != nullptr) on_invalid_utf8(escaped.invalid_at);
      *escaped.out = '"';
      pos_ = escaped.out + 1;
      return;
    }
    put_char('"');
    std::uint8_t skip = 0;
    const char* stop = write_string_body(text.data(), end, skip);
    if (stop != end) {
      enqueue({pending_segment::kind_type::string_body, skip, 0, stop,
               static_cast<std::size_t>(end - stop)});
    }
    put_char('"');
  }

  // Keys that are not text are written as Python writes them: numbers in their JSON
  // form, booleans and null as their literals, all quoted.
  template <class Scalar>
  void put_scalar_key(const Scalar& key) {
    put_char('"');
    if constexpr (std::same_as<Scalar, bool>) {
      put_bool(key);
    } else if constexpr (std::same_as<Scalar, std::nullptr_t>) {
      put_null();
    } else if constexpr (std::floating_point<Scalar>) {
      put_float(key);
    } else {
      put_integer(key);
    }
    put_char('"');
  }

  // --- errors (cold) -------------------------------------------------------------------

  /// The JSON Pointer of the item being written.
  [[nodiscard]] std::string current_path() const {
    std::vector<const frame*> frames;
    for (const frame* f = stack_.top(); f != nullptr; f = f->below) frames.push_back(f);
    std::string path;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) (*it)->ops->append_path(**it, path);
    return path;
  }

  [[noreturn, gnu::cold]] void fail(const std::string& reason) {
    throw encode_error(reason, current_path());
  }

 private:
  // --- raw output ----------------------------------------------------------------------

  [[nodiscard]] std::size_t room() const noexcept { return static_cast<std::size_t>(end_ - pos_); }

  void put_char(char c) {
    if (pos_ != end_) {
      *pos_++ = c;
    } else {
      enqueue_copy(&byte_values[static_cast<unsigned char>(c)], 1);
    }
  }

  // A separator: most are one or two bytes, written as one fixed-size copy.
  struct separator {
    explicit separator(std::string_view text) : text(text) { text.copy(head.data(), head.size()); }
    std::string text;
    std::array<char, 8> head{};  // the first bytes, padded
  };

  void put_separator(const separator& s) {
    if (s.text.size() <= s.head.size() && room() >= s.head.size()) {
      std::memcpy(pos_, s.head.data(), s.head.size());
      pos_ += s.text.size();
    } else {
      put_stable(s.text);
    }
  }

  // `text` must stay valid until drained: a literal, a separator, or the value's own.
  void put_stable(std::string_view text) {
    if (room() >= text.size()) {
      std::memcpy(pos_, text.data(), text.size());
      pos_ += text.size();
    } else {
      const std::size_t fits = room();
      std::memcpy(pos_, text.data(), fits);
      pos_ = end_;
      enqueue_copy(text.data() + fits, text.size() - fits);
    }
  }

  void put_transient(const char* text, std::size_t size) {
    const std::size_t fits = std::min(room(), size);
    std::memcpy(pos_, text, fits);
    pos_ += fits;
    if (fits == size) return;
    char* kept = arena_ + arena_used_;
    arena_used_ += size - fits;  // bounded: a few small tokens before the frame stops
    std::memcpy(kept, text + fits, size - fits);
    enqueue_copy(kept, size - fits);
  }

  void put_newline_indent() {
    put_char('\n');
    const std::size_t count = indent_width_ * depth_;
    const std::size_t fits = std::min(room(), count);
    std::memset(pos_, indent_char_, fits);
    pos_ += fits;
    if (fits != count) enqueue({pending_segment::kind_type::repeat, 0, indent_char_, nullptr, count - fits});
  }

  // Writes the body of a string from `p`, `skip` bytes of the escape of the unit at `p`
  // being already out. Returns where it stopped: `end` when finished. While the window
  // has room, pieces go through escape_string; only its last bytes are filled one unit
  // at a time.
  const char* write_string_body(const char* p, const char* end, std::uint8_t& skip) {
    constexpr std::size_t smallest_piece = 64;
    for (;;) {
      if (skip == 0) {
        if (room() >= escape_slack + max_escape_ratio * smallest_piece) {
          const std::size_t piece = std::min(static_cast<std::size_t>(end - p), (room() - escape_slack) / max_escape_ratio);
          const escaped_string escaped = escape_string(pos_, p, p + piece, end, rules_);
          if (escaped.invalid_at != nullptr) on_invalid_utf8(escaped.invalid_at);
          pos_ = escaped.out;
          p = escaped.in;
          if (p == end) return end;
          continue;
        }
        if (pos_ == end_) return p;
        const char* limit = static_cast<std::size_t>(end - p) > room() ? p + room() : end;
        const char* clean = clean_prefix(p, limit, end, rules_);
        std::memcpy(pos_, p, static_cast<std::size_t>(clean - p));
        pos_ += clean - p;
        p = clean;
        if (p == end) return end;
        if (p == limit) continue;
      }
      const escaped_unit unit = escape_unit(p, end, rules_);
      if (unit.consumed == 0) on_invalid_utf8(p);
      const std::size_t fits = std::min<std::size_t>(room(), unit.size - skip);
      std::memcpy(pos_, unit.text + skip, fits);
      pos_ += fits;
      if (skip + fits < unit.size) {
        skip = static_cast<std::uint8_t>(skip + fits);
        return p;
      }
      skip = 0;
      p += unit.consumed;
    }
  }

  // --- the pending queue ---------------------------------------------------------------

  static constexpr std::size_t queue_capacity = 32;

  [[nodiscard]] bool queue_empty() const noexcept { return queue_head_ == queue_tail_; }

  void enqueue(const pending_segment& segment) { queue_[queue_tail_++] = segment; }
  void enqueue_copy(const char* data, std::size_t size) {
    enqueue({pending_segment::kind_type::copy, 0, 0, data, size});
  }

  // Writes queued output into the window; true once the queue is empty.
  bool drain() {
    while (!queue_empty()) {
      pending_segment& segment = queue_[queue_head_];
      const std::size_t fits = std::min(room(), segment.size);
      switch (segment.kind) {
        case pending_segment::kind_type::copy:
          std::memcpy(pos_, segment.data, fits);
          pos_ += fits;
          segment.data += fits;
          segment.size -= fits;
          break;
        case pending_segment::kind_type::repeat:
          std::memset(pos_, segment.fill, fits);
          pos_ += fits;
          segment.size -= fits;
          break;
        case pending_segment::kind_type::string_body: {
          const char* end = segment.data + segment.size;
          segment.data = write_string_body(segment.data, end, segment.skip);
          segment.size = static_cast<std::size_t>(end - segment.data);
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

  // --- cold paths ----------------------------------------------------------------------

  [[gnu::cold]] void put_non_finite(double value) {
    const char* literal = std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
    switch (nan_) {
      case nan_policy::error: fail(std::string(literal) + " is not allowed by nan_policy::error");
      case nan_policy::null: return put_null();
      case nan_policy::literal: return put_stable(literal);
    }
  }

  [[noreturn, gnu::cold]] void on_invalid_utf8(const char* at) {
    constexpr char hex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(*at);
    fail(std::string("invalid UTF-8 (byte 0x") + hex[byte >> 4] + hex[byte & 0xF] +
         ") refused by utf8_policy::error");
  }

  [[noreturn, gnu::cold]] void on_too_deep() {
    fail("nesting deeper than options::max_depth (" + std::to_string(max_depth_) + ")");
  }

  [[gnu::cold]] void on_exception() noexcept {
    try {
      throw;
    } catch (const encode_error& error) {
      error_path_ = error.path();
    } catch (...) {
      try {
        error_path_ = current_path();
      } catch (...) {  // no memory for the path: the error itself still propagates
      }
    }
    failed_ = true;
    stack_.clear();
    queue_head_ = queue_tail_ = 0;
  }

 public:
  // Values of std::shared_ptr open on the stack, to find cycles (see shared_frame).
  std::unordered_set<const void*> open_shared_values;

 private:
  char* pos_ = nullptr;
  char* end_ = nullptr;
  frame_stack stack_;
  std::size_t depth_ = 0;

  std::size_t queue_head_ = 0;
  std::size_t queue_tail_ = 0;
  pending_segment queue_[queue_capacity];
  std::size_t arena_used_ = 0;
  char arena_[256];

  std::unique_ptr<char[]> slice_buffer_;
  std::string error_path_;

  const separator item_separator_;
  const separator key_separator_;
  const std::size_t indent_width_;
  const std::size_t chunk_size_;
  const std::size_t max_depth_;
  const string_rules rules_;
  const nan_policy nan_;
  const char indent_char_;
  const bool indenting_;
  const bool sort_keys_;
  bool failed_ = false;
};

inline void pop_retired(frame&, engine& e) { e.pop(); }

}  // namespace iterjson::detail
