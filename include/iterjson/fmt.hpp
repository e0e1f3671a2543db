#pragma once

#include <algorithm>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

#include "iterjson/encoder.hpp"
#include "iterjson/options.hpp"

namespace iterjson {

/// A value to format as JSON with fmt: what `iterjson::json(value)` returns. It holds
/// a reference to the value (not const: a source or a single-pass view changes as it is
/// read), and a copy of the options: format it in the expression that made it.
template <class T>
struct json_view {
  T& value;
  options opts;
};

/// The value as JSON for fmt: `fmt::format("{}", iterjson::json(value))` writes the
/// compact text, `"{:2}"` the text indented by two (any width sets `options::indent`),
/// and `iterjson::json(value, options)` carries any options. The text is made by an
/// encoder and handed to fmt a slice at a time, never whole: `fmt::format_to` with any
/// output iterator receives it as it is made (through fmt's own 256-byte buffer for an
/// iterator that is not a buffer of fmt's). Note that `fmt::print` gathers all of its
/// output in a buffer before writing it; `fmt::format_to(std::ostreambuf_iterator<char>(
/// stream), ...)` does not.
///
/// Errors are `to_string`'s: `encode_error` for a value the options forbid, and for a
/// source that has nothing yet (`encode_errc::cannot_wait`), thrown out of the format
/// call; a user's exception propagates unchanged. Built without exceptions, the text
/// stops before the slice that met the error. A format spec other than a width is a
/// `fmt::format_error`, at compile time for a checked format string.
template <class T>
json_view<std::remove_reference_t<T>> json(T&& value, const options& opts = {}) {
  return {value, opts};  // a temporary lives until the end of the format call's expression
}

}  // namespace iterjson

/// Formats an `iterjson::json_view` (see `iterjson::json`).
template <class T>
struct fmt::formatter<iterjson::json_view<T>, char> {
  /// The spec is empty or a width: the indent.
  constexpr auto parse(fmt::format_parse_context& ctx) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it >= '0' && *it <= '9') {
      indent_ = 0;
      for (; it != ctx.end() && *it >= '0' && *it <= '9'; ++it) indent_ = indent_ * 10 + (*it - '0');
    }
    if (it != ctx.end() && *it != '}') ctx.on_error("iterjson::json: the format spec is a width, the indent");
    return it;
  }

  template <class FormatContext>
  auto format(const iterjson::json_view<T>& view, FormatContext& ctx) const {
    iterjson::options opts = view.opts;
    if (indent_ >= 0) opts.indent = indent_;
    auto out = ctx.out();
    for (const std::string_view slice : iterjson::iterencode(view.value, opts)) {
      out = std::copy(slice.begin(), slice.end(), out);
    }
    return out;
  }

 private:
  int indent_ = -1;  // none given: the options' own
};
