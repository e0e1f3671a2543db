#pragma once

#include <cstdint>

namespace iterjson::detail {

// One decoded UTF-8 sequence, or the maximal invalid subpart at its place.
struct utf8_sequence {
  char32_t code_point;  // meaningful only when valid
  std::uint8_t length;  // bytes consumed: the sequence, or the maximal invalid subpart
  bool valid;
};

// Decodes the sequence starting at `p` (p < end). An invalid sequence reports the
// length of its maximal subpart (Unicode 15, 3.9 U+FFFD substitution), so replacing
// each with one U+FFFD gives the same result as Go and the WHATWG decoder.
inline utf8_sequence decode_utf8(const char* p, const char* end) noexcept {
  const auto lead = static_cast<unsigned char>(*p);
  if (lead < 0x80) return {lead, 1, true};

  int length = 0;
  char32_t code_point = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead < 0xC2) {
    return {0, 1, false};  // continuation byte or overlong two-byte lead
  } else if (lead < 0xE0) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if (lead < 0xF0) {
    length = 3;
    code_point = lead & 0x0Fu;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // UTF-16 surrogates
  } else if (lead < 0xF5) {
    length = 4;
    code_point = lead & 0x07u;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return {0, 1, false};
  }

  for (int i = 1; i < length; ++i) {
    if (p + i == end) return {0, static_cast<std::uint8_t>(i), false};
    const auto byte = static_cast<unsigned char>(p[i]);
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (byte < min || byte > max) return {0, static_cast<std::uint8_t>(i), false};
    code_point = (code_point << 6) | (byte & 0x3Fu);
  }
  return {code_point, static_cast<std::uint8_t>(length), true};
}

// The length of the valid sequence that starts the 4 bytes at `p` (read as one little-
// endian word), or 0 when that takes a closer look (invalid, or fewer than 4 bytes).
// Branch-light, for text dense in non-ASCII; decode_utf8 is the reference.
inline unsigned valid_sequence_length(std::uint32_t word) noexcept {
  if ((word & 0xC0E0u) == 0x80C0u) {
    return (word & 0x1Eu) != 0 ? 2 : 0;  // lead C2..DF, not the overlong C0 and C1
  }
  if ((word & 0xC0C0F0u) == 0x8080E0u) {
    const std::uint32_t lead_and_second_top = word & 0x200Fu;  // lead's low nibble, bit 5 of byte 2
    if (lead_and_second_top == 0 || lead_and_second_top == 0x200Du) return 0;  // overlong, surrogate
    return 3;
  }
  if ((word & 0xC0C0C0F8u) == 0x808080F0u) {
    const std::uint32_t code_point = ((word & 0x07u) << 18) | ((word & 0x3F00u) << 4) |
                                     ((word & 0x3F0000u) >> 10) | ((word & 0x3F000000u) >> 24);
    return code_point >= 0x10000 && code_point <= 0x10FFFF ? 4 : 0;
  }
  return 0;
}

// True when the 8 bytes in `word` (little-endian) start with two valid 3-byte
// sequences: the shape of most CJK text, checked in one go.
inline bool starts_with_two_3_byte_sequences(std::uint64_t word) noexcept {
  if ((word & 0xC0C0F0C0C0F0ull) != 0x8080E08080E0ull) return false;
  const auto first = static_cast<std::uint32_t>(word & 0x200F);
  const auto second = static_cast<std::uint32_t>((word >> 24) & 0x200F);
  return first != 0 && first != 0x200D && second != 0 && second != 0x200D;  // overlong, surrogate
}

}  // namespace iterjson::detail
