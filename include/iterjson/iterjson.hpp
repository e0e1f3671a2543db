#pragma once

/// iterjson: a pull-based, incremental JSON encoder.
///
/// - `encoder.hpp`: `encoder`, `to_string`, `iterencode`
/// - `options.hpp`: `options`, `nan_policy`, `utf8_policy`
/// - `error.hpp`: `encode_error`
/// - `traits.hpp`: what can be encoded, and how to make more types encodable
/// - `source.hpp`: sources whose elements may not be ready yet; `channel`
/// - `generator.hpp`: `generator`, a coroutine whose yielded values are an array
/// - `framing.hpp`: streams of top-level values (NDJSON, JSON text sequences, SSE)
///
/// DOM support lives in `adapters/nlohmann.hpp` and `adapters/boost_json.hpp`, and fmt
/// support in `fmt.hpp`, included on their own so that this header needs nothing but the
/// standard library.

#include "iterjson/encoder.hpp"
#include "iterjson/error.hpp"
#include "iterjson/framing.hpp"
#include "iterjson/generator.hpp"
#include "iterjson/options.hpp"
#include "iterjson/source.hpp"
#include "iterjson/traits.hpp"
