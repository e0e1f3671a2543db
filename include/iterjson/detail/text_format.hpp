#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "iterjson/detail/escape.hpp"
#include "iterjson/options.hpp"

namespace iterjson::detail {

// A separator: most are one or two bytes, written as one fixed-size store of `head`
// when the window has `store_room` bytes left. A separator past 8 bytes, and an item
// separator that a newline and indentation follow, never take that store: their
// store_room is more than any window has.
struct separator {
  static constexpr std::size_t never = SIZE_MAX;

  separator(std::string_view given, bool stored_alone)
      : text(given),
        store_room(stored_alone && given.size() <= sizeof head ? sizeof head : never),
        size(static_cast<std::uint8_t>(given.size() <= sizeof head ? given.size() : 0)) {
    char padded[sizeof head]{};
    given.copy(padded, sizeof padded);
    std::memcpy(&head, padded, sizeof head);
  }
  std::string text;
  std::uint64_t head = 0;  // the first bytes, padded, in memory order
  std::size_t store_room;  // sizeof head, or never
  std::uint8_t size;       // text.size() when it fits in head
};

// The options, in the form the writer reads them: what an encoder's text looks like.
struct text_format {
  explicit text_format(const options& opts)
      : item_separator(opts.item_separator, opts.indent < 0),
        key_separator(opts.key_separator.value_or(opts.indent < 0 ? ":" : ": "), true),
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
