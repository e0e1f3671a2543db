#pragma once

#include <ranges>
#include <utility>

namespace iterjson {

/// A stream of top-level JSON values: each element of `values` written compactly, with
/// `Format::prefix` before it and `Format::suffix` after it, and no brackets around the
/// whole. The framings of streaming formats are such formats (`ndjson.hpp`). `Range` is a
/// reference to a range owned elsewhere, or a range held here by value.
///
/// Such a stream must be the encoder's root value, and the options must not indent; an
/// encoder reports either mistake with `encode_error`. An element that fails to encode
/// has the path `/N`, N counting elements from 0.
template <class Range, class Format>
struct value_stream {
  using format = Format;
  Range values;
};

}  // namespace iterjson
