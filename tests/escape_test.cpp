#include "iterjson/detail/escape.hpp"

#include <algorithm>
#include <bit>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>

#include "test_support.hpp"

using iterjson::utf8_policy;
using iterjson::detail::clean_prefix;
using iterjson::detail::escape_unit;
using iterjson::detail::string_rules;

namespace {

// The plain path: one byte at a time, no words.
const char* clean_prefix_bytewise(const char* p, const char* limit, const char* end, string_rules rules) {
  while (p != limit) {
    const auto byte = static_cast<unsigned char>(*p);
    if (byte < 0x20 || byte == '"' || byte == '\\') return p;
    if (byte < 0x7F) {
      ++p;
      continue;
    }
    if (rules.ensure_ascii) return p;
    if (byte == 0x7F || rules.invalid_utf8 == utf8_policy::verbatim) {
      ++p;
      continue;
    }
    const auto sequence = iterjson::detail::decode_utf8(p, end);
    if (!sequence.valid || sequence.length > limit - p) return p;
    p += sequence.length;
  }
  return p;
}

std::string escaped(std::string_view unit, string_rules rules = {}) {
  const auto e = escape_unit(unit.data(), unit.data() + unit.size(), rules);
  return std::string(e.text, e.size);
}

}  // namespace

TEST_CASE("short escapes and \\u00XX for the other controls, as Python writes them") {
  CHECK(escaped("\"") == "\\\"");
  CHECK(escaped("\\") == "\\\\");
  CHECK(escaped("\n") == "\\n");
  CHECK(escaped("\r") == "\\r");
  CHECK(escaped("\t") == "\\t");
  CHECK(escaped("\b") == "\\b");
  CHECK(escaped("\f") == "\\f");
  CHECK(escaped(std::string_view("\0", 1)) == "\\u0000");
  CHECK(escaped("\x1f") == "\\u001f");
  CHECK(escaped("\x7f", {.ensure_ascii = true}) == "\\u007f");
}

TEST_CASE("ensure_ascii writes code points, surrogate pairs above U+FFFF") {
  const string_rules ascii{.ensure_ascii = true};
  CHECK(escaped("\u00e9", ascii) == "\\u00e9");
  CHECK(escaped("\U0001F600", ascii) == "\\ud83d\\ude00");
  CHECK(escaped("\xff", ascii) == "\\ufffd");
}

TEST_CASE("invalid UTF-8 under each policy") {
  CHECK(escaped("\xc3") == "\xef\xbf\xbd");
  const std::string_view truncated = "\xc3";
  CHECK(escape_unit(truncated.data(), truncated.data() + 1, {.invalid_utf8 = utf8_policy::error}).consumed == 0);
  const std::string_view overlong = "\xe0\x80";
  CHECK(escape_unit(overlong.data(), overlong.data() + 2, {}).consumed == 1);
}

TEST_CASE("the SSE2 and the word-at-a-time block scans agree with a bytewise scan") {
  using iterjson::detail::scan_mode;
  std::mt19937_64 random(7);
  const std::string alphabet = std::string("aZ ~\x7f\"\\\n\x01\x1f\x80\xc3\xe2\xff", 14);
  auto check = [&]<scan_mode Mode>(std::integral_constant<scan_mode, Mode>) {
    for (int round = 0; round < 20000; ++round) {
      char block[16];
      for (char& c : block) c = random() % 4 == 0 ? alphabet[random() % alphabet.size()] : 'q';
      unsigned first_stop = 16;
      for (unsigned i = 0; i < 16 && first_stop == 16; ++i) {
        if (iterjson::detail::stops_at<Mode>[static_cast<unsigned char>(block[i])]) first_stop = i;
      }
      const auto lowest = [](unsigned mask) { return mask == 0 ? 16u : static_cast<unsigned>(std::countr_zero(mask)); };
      REQUIRE(lowest(iterjson::detail::block_stops<Mode>(block)) == first_stop);
      REQUIRE(lowest(iterjson::detail::block_stops_by_words<Mode>(block)) == first_stop);
    }
  };
  check(std::integral_constant<scan_mode, scan_mode::blind>{});
  check(std::integral_constant<scan_mode, scan_mode::checked>{});
  check(std::integral_constant<scan_mode, scan_mode::ascii>{});
}

