#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/engine.hpp"
#include "iterjson/detail/escape.hpp"
#include "iterjson/detail/frame_stack.hpp"
#include "iterjson/detail/output_queue.hpp"
#include "iterjson/detail/text_format.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/detail/write_number.hpp"

namespace iterjson::detail {

// What a frame writes with during one step. It copies the engine's window position into
// its own members, which the compiler keeps in registers: a byte written through a
// `char*` may alias anything reachable, so writing through the engine itself would
// reload the position after every byte. The position goes back to the window when a
// child frame steps and when the writer ends. For the same reason it keeps its own
// copies of what it reads at every item (the separators, the scan mode), and tracks the
// frames it pushed and the failures it met rather than reading the engine after each
// item.
//
// The writers never fail for lack of room: what does not fit is queued, in order, and
// written first next time. A frame checks `stopped()` after each item.
class writer {
  // Constants, not conversions from literals: in a large step the compiler may leave
  // those to a call of strlen.
  static constexpr std::string_view null_text = "null";
  static constexpr std::string_view true_text = "true";
  static constexpr std::string_view false_text = "false";

 public:
  explicit writer(engine& e) noexcept
      : engine_(e),
        pos_(e.current_window().pos),
        end_(e.current_window().end),
        item_separator_(e.format().item_separator.head),
        key_separator_(e.format().key_separator.head),
        item_separator_room_(e.format().item_separator.store_room),
        key_separator_room_(e.format().key_separator.store_room),
        item_separator_size_(e.format().item_separator.size),
        key_separator_size_(e.format().key_separator.size),
        mode_(e.format().mode),
        indenting_(e.format().indenting) {}
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  ~writer() { current_window().pos = pos_; }

  // --- frames --------------------------------------------------------------------------

  // A frame must return from its step: the window is full, it pushed a child that is
  // still open, or the engine failed. Every push and every failure of a step goes
  // through its writer, which so knows without reading the engine.
  [[nodiscard]] ITERJSON_DETAIL_INLINE bool stopped(const frame&) const noexcept { return pos_ == end_ || halted_; }

  // The window is full: a container written inline hands over to a frame.
  [[nodiscard]] ITERJSON_DETAIL_INLINE bool full() const noexcept { return pos_ == end_; }

  // Whether containers of scalars may be written inline, without a frame (see text_format).
  [[nodiscard]] ITERJSON_DETAIL_INLINE bool may_write_inline() const noexcept { return format().inline_containers; }


  template <class F, class... Args>
  ITERJSON_DETAIL_INLINE F& push(Args&&... args) {
    F& pushed = engine_.push<F>(std::forward<Args>(args)...);
    halted_ = true;
    return pushed;
  }

  // Pushes a frame and, within a fixed budget of C++ calls, runs its first step at once,
  // as a parent's loop meets a nested container; past the budget the driver loop runs
  // it. So recursion stays bounded, whatever the nesting.
  template <class F, class... Args>
  ITERJSON_DETAIL_INLINE void push_and_step(Args&&... args) {
    F& pushed = engine_.push<F>(std::forward<Args>(args)...);
    halted_ = true;
    if (pos_ == end_ || current_window().descent == engine::max_descent) return;
    current_window().pos = pos_;
    ++current_window().descent;
    frame* const below = pushed.below;
    pushed.step(engine_);
    --current_window().descent;
    pos_ = current_window().pos;
    halted_ = engine_.top() != below;  // a frame that fails stays on the stack
  }

  // The frame on top, `top`, is complete; it goes.
  template <class F>
  ITERJSON_DETAIL_INLINE void pop(F& top) noexcept {
    engine_.pop(top);
  }

  // `f` has written its value; it pops now if nothing refers to it, else it retires
  // and pops once its children are gone and the queued output is written.
  template <class F>
  ITERJSON_DETAIL_INLINE void finish_keeping_value(F& f) noexcept {
    if (stopped(f)) {
      f.ops = &retired_ops_of<F>;
    } else {
      engine_.pop(f);
    }
  }

  [[nodiscard]] ITERJSON_DETAIL_INLINE bool sort_keys() const noexcept { return format().sort_keys; }
  [[nodiscard]] const waker& source_waker() { return engine_.source_waker(); }
  void wait() noexcept { engine_.wait(); }
  void end_record() noexcept { engine_.count_record(); }
  [[nodiscard]] bool indenting() const noexcept { return indenting_; }
  [[nodiscard]] bool at_top_level() const noexcept { return current_window().depth == 0; }

