#include "iterjson/detail/utf8.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

using iterjson::detail::decode_utf8;

namespace {

// The well-formed sequences of Unicode Table 3-7, spelled out, as the plain reference.
bool well_formed(const std::vector<unsigned char>& s) {
  auto in = [](unsigned char b, unsigned lo, unsigned hi) { return b >= lo && b <= hi; };
  switch (s.size()) {
    case 1: return s[0] <= 0x7F;
    case 2: return in(s[0], 0xC2, 0xDF) && in(s[1], 0x80, 0xBF);
    case 3:
      return (s[0] == 0xE0 && in(s[1], 0xA0, 0xBF) && in(s[2], 0x80, 0xBF)) ||
             ((in(s[0], 0xE1, 0xEC) || in(s[0], 0xEE, 0xEF)) && in(s[1], 0x80, 0xBF) && in(s[2], 0x80, 0xBF)) ||
             (s[0] == 0xED && in(s[1], 0x80, 0x9F) && in(s[2], 0x80, 0xBF));
    case 4:
      return (s[0] == 0xF0 && in(s[1], 0x90, 0xBF) && in(s[2], 0x80, 0xBF) && in(s[3], 0x80, 0xBF)) ||
             (in(s[0], 0xF1, 0xF3) && in(s[1], 0x80, 0xBF) && in(s[2], 0x80, 0xBF) && in(s[3], 0x80, 0xBF)) ||
             (s[0] == 0xF4 && in(s[1], 0x80, 0x8F) && in(s[2], 0x80, 0xBF) && in(s[3], 0x80, 0xBF));
    default: return false;
  }
}

// The maximal subpart: the longest prefix that is a prefix of some well-formed sequence.
std::size_t reference_length(const std::vector<unsigned char>& bytes, bool& valid) {
  for (std::size_t n = 4; n >= 1; --n) {
    if (n <= bytes.size() && well_formed({bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)})) {
      valid = true;
      return n;
    }
  }
  valid = false;
  std::size_t longest = 1;
  for (std::size_t n = 2; n <= std::min<std::size_t>(3, bytes.size()); ++n) {
    // a prefix of a well-formed sequence if some completion is well formed
    const std::vector<unsigned char> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bool completes = false;
    for (std::size_t total = n + 1; total <= 4 && !completes; ++total) {
      std::vector<unsigned char> candidate = prefix;
      candidate.resize(total, 0x80);
      for (unsigned b = 0x80; b <= 0xBF && !completes; ++b) {
        candidate[n] = static_cast<unsigned char>(b);
        completes = well_formed(candidate);
      }
    }
    if (!completes) break;
    longest = n;
  }
  return longest;
}

std::string decode_all(std::string_view bytes) {
  std::string out;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p != end) {
    const auto sequence = decode_utf8(p, end);
    if (sequence.valid) {
      out.append(p, sequence.length);
    } else {
      out += "\xEF\xBF\xBD";
    }
    p += sequence.length;
  }
  return out;
}

}  // namespace

TEST_CASE("decode_utf8 agrees with Table 3-7 on every lead and second byte") {
  for (unsigned lead = 0; lead < 256; ++lead) {
    for (unsigned second = 0; second < 256; ++second) {
      for (const unsigned tail : {0x41u, 0x80u, 0xBFu, 0xC0u}) {
        const std::vector<unsigned char> bytes{static_cast<unsigned char>(lead), static_cast<unsigned char>(second),
                                               static_cast<unsigned char>(tail), static_cast<unsigned char>(tail)};
        bool valid = false;
        const std::size_t expected = reference_length(bytes, valid);
        const std::string text(bytes.begin(), bytes.end());
        const auto sequence = decode_utf8(text.data(), text.data() + text.size());
        REQUIRE_MESSAGE(sequence.valid == valid, lead << " " << second << " " << tail);
        REQUIRE_MESSAGE(sequence.length == expected, lead << " " << second << " " << tail);
      }
    }
  }
}

TEST_CASE("code points are decoded exactly") {
  const std::string text = "\u00e9\u0800\uffff\U00010000\U0010FFFF";
  const char* p = text.data();
  const char* end = p + text.size();
  std::vector<char32_t> code_points;
  while (p != end) {
    const auto sequence = decode_utf8(p, end);
    REQUIRE(sequence.valid);
    code_points.push_back(sequence.code_point);
    p += sequence.length;
  }
  CHECK(code_points == std::vector<char32_t>{0xE9, 0x800, 0xFFFF, 0x10000, 0x10FFFF});
}

TEST_CASE("one U+FFFD per maximal subpart, as Python's decoder does") {
  const std::string r = "\xEF\xBF\xBD";
  CHECK(decode_all("\x80") == r);
  CHECK(decode_all("\xc0\xaf") == r + r);
  CHECK(decode_all("\xe0\x80\xaf") == r + r + r);
  CHECK(decode_all("\xed\xa0\x80") == r + r + r);  // a UTF-16 surrogate
  CHECK(decode_all("\xf4\x90\x80\x80") == r + r + r + r);
  CHECK(decode_all("\xe2\x82") == r);  // truncated at the end
  CHECK(decode_all("\xf0\x9f\x98") == r);
  CHECK(decode_all("\xf5") == r);
  CHECK(decode_all("\xe2\x82" "A") == r + "A");
  CHECK(decode_all("a\xf1\x80\x80\xe1\x80\xc2" "b") == "a" + r + r + r + "b");
}
