#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "iterjson/detail/escape.hpp"

namespace iterjson::detail {

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

// Output that did not fit the window, kept in order until the next window. Frames only
// run on an empty queue and stop after the item that overflowed, so a fixed number of
// segments always suffices.
class output_queue {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == tail_; }

  // Bytes that stay valid until drained: a literal, a separator, a value's own.
  void push_copy(const char* data, std::size_t size) { push({kind::copy, 0, 0, data, size}); }
  void push_char(char c) { push_copy(&byte_values[static_cast<unsigned char>(c)], 1); }
  void push_repeat(char c, std::size_t count) { push({kind::repeat, 0, c, nullptr, count}); }
  // The body of a string from `in`, `skip` bytes of the escape of its first unit written.
  void push_string_body(const char* in, std::size_t size, std::uint8_t skip) {
    push({kind::string_body, skip, 0, in, size});
  }
  // Bytes that will not outlive the call that made them: kept in the arena.
  void push_transient(const char* data, std::size_t size) {
    assert(arena_used_ + size <= arena_capacity);
    char* kept = arena_ + arena_used_;
    arena_used_ += size;
    std::memcpy(kept, data, size);
    push_copy(kept, size);
  }

  // Writes what is queued into [pos, end); returns the new position. The queue is then
  // empty, or the window full, or a string body met invalid UTF-8 under
  // utf8_policy::error (invalid_utf8()).
  char* drain(char* pos, char* end, string_rules rules) {
    for (; !empty(); ++head_) {
      segment& s = segments_[head_];
      const std::size_t fits = std::min(static_cast<std::size_t>(end - pos), s.size);
      switch (s.what) {
        case kind::copy:
          std::memcpy(pos, s.data, fits);
          pos += fits;
          s.data += fits;
          s.size -= fits;
          break;
        case kind::repeat:
          std::memset(pos, s.repeated, fits);
          pos += fits;
          s.size -= fits;
          break;
        case kind::string_body: {
          const char* body_end = s.data + s.size;
          const string_progress progress = write_string_body(pos, end, s.data, body_end, s.skip, rules);
          if (progress.invalid_at != nullptr) {
            invalid_at_ = progress.invalid_at;
            return pos;
          }
          pos = progress.out;
          s.data = progress.in;
          s.skip = progress.skip;
          s.size = static_cast<std::size_t>(body_end - progress.in);
          break;
        }
      }
      if (s.size != 0) return pos;
    }
    clear();
    return pos;
  }

  // The next `size` bytes, when they are the plain bytes of a string body that needs no
  // escaping: handed out in place instead of copied. Empty otherwise.
  std::string_view take_clean_run(std::size_t size, string_rules rules) {
    if (empty()) return {};
    segment& s = segments_[head_];
    if (s.what != kind::string_body || s.skip != 0 || s.size < size) return {};
    const char* start = s.data;
    if (clean_prefix(start, start + size, start + s.size, rules) != start + size) return {};
    s.data += size;
    s.size -= size;
    if (s.size == 0) ++head_;  // the closing quote always follows
    return {start, size};
  }

  // Where drain() stopped at invalid UTF-8 refused by utf8_policy::error; else null.
  [[nodiscard]] const char* invalid_utf8() const noexcept { return invalid_at_; }

  // The first invalid UTF-8 in the string bodies queued, or null. Cold: an error met
  // while strings are queued must not overtake one of theirs, which comes first in the
  // text; the engine asks before it reports its own.
  [[gnu::cold]] const char* find_invalid_utf8(string_rules rules) const {
    if (rules.invalid_utf8 != utf8_policy::error) return nullptr;
    for (std::size_t i = head_; i != tail_; ++i) {
      const segment& s = segments_[i];
      if (s.what != kind::string_body) continue;
      const char* const end = s.data + s.size;
      for (const char* p = s.data; (p = clean_prefix(p, end, end, rules)) != end;) {
        const escaped_unit unit = escape_unit(p, end, rules);
        if (unit.consumed == 0) return p;
        p += unit.consumed;
      }
    }
    return nullptr;
  }

  void clear() noexcept {
    head_ = tail_ = 0;
    arena_used_ = 0;
    invalid_at_ = nullptr;
  }

 private:
  enum class kind : std::uint8_t { copy, repeat, string_body };
  struct segment {
    kind what;
    std::uint8_t skip;  // string_body: bytes already written of the escape at `data`
    char repeated;      // repeat: the character
    const char* data;   // copy: bytes; string_body: the next source byte
    std::size_t size;   // bytes (or repeats) left
  };

  // Every byte value at a fixed address, so a single character can be queued by reference.
  static constexpr auto byte_values = [] {
    std::array<char, 256> bytes{};
    for (int i = 0; i < 256; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>(i);
    return bytes;
  }();

  // The most one frame step can queue, at a window of any size: an object member's item
  // separator, newline, indent, key (quote, body, quote), key separator and value
  // (quote, body, quote) are 10 segments; a child closed inside that step adds 3; the
  // arena holds at most two formatted numbers (a float key and a float value).
  static constexpr std::size_t capacity = 32;
  static constexpr std::size_t arena_capacity = 256;

  void push(const segment& s) {
    assert(tail_ < capacity);
    segments_[tail_++] = s;
  }

  std::size_t head_ = 0;
  std::size_t tail_ = 0;
  segment segments_[capacity];
  std::size_t arena_used_ = 0;
  char arena_[arena_capacity];
  const char* invalid_at_ = nullptr;
};

}  // namespace iterjson::detail
