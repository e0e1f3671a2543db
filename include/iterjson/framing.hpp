#pragma once

// Framing: how a stream of JSON text is cut and wrapped for the wire.
// - Streams of top-level values (`value_stream`): NDJSON, JSON text sequences, SSE.
// - HTTP/1.1 chunked transfer encoding of the blocks a `stream_driver` writes.

#include <cstddef>
#include <string_view>
#include <utility>

namespace iterjson {

// --- streams of top-level values -----------------------------------------------------

/// A stream of top-level JSON values: each element of `values` written compactly, with
/// `Format::prefix` before it and `Format::suffix` after it, and no brackets around the
/// whole; `ndjson_format`, `json_seq_format` and `sse_format` are such formats. `Range`
/// is a range or a source (`source.hpp`), referenced when it is a reference type, else
/// held here by value.
///
/// Such a stream must be the encoder's root value, and the options must not indent; an
/// encoder reports either mistake with `encode_error`. An element that fails to encode
/// has the path `/N`, N counting elements from 0.
template <class Range, class Format>
struct value_stream {
  using format = Format;
  Range values;
};

/// Newline-delimited JSON: one compact value per line, each line ended by `\n`.
struct ndjson_format {
  static constexpr std::string_view prefix{};
  static constexpr std::string_view suffix = "\n";
};

/// RFC 7464 JSON text sequences: each value preceded by the record separator 0x1E and
/// followed by a newline.
struct json_seq_format {
  static constexpr std::string_view prefix = "\x1E";
  static constexpr std::string_view suffix = "\n";
};

/// Server-sent events (the HTML standard's text/event-stream): each value as the data
/// of one event, `data: <value>` and a blank line. Compact JSON has no line breaks, so
/// one `data:` line holds it.
struct sse_format {
  static constexpr std::string_view prefix = "data: ";
  static constexpr std::string_view suffix = "\n\n";
};

/// The elements of `values` as NDJSON lines, to hand to an `encoder`:
/// `iterjson::encoder enc(iterjson::ndjson(events));`. An lvalue range is referenced and
/// must outlive the encoder; an rvalue range is moved in. The range may be endless.
template <class Range>
value_stream<Range, ndjson_format> ndjson(Range&& values) {
  return {std::forward<Range>(values)};
}

/// The elements of `values` as an RFC 7464 JSON text sequence (`application/json-seq`).
template <class Range>
value_stream<Range, json_seq_format> json_seq(Range&& values) {
  return {std::forward<Range>(values)};
}

/// The elements of `values` as server-sent events (`text/event-stream`).
template <class Range>
value_stream<Range, sse_format> server_sent_events(Range&& values) {
  return {std::forward<Range>(values)};
}

// --- HTTP/1.1 chunked transfer encoding ----------------------------------------------

/// HTTP/1.1 chunked transfer encoding (RFC 9112, section 7.1): each block of the body is
/// sent as `<size in hex>\r\n<bytes>\r\n`, and the body ends with `last_chunk`. A
/// `stream_driver` with `transfer_framing::http_chunked` frames every block it writes
/// this way, in place, so a chunk is never smaller than a block except the last.
namespace http_chunked {

/// The zero-size chunk that ends a body. A body cut off before it is incomplete to the
/// client, which is how an aborted response is told apart from a finished one.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";
/// What follows the bytes of every chunk.
inline constexpr std::string_view chunk_end = "\r\n";

/// The room a chunk header needs before a chunk of at most `max_size` bytes.
constexpr std::size_t header_room(std::size_t max_size) noexcept {
  std::size_t digits = 1;
  while (max_size >>= 4) ++digits;
  return digits + 2;
}

/// Writes the header of a chunk of `size` bytes (more than 0) so that it ends right
/// before `payload`, and returns where it starts.
inline char* write_header_before(char* payload, std::size_t size) noexcept {
  char* start = payload - 2;
  start[0] = '\r';
  start[1] = '\n';
  do {
    *--start = "0123456789abcdef"[size & 0xf];
    size >>= 4;
  } while (size != 0);
  return start;
}

}  // namespace http_chunked

}  // namespace iterjson
