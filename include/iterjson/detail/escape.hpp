#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/utf8.hpp"
#include "iterjson/options.hpp"

#ifdef ITERJSON_DETAIL_SSE2
#include <emmintrin.h>
#endif

namespace iterjson::detail {

// Which bytes a string scan must stop at, besides controls, quote and backslash.
enum class scan_mode : std::uint8_t {
  blind,    // none: bytes from 0x80 are copied unchecked (verbatim)
  checked,  // bytes from 0x80, to validate their UTF-8 (replace, error)
  ascii,    // bytes from 0x7F, to escape them (ensure_ascii)
};

// How string contents are written, derived once from `options`.
struct string_rules {
  bool ensure_ascii = false;
  utf8_policy invalid_utf8 = utf8_policy::replace;

  [[nodiscard]] scan_mode mode() const noexcept {
    if (ensure_ascii) return scan_mode::ascii;
    return invalid_utf8 == utf8_policy::verbatim ? scan_mode::blind : scan_mode::checked;
  }
};

// Calls f with the scan mode as a compile-time constant: each mode gets its own loops.
template <class F>
ITERJSON_DETAIL_INLINE decltype(auto) with_scan_mode(scan_mode mode, F&& f) {
  switch (mode) {
    case scan_mode::blind: return f(std::integral_constant<scan_mode, scan_mode::blind>{});
    case scan_mode::ascii: return f(std::integral_constant<scan_mode, scan_mode::ascii>{});
    case scan_mode::checked: break;
  }
  return f(std::integral_constant<scan_mode, scan_mode::checked>{});
}

// For each byte, whether a scan in that mode stops at it.
template <scan_mode Mode>
inline constexpr auto stops_at = [] {
  std::array<bool, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    const bool escaped_ascii = byte < 0x20 || byte == '"' || byte == '\\';
    const bool high = Mode == scan_mode::ascii ? byte >= 0x7F : Mode == scan_mode::checked && byte >= 0x80;
    table[static_cast<std::size_t>(byte)] = escaped_ascii || high;
  }
  return table;
}();

inline constexpr std::size_t block_size = 16;

// Nonzero when some byte of the eight in `word` stops the scan. A flag (the top bit of
// a byte) may be set spuriously above a true one, never below it, so the lowest flag
// is exact.
template <scan_mode Mode>
ITERJSON_DETAIL_INLINE std::uint64_t word_stops(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  auto zero_bytes = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  std::uint64_t found =
      ((word - ones * 0x20) & ~word & highs) | zero_bytes(word ^ (ones * '"')) | zero_bytes(word ^ (ones * '\\'));
  if constexpr (Mode != scan_mode::blind) found |= word & highs;
  if constexpr (Mode == scan_mode::ascii) found |= zero_bytes(word ^ (ones * 0x7F));
  return found;
}

// Eight bytes, the first in the lowest: the order every word test here assumes.
inline std::uint64_t load_word8(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  if constexpr (std::endian::native == std::endian::big) {
    word = ((word & 0x00000000FFFFFFFFull) << 32) | ((word & 0xFFFFFFFF00000000ull) >> 32);
    word = ((word & 0x0000FFFF0000FFFFull) << 16) | ((word & 0xFFFF0000FFFF0000ull) >> 16);
    word = ((word & 0x00FF00FF00FF00FFull) << 8) | ((word & 0xFF00FF00FF00FF00ull) >> 8);
  }
  return word;
}

inline std::uint32_t load_word(const char* p) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
         static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

// Writes the Size bytes a word was loaded from (at `from`) to `out`: the word itself on
// a little-endian machine, where it holds them in order, saving a second load.
template <std::size_t Size, class Word>
inline void store_loaded(char* out, Word word, const char* from) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, &word, Size);
  } else {
    std::memcpy(out, from, Size);
  }
}

