#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "iterjson/detail/escape.hpp"
#include "iterjson/options.hpp"

namespace iterjson::detail {

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
  std::uint64_t head = 0;   // the first bytes, padded, in memory order
  std::uint8_t short_size;  // text.size(), or long_size
};

// The options, in the form the writer reads them: what an encoder's text looks like.
struct text_format {
  explicit text_format(const options& opts)
      : item_separator(opts.item_separator),
        key_separator(opts.key_separator.value_or(opts.indent < 0 ? ":" : ": ")),
        indent_width(opts.indent < 0 ? 0 : static_cast<std::size_t>(opts.indent)),
        max_depth(opts.max_depth),
        rules{opts.ensure_ascii, opts.invalid_utf8},
        mode(rules.mode()),
        inline_containers(opts.invalid_utf8 != utf8_policy::error),
        nan(opts.nan),
        indent_char(opts.indent_char),
        indenting(opts.indent >= 0),
        sort_keys(opts.sort_keys) {}

  separator item_separator;
  separator key_separator;
  std::size_t indent_width;
  std::size_t max_depth;
  string_rules rules;
  scan_mode mode;
  // Containers of scalars may be written inline, before a frame is pushed for them
  // (write_value.hpp): unless a string may fail, for an error's path names the frames.
  // (A non-finite number, which may fail too, is handed to a frame whatever the policy.)
  bool inline_containers;
  nan_policy nan;
  char indent_char;
  bool indenting;
  bool sort_keys;
};

// Where the frames of one window write: the position of the next byte, the window's
// end, and how deep the containers open at that position are nested.
struct window {
  char* pos = nullptr;
  char* end = nullptr;
  std::size_t depth = 0;
  unsigned descent = 0;  // frames stepping inside their parent's step (see writer)
};

}  // namespace iterjson::detail