TEST_CASE("short strings: the SSE2 checks and the word-at-a-time one agree with a bytewise one") {
  using iterjson::detail::scan_mode;
  std::mt19937_64 random(16);
  const std::string alphabet = std::string("aZ ~\x7f\"\\\n\x01\x1f\x80\xc3\xe2\xff", 14);
  auto check = [&]<scan_mode Mode>(std::integral_constant<scan_mode, Mode>) {
    for (int round = 0; round < 20000; ++round) {
      const std::size_t size = random() % (iterjson::detail::short_string_size + 1);
      std::string text(size, 'q');
      for (char& c : text) {
        if (random() % 8 == 0) c = alphabet[random() % alphabet.size()];
      }
      const bool clean = std::ranges::none_of(text, [](char c) { return iterjson::detail::stops_at<Mode>[static_cast<unsigned char>(c)]; });
      char fast[iterjson::detail::short_string_size];
      char plain[iterjson::detail::short_string_size];
      REQUIRE(iterjson::detail::copy_clean_short<Mode>(fast, text.data(), size) == clean);
      if (clean) REQUIRE(std::string_view(fast, size) == text);
      if (size < iterjson::detail::block_size) {  // copy_clean_short's own way from block_size up
        REQUIRE(iterjson::detail::copy_clean_tail<Mode>(fast, text.data(), size) == clean);
        REQUIRE(iterjson::detail::copy_clean_tail_by_words<Mode>(plain, text.data(), size) == clean);
        if (clean) REQUIRE(std::string_view(plain, size) == text);
      }
    }
  };
  check(std::integral_constant<scan_mode, scan_mode::blind>{});
  check(std::integral_constant<scan_mode, scan_mode::checked>{});
  check(std::integral_constant<scan_mode, scan_mode::ascii>{});
}

TEST_CASE("the word-at-a-time scan agrees with the bytewise scan") {
  std::mt19937_64 random(20261122);
  const std::string alphabet = std::string("abcXYZ 09~\x7f\"\\\n\x01\x1f", 17) + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xed\xa0";
  for (int round = 0; round < 20000; ++round) {
    std::string text(random() % 40, 'a');
    const bool sparse = round % 2 == 0;  // long clean runs, then dense mixes
    for (char& c : text) {
      if (!sparse || random() % 16 == 0) c = alphabet[random() % alphabet.size()];
    }
    const char* begin = text.data();
    const char* end = begin + text.size();
    const char* limit = begin + (text.empty() ? 0 : random() % (text.size() + 1));
    for (const bool ascii : {false, true}) {
      for (const auto policy : {utf8_policy::replace, utf8_policy::error, utf8_policy::verbatim}) {
        const string_rules rules{ascii, policy};
        REQUIRE(clean_prefix(begin, limit, end, rules) == clean_prefix_bytewise(begin, limit, end, rules));
      }
    }
  }
}

TEST_CASE("the table of ASCII escapes agrees with escape_unit") {
  for (unsigned byte = 0; byte < 0x80; ++byte) {
    const char c = static_cast<char>(byte);
    const auto unit = escape_unit(&c, &c + 1, {});
    const auto& escape = iterjson::detail::ascii_escapes[byte];
    REQUIRE(std::string_view(escape.text, escape.size) == std::string_view(unit.text, unit.size));
  }
  const std::string dense("a\x01\"b\\\n\x7f", 7);
  CHECK(iterjson::to_string(dense, {.ensure_ascii = true}) == "\"a\\u0001\\\"b\\\\\\n\\u007f\"");
  CHECK(iterjson::to_string(dense) == "\"a\\u0001\\\"b\\\\\\n\x7f\"");
}

TEST_CASE("escape_string agrees with escape_unit on text dense in 3-byte sequences, stopping at any limit") {
  using iterjson::detail::escape_string;
  std::mt19937_64 random(20261207);
  // Valid sequences (CJK, the edges of the 3-byte range) and invalid ones (overlong,
  // surrogate, cut short), among ASCII and escapes.
  const std::string_view units[] = {"\xe6\x97\xa5", "\xe6\x9c\xac", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xed\x9f\xbf",
                                    "\xe0\x9f\xbf", "\xed\xa0\x80", "\xe6\x97", "a", "\"", "\n", "\xc3\xa9",
                                    "\xf0\x9f\x98\x80"};
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const std::size_t count = random() % 24;
    for (std::size_t i = 0; i < count; ++i) {
      text += random() % 4 != 0 ? units[random() % 2] : units[random() % std::size(units)];  // mostly valid CJK
    }
    const char* begin = text.data();
    const char* end = begin + text.size();
    const char* limit = begin + (text.empty() ? 0 : random() % (text.size() + 1));
    for (const bool ascii : {false, true}) {
      for (const auto policy : {utf8_policy::replace, utf8_policy::error}) {
        const string_rules rules{ascii, policy};
        std::string fast(text.size() * iterjson::detail::max_escape_ratio + iterjson::detail::escape_slack, '\0');
        const auto result = escape_string(fast.data(), begin, limit, end, rules);
        // The plain path: one unit at a time, up to where the fast one stopped.
        std::string plain;
        const char* p = begin;
        while (p < result.in) {
          const auto unit = escape_unit(p, end, rules);
          REQUIRE(unit.consumed != 0);
          plain.append(unit.text, unit.size);
          p += unit.consumed;
        }
        REQUIRE(p == result.in);
        REQUIRE(std::string_view(fast.data(), static_cast<std::size_t>(result.out - fast.data())) == plain);
        if (result.invalid_at == nullptr) {
          REQUIRE(result.in >= limit);  // every unit that starts before the limit is written
        } else {  // the invalid sequence refused by utf8_policy::error, where it stopped
          REQUIRE(result.invalid_at == result.in);
          REQUIRE(escape_unit(result.invalid_at, end, rules).consumed == 0);
        }
      }
    }
  }
}