// Bit i set where byte i of the 16 at `p` stops the scan, a word of eight at a time:
// the portable way, and the plain path the SSE2 one is tested against.
template <scan_mode Mode>
inline unsigned block_stops_by_words(const char* p) noexcept {
  auto lowest_flags = [](std::uint64_t found) {  // exact up to the lowest flag: keep that
    return found == 0 ? 0u : 1u << (std::countr_zero(found) / 8);
  };
  const unsigned first = lowest_flags(word_stops<Mode>(load_word8(p)));
  if (first != 0) return first;
  return lowest_flags(word_stops<Mode>(load_word8(p + 8))) << 8;
}

#ifdef ITERJSON_DETAIL_SSE2
// Bit i set where byte i of `bytes` stops the scan, exactly.
template <scan_mode Mode>
ITERJSON_DETAIL_INLINE unsigned vector_stops(__m128i bytes) noexcept {
  const __m128i quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'));
  // The signed compare takes the bytes from 0x80 as below 0x20 too.
  const __m128i low = Mode == scan_mode::blind
                          ? _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1F)), bytes)
                          : _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20));
  __m128i stops = _mm_or_si128(_mm_or_si128(quote, backslash), low);
  if constexpr (Mode == scan_mode::ascii) stops = _mm_or_si128(stops, _mm_cmpeq_epi8(bytes, _mm_set1_epi8(0x7F)));
  return static_cast<unsigned>(_mm_movemask_epi8(stops));
}
#endif

// Bit i set where byte i of the 16 at `p` stops the scan. Only the lowest set bit is
// sure to be exact: scans use nothing else.
template <scan_mode Mode>
inline unsigned block_stops(const char* p) noexcept {
#ifdef ITERJSON_DETAIL_SSE2
  return vector_stops<Mode>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
#else
  return block_stops_by_words<Mode>(p);
#endif
}

// Copies [p, p + size), size < block_size, to `out` if none of it stops the scan; reads
// only those bytes, with two overlapping words where there are four or more. The plain
// path of copy_clean_tail, and its way without SSE2.
template <scan_mode Mode>
ITERJSON_DETAIL_INLINE bool copy_clean_tail_by_words(char* out, const char* p, std::size_t size) noexcept {
  if (size >= 8) {
    const std::uint64_t head = load_word8(p);
    const std::uint64_t tail = load_word8(p + size - 8);
    if ((word_stops<Mode>(head) | word_stops<Mode>(tail)) != 0) return false;
    store_loaded<8>(out, head, p);
    store_loaded<8>(out + size - 8, tail, p + size - 8);
    return true;
  }
  if (size >= 4) {
    constexpr std::uint64_t clean_filler = 0x6161616100000000ull;  // "aaaa" above the bytes
    const std::uint32_t head = load_word(p);
    const std::uint32_t tail = load_word(p + size - 4);
    if ((word_stops<Mode>(head | clean_filler) | word_stops<Mode>(tail | clean_filler)) != 0) return false;
    store_loaded<4>(out, head, p);
    store_loaded<4>(out + size - 4, tail, p + size - 4);
    return true;
  }
  for (std::size_t i = 0; i < size; ++i) {
    if (stops_at<Mode>[static_cast<unsigned char>(p[i])]) return false;
    out[i] = p[i];
  }
  return true;
}

// As copy_clean_tail_by_words; with SSE2, the two overlapping words of a string of 2 to
// 15 bytes (most keys) are checked in one vector, only the lanes loaded counting.
template <scan_mode Mode>
ITERJSON_DETAIL_INLINE bool copy_clean_tail(char* out, const char* p, std::size_t size) noexcept {
#ifdef ITERJSON_DETAIL_SSE2
  if (size >= 8) {
    const __m128i head = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
    const __m128i tail = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + size - 8));
    if (vector_stops<Mode>(_mm_unpacklo_epi64(head, tail)) != 0) return false;
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), head);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + size - 8), tail);
    return true;
  }
  if (size >= 4) {
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + size - 4, 4);
    const __m128i both = _mm_unpacklo_epi32(_mm_cvtsi32_si128(static_cast<int>(head)), _mm_cvtsi32_si128(static_cast<int>(tail)));
    if ((vector_stops<Mode>(both) & 0xFF) != 0) return false;
    std::memcpy(out, &head, 4);
    std::memcpy(out + size - 4, &tail, 4);
    return true;
  }
  if (size >= 2) {
    std::uint16_t head;
    std::uint16_t tail;
    std::memcpy(&head, p, 2);
    std::memcpy(&tail, p + size - 2, 2);
    const auto both = static_cast<int>(static_cast<std::uint32_t>(head) | static_cast<std::uint32_t>(tail) << 16);
    if ((vector_stops<Mode>(_mm_cvtsi32_si128(both)) & 0xF) != 0) return false;
    std::memcpy(out, &head, 2);
    std::memcpy(out + size - 2, &tail, 2);
    return true;
  }
