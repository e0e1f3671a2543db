#pragma once

// HTTP/1.1 as the demo server speaks it: request heads parsed, their limits, and response
// heads.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace http_demo {

// A request head, blank line included, is at most this long: 431 above.
inline constexpr std::size_t max_request_head = 16 * 1024;

// A request head, its parts viewing the text it was parsed from.
struct request {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  bool keep_alive = true;
  bool http_1_0 = false;  // no chunked encoding, no keep-alive
  bool has_body = false;
};

// Parses a request head (up to and without the blank line); nothing if malformed. A NUL
// byte makes it malformed wherever it is: RFC 9112 (section 5.5) lets a server reject one
// in a field value, and in a request line it has no place at all.
std::optional<request> parse_request(std::string_view head);

// The value of `name` in a query string, if present.
std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name);

// A response head. A body of known size has a Content-Length. A streamed body is chunked,
// or, for HTTP/1.0, which has no chunked encoding (RFC 9112, section 6.1), ends where the
// connection does. `extra_headers` are lines, each ended by CRLF.
std::string response_head(std::string_view status, std::string_view content_type, bool keep_alive,
                          std::optional<std::size_t> content_length, bool chunked = true,
                          std::string_view extra_headers = {});

}  // namespace http_demo