  // The engine fails at the item being written (see engine::fail). The failures are
  // the engine's cold calls, never the writer's: a call given the writer's address would
  // keep its position in memory rather than in registers.
  ITERJSON_DETAIL_INLINE void fail(encode_errc code, const std::string& reason) {
    engine_.fail(code, reason);
    halted_ = true;
  }

  // --- layout --------------------------------------------------------------------------

  // False when it is one level too deep: the engine failed.
  ITERJSON_DETAIL_INLINE bool open_container(char bracket) {
    if (current_window().depth == format().max_depth) [[unlikely]] {
      fail_too_deep();
      return false;
    }
    ++current_window().depth;
    put_char(bracket);
    return true;
  }

  ITERJSON_DETAIL_INLINE void close_container(char bracket, bool had_items) {
    --current_window().depth;
    if (had_items && indenting_) put_newline_indent();
    put_char(bracket);
  }

  // One compare in the common case, compact text: a separator that is one store.
  ITERJSON_DETAIL_INLINE void begin_item(bool first) {
    if (!first && room() >= item_separator_room_) {
      put_short_separator(item_separator_, item_separator_size_);
      return;
    }
    if (!first) put_separator(item_separator_, item_separator_size_, format().item_separator);
    if (indenting_) put_newline_indent();
  }

  ITERJSON_DETAIL_INLINE void put_key_separator() {
    if (room() >= key_separator_room_) return put_short_separator(key_separator_, key_separator_size_);
    put_stable(format().key_separator.text);
  }

  // Text that is JSON already and outlives the encoder, such as a struct's key.
  ITERJSON_DETAIL_INLINE void put_json_text(std::string_view text) { put_stable(text); }

  // --- values --------------------------------------------------------------------------

  ITERJSON_DETAIL_INLINE void put_null() { put_stable(null_text); }
  ITERJSON_DETAIL_INLINE void put_bool(bool value) { put_stable(value ? true_text : false_text); }

  template <std::integral Integer>
  ITERJSON_DETAIL_INLINE void put_integer(Integer value) {
    if (room() >= max_integer_chars) {
      pos_ = write_integer(pos_, value);
    } else {
      char text[max_integer_chars];
      put_transient(text, static_cast<std::size_t>(write_integer(text, value) - text));
    }
  }

  template <std::floating_point Float>
  ITERJSON_DETAIL_INLINE void put_float(Float value) {
    if (!std::isfinite(value)) return put_non_finite(static_cast<double>(value));
    if (room() >= max_double_chars) {
      pos_ = write_finite_float(pos_, value);
    } else {
      char text[max_double_chars];
      put_transient(text, static_cast<std::size_t>(write_finite_float(text, value) - text));
    }
  }

  ITERJSON_DETAIL_INLINE void put_string(std::string_view text) {
    // A short string that no mode escapes, printable ASCII (most keys), needs no
    // dispatch on the mode: ensure_ascii's scan stops at a superset of the others' bytes.
    if (text.size() <= short_string_size && room() >= 2 + short_string_size &&
        copy_clean_short<scan_mode::ascii>(pos_ + 1, text.data(), text.size())) {
      *pos_ = '"';
      pos_[1 + text.size()] = '"';
      pos_ += 2 + text.size();
      return;
    }
    with_scan_mode(mode_, [&](auto mode) ITERJSON_DETAIL_INLINE_LAMBDA { put_string_as<decltype(mode)::value>(text); });
  }

  // Keys that are not text are written as Python writes them: numbers in their JSON
  // form, booleans and null as their literals, all quoted.
  template <class Scalar>
  ITERJSON_DETAIL_INLINE void put_scalar_key(const Scalar& key) {
    put_char('"');
    if constexpr (std::same_as<Scalar, bool>) {
      put_bool(key);
    } else if constexpr (null_type<Scalar>) {
      put_null();
    } else if constexpr (std::floating_point<Scalar>) {
      put_float(key);
    } else {
      put_integer(key);
    }
    put_char('"');
  }

 private:
  // Parts of the engine at fixed offsets from it: no register of their own.
  [[nodiscard]] ITERJSON_DETAIL_INLINE window& current_window() const noexcept { return engine_.current_window(); }
  [[nodiscard]] ITERJSON_DETAIL_INLINE const text_format& format() const noexcept { return engine_.format(); }
  [[nodiscard]] ITERJSON_DETAIL_INLINE output_queue& queue() const noexcept { return engine_.queue(); }

  [[nodiscard]] ITERJSON_DETAIL_INLINE std::size_t room() const noexcept { return static_cast<std::size_t>(end_ - pos_); }

  ITERJSON_DETAIL_INLINE void put_char(char c) {
    if (pos_ != end_) {
      *pos_++ = c;
    } else {
      queue().push_char(c);
    }
  }