#endif
  return copy_clean_tail_by_words<Mode>(out, p, size);
}

// The longest string the writers copy whole when nothing in it stops the scan, without
// a call: most keys and many values (URLs, names, dates).
inline constexpr std::size_t short_string_size = 2 * block_size;

// Copies [p, p + size), size <= short_string_size, to `out` if none of it stops the
// scan. From block_size up, two overlapping blocks: one check and one store each.
template <scan_mode Mode>
ITERJSON_DETAIL_INLINE bool copy_clean_short(char* out, const char* p, std::size_t size) noexcept {
  if (size < block_size) return copy_clean_tail<Mode>(out, p, size);
  const char* const tail = p + size - block_size;
  if ((block_stops<Mode>(p) | block_stops<Mode>(tail)) != 0) return false;
  char head_bytes[block_size];
  char tail_bytes[block_size];
  std::memcpy(head_bytes, p, block_size);
  std::memcpy(tail_bytes, tail, block_size);
  std::memcpy(out, head_bytes, block_size);
  std::memcpy(out + size - block_size, tail_bytes, block_size);
  return true;
}


// The length of the valid UTF-8 sequence at `p` (p < end), 0 if it is invalid there.
inline unsigned valid_sequence_at(const char* p, const char* end) noexcept {
  if (end - p >= 4) {
    if (const unsigned length = valid_sequence_length(load_word(p)); length != 0) return length;
  }
  const utf8_sequence sequence = decode_utf8(p, end);
  return sequence.valid ? sequence.length : 0;
}

// The end of the longest prefix of [p, limit) that may be copied verbatim. `end` is the
// end of the whole string: a UTF-8 sequence is validated against it, but taken only when
// it lies wholly before `limit`.
template <scan_mode Mode>
const char* clean_prefix(const char* p, const char* limit, const char* end) noexcept {
  for (;;) {
    while (limit - p >= static_cast<std::ptrdiff_t>(block_size)) {
      const unsigned stops = block_stops<Mode>(p);
      if (stops != 0) {
        p += std::countr_zero(stops);
        break;
      }
      p += block_size;
    }
    while (p != limit && !stops_at<Mode>[static_cast<unsigned char>(*p)]) ++p;
    if (p == limit) return p;
    if constexpr (Mode != scan_mode::checked) {
      return p;
    } else {
      if (static_cast<unsigned char>(*p) < 0x80) return p;
      const unsigned length = valid_sequence_at(p, end);
      if (length == 0 || length > static_cast<std::size_t>(limit - p)) return p;
      p += length;
    }
  }
}

inline const char* clean_prefix(const char* p, const char* limit, const char* end, string_rules rules) noexcept {
  return with_scan_mode(rules.mode(), [&](auto mode) { return clean_prefix<decltype(mode)::value>(p, limit, end); });
}

// The text that replaces one unit a clean prefix stopped at.
struct escaped_unit {
  char text[12];
  std::uint8_t size;      // bytes of text
  std::uint8_t consumed;  // source bytes it stands for; 0 means invalid UTF-8 under error
};

// The most output one source byte can become: a control character as \u00XX.
inline constexpr std::size_t max_escape_ratio = 6;

inline std::uint8_t write_u_escape(char* out, char32_t unit) noexcept {
  constexpr char hex[] = "0123456789abcdef";
  out[0] = '\\';
  out[1] = 'u';
  out[2] = hex[(unit >> 12) & 0xF];
  out[3] = hex[(unit >> 8) & 0xF];
  out[4] = hex[(unit >> 4) & 0xF];
  out[5] = hex[unit & 0xF];
  return 6;
}

