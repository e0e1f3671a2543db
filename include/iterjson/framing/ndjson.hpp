#pragma once

#include <string_view>
#include <utility>

#include "iterjson/framing/value_stream.hpp"

namespace iterjson {

/// Newline-delimited JSON: one compact value per line, each line ended by `\n`.
struct ndjson_format {
  static constexpr std::string_view prefix{};
  static constexpr std::string_view suffix = "\n";
};

/// The elements of `values` as NDJSON lines, to hand to an `encoder`:
/// `iterjson::encoder enc(iterjson::ndjson(events));`. An lvalue range is referenced and
/// must outlive the encoder; an rvalue range is moved in. The range may be endless.
template <class Range>
value_stream<Range, ndjson_format> ndjson(Range&& values) {
  return {std::forward<Range>(values)};
}

}  // namespace iterjson