  // `text` must stay valid until drained: a literal, a separator, or the value's own.
  ITERJSON_DETAIL_INLINE void put_stable(std::string_view text) {
    if (room() >= text.size()) {
      std::memcpy(pos_, text.data(), text.size());
      pos_ += text.size();
    } else {
      const std::size_t fits = room();
      std::memcpy(pos_, text.data(), fits);
      pos_ = end_;
      queue().push_copy(text.data() + fits, text.size() - fits);
    }
  }

  ITERJSON_DETAIL_INLINE void put_transient(const char* text, std::size_t size) {
    const std::size_t fits = std::min(room(), size);
    std::memcpy(pos_, text, fits);
    pos_ += fits;
    if (fits != size) queue().push_transient(text + fits, size - fits);
  }

  // `head` and `size` are the writer's copies of a separator's; room() >= sizeof head.
  ITERJSON_DETAIL_INLINE void put_short_separator(std::uint64_t head, std::uint8_t size) {
    std::memcpy(pos_, &head, sizeof head);
    pos_ += size;
  }

  // Any separator, at any room: one store where it fits, else its text.
  ITERJSON_DETAIL_INLINE void put_separator(std::uint64_t head, std::uint8_t size, const separator& s) {
    if (s.text.size() <= sizeof head && room() >= sizeof head) return put_short_separator(head, size);
    put_stable(s.text);
  }

  ITERJSON_DETAIL_INLINE void put_newline_indent() {
    put_char('\n');
    const std::size_t count = format().indent_width * current_window().depth;
    const std::size_t fits = std::min(room(), count);
    std::memset(pos_, format().indent_char, fits);
    pos_ += fits;
    if (fits != count) queue().push_repeat(format().indent_char, count - fits);
  }

  template <scan_mode Mode>
  ITERJSON_DETAIL_INLINE void put_string_as(std::string_view text) {
    const char* const end = text.data() + text.size();
    if (room() >= 2 + escape_slack + max_escape_ratio * text.size()) {  // the common case
      *pos_ = '"';
      char* out = pos_ + 1;
      // A short string with bytes from 0x7F that this mode copies (put_string took the others).
      if (Mode == scan_mode::blind && text.size() <= short_string_size && copy_clean_short<Mode>(out, text.data(), text.size())) {
        out += text.size();
      } else {
        const escaped_string escaped = escape_string<Mode>(out, text.data(), end, end, format().rules);
        if (escaped.invalid_at != nullptr) [[unlikely]] return fail_on_invalid_utf8(escaped.invalid_at);
        out = escaped.out;
      }
      *out = '"';
      pos_ = out + 1;
      return;
    }
    put_char('"');
    const string_progress progress = write_string_body(pos_, end_, text.data(), end, 0, format().rules);
    if (progress.invalid_at != nullptr) [[unlikely]] return fail_on_invalid_utf8(progress.invalid_at);
    pos_ = progress.out;
    if (progress.in != end) {
      queue().push_string_body(progress.in, static_cast<std::size_t>(end - progress.in), progress.skip);
    }
    put_char('"');
  }

  ITERJSON_DETAIL_INLINE void fail_on_invalid_utf8(const char* at) {
    engine_.fail_on_invalid_utf8(at);
    halted_ = true;
  }

  ITERJSON_DETAIL_INLINE void fail_too_deep() {
    engine_.fail_too_deep();
    halted_ = true;
  }

  ITERJSON_DETAIL_INLINE void put_non_finite(double value) {
    const std::string_view text = non_finite_text(engine_, value);
    if (text.empty()) {
      halted_ = true;
      return;
    }
    put_stable(text);
  }

  // What NaN or Infinity is written as, or nothing when the engine failed for it; apart,
  // so the writer stays in registers.
  [[gnu::cold]] static std::string_view non_finite_text(engine& e, double value) {
    const char* literal = std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
    switch (e.format().nan) {
      case nan_policy::error:
        e.fail(encode_errc::non_finite_number, std::string(literal) + " is not allowed by nan_policy::error");
        return {};
      case nan_policy::null: return "null";
      case nan_policy::literal: break;
    }
    return literal;
  }

  engine& engine_;
  char* pos_;
  char* const end_;
  const std::uint64_t item_separator_;
  const std::uint64_t key_separator_;
  const std::size_t item_separator_room_;
  const std::size_t key_separator_room_;
  const std::uint8_t item_separator_size_;
  const std::uint8_t key_separator_size_;
  const scan_mode mode_;
  const bool indenting_;
  bool halted_ = false;  // a frame this writer pushed is still on the stack, or the engine failed
};

}  // namespace iterjson::detail