// \uXXXX, or a surrogate pair above U+FFFF: how ensure_ascii writes a code point.
inline std::uint8_t write_ascii_code_point(char* out, char32_t code_point) noexcept {
  if (code_point < 0x10000) return write_u_escape(out, code_point);
  const char32_t offset = code_point - 0x10000;
  write_u_escape(out, 0xD800 + (offset >> 10));
  write_u_escape(out + 6, 0xDC00 + (offset & 0x3FF));
  return 12;
}

// U+FFFD, which stands for each maximal invalid subpart.
inline std::uint8_t write_replacement_character(char* out, bool ensure_ascii) noexcept {
  if (ensure_ascii) return write_u_escape(out, 0xFFFD);
  std::memcpy(out, "\xEF\xBF\xBD", 3);
  return 3;
}

// Escapes the unit at `p` (p < end), which `clean_prefix` did not take.
inline escaped_unit escape_unit(const char* p, const char* end, string_rules rules) noexcept {
  escaped_unit unit{};
  const auto byte = static_cast<unsigned char>(*p);
  if (byte < 0x80) {
    unit.consumed = 1;
    const char* short_form = nullptr;
    switch (byte) {
      case '"': short_form = "\\\""; break;
      case '\\': short_form = "\\\\"; break;
      case '\n': short_form = "\\n"; break;
      case '\r': short_form = "\\r"; break;
      case '\t': short_form = "\\t"; break;
      case '\b': short_form = "\\b"; break;
      case '\f': short_form = "\\f"; break;
      default: break;
    }
    if (short_form != nullptr) {
      unit.text[0] = short_form[0];
      unit.text[1] = short_form[1];
      unit.size = 2;
    } else if (byte < 0x20 || byte == 0x7F) {
      unit.size = write_u_escape(unit.text, byte);
    } else {
      unit.text[0] = static_cast<char>(byte);
      unit.size = 1;
    }
    return unit;
  }

  const utf8_sequence sequence = decode_utf8(p, end);
  if (sequence.valid) {
    unit.consumed = sequence.length;
    if (rules.ensure_ascii) {
      unit.size = write_ascii_code_point(unit.text, sequence.code_point);
    } else {
      std::memcpy(unit.text, p, sequence.length);
      unit.size = sequence.length;
    }
    return unit;
  }
  if (rules.invalid_utf8 == utf8_policy::error) return unit;  // consumed == 0
  // replace; and verbatim under ensure_ascii, where raw bytes cannot stay ASCII
  // (verbatim alone never gets here: clean_prefix copies every high byte)
  unit.consumed = sequence.length;
  unit.size = write_replacement_character(unit.text, rules.ensure_ascii);
  return unit;
}

// The escape of each ASCII byte, as escape_unit writes it, ready to copy in one store:
// the dense-escape path of escape_string (escape_unit stays the plain path).
struct ascii_escape {
  char text[7];
  std::uint8_t size;
};

