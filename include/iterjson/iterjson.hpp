#pragma once

/// iterjson: a pull-based, incremental JSON encoder.
///
/// - `encoder.hpp`: `encoder`, `to_string`, `iterencode`
/// - `options.hpp`: `options`, `nan_policy`, `utf8_policy`
/// - `error.hpp`: `encode_error`
/// - `traits.hpp`: what can be encoded, and how to make more types encodable
///
/// DOM support lives in `adapters/nlohmann.hpp` and `adapters/boost_json.hpp`, included
/// on their own so that this header needs nothing but fmt.

#include "iterjson/encoder.hpp"
#include "iterjson/error.hpp"
#include "iterjson/options.hpp"
#include "iterjson/traits.hpp"