inline constexpr auto ascii_escapes = [] {
  std::array<ascii_escape, 0x80> table{};
  for (unsigned byte = 0; byte < 0x80; ++byte) {
    const char* const short_forms = "\"\\\n\r\t\b\f";
    const char* const short_letters = "\"\\nrtbf";
    ascii_escape& escape = table[byte];
    escape.size = 1;
    escape.text[0] = static_cast<char>(byte);
    for (int i = 0; i < 7; ++i) {
      if (static_cast<unsigned char>(short_forms[i]) == byte) {
        escape = {{'\\', short_letters[i]}, 2};
      }
    }
    if (escape.size == 1 && (byte < 0x20 || byte == 0x7F)) {
      constexpr char hex[] = "0123456789abcdef";
      escape = {{'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0xF]}, 6};
    }
  }
  return table;
}();

// Where escape_string stopped.
struct escaped_string {
  char* out;               // the end of what was written
  const char* in;          // the first source byte not written
  const char* invalid_at;  // an invalid sequence refused by utf8_policy::error, else null
};

// Room escape_string needs beyond max_escape_ratio bytes per source byte: the escape of
// a unit that starts before `limit` and ends after it (12 bytes), and the fixed-size
// stores that run ahead of what counts, with a margin.
inline constexpr std::size_t escape_slack = 12 + block_size;

// Writes the escaped text of the units of [p, end) that start before `limit`, at `out`,
// which has room for max_escape_ratio bytes per byte of [p, limit) plus escape_slack.
template <scan_mode Mode>
escaped_string escape_string(char* out, const char* p, const char* limit, const char* end,
                             string_rules rules) noexcept {
  for (;;) {
    while (limit - p >= static_cast<std::ptrdiff_t>(block_size)) {
      std::memcpy(out, p, block_size);
      const unsigned stops = block_stops<Mode>(p);
      if (stops != 0) {
        const int clean = std::countr_zero(stops);
        p += clean;
        out += clean;
        goto stopped;
      }
      p += block_size;
      out += block_size;
    }
    if (p < limit && copy_clean_tail<Mode>(out, p, static_cast<std::size_t>(limit - p))) {
      out += limit - p;
      return {out, limit, nullptr};
    }
    while (p < limit && !stops_at<Mode>[static_cast<unsigned char>(*p)]) *out++ = *p++;
    if (p >= limit) return {out, p, nullptr};
  stopped:
    if constexpr (Mode == scan_mode::checked) {
      // Text dense in non-ASCII: take valid sequences one after another, here.
      while (static_cast<unsigned char>(*p) >= 0x80) {
        if (limit - p >= 14) {  // four 3-byte sequences in two overlapping words
          const std::uint64_t pair = load_word8(p);
          const std::uint64_t next_pair = load_word8(p + 6);
          if (starts_with_two_3_byte_sequences(pair) && starts_with_two_3_byte_sequences(next_pair)) {
            store_loaded<8>(out, pair, p);  // room allows it; 12 bytes count
            store_loaded<8>(out + 6, next_pair, p + 6);
            out += 12;
            p += 12;
            if (p >= limit) return {out, p, nullptr};
            continue;
          }
        }
        if (end - p >= 8) {
          const std::uint64_t pair = load_word8(p);
          if (starts_with_two_3_byte_sequences(pair)) {
            store_loaded<8>(out, pair, p);  // room allows it; 6 bytes count
            out += 6;
            p += 6;
            if (p >= limit) return {out, p, nullptr};
            continue;
          }
        }
        unsigned length = 0;
        if (end - p >= 4) {
          const std::uint32_t word = load_word(p);
          length = valid_sequence_length(word);
          store_loaded<4>(out, word, p);  // room allows it; only `length` bytes count
        }
        if (length == 0) {
          const utf8_sequence sequence = decode_utf8(p, end);
          if (!sequence.valid) break;
          length = sequence.length;
          std::memcpy(out, p, length);
        }
        out += length;
        p += length;
        if (p >= limit) return {out, p, nullptr};
      }
      if (!stops_at<Mode>[static_cast<unsigned char>(*p)]) continue;
    }
    if (static_cast<unsigned char>(*p) < 0x80) {  // quote, backslash, control, DEL: from the table
      const ascii_escape& escape = ascii_escapes[static_cast<unsigned char>(*p)];
      std::memcpy(out, escape.text, sizeof escape.text);  // room allows it; `size` bytes count
      out += escape.size;
      ++p;
      continue;
    }
    const escaped_unit unit = escape_unit(p, end, rules);
    if (unit.consumed == 0) return {out, p, p};
    std::memcpy(out, unit.text, sizeof unit.text);
    out += unit.size;
    p += unit.consumed;
  }
}

inline escaped_string escape_string(char* out, const char* p, const char* limit, const char* end,
                                    string_rules rules) noexcept {
  return with_scan_mode(rules.mode(), [&](auto mode) { return escape_string<decltype(mode)::value>(out, p, limit, end, rules); });
}

}  // namespace iterjson::detail
