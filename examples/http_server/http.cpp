#include "http.hpp"

#include <cctype>

namespace http_demo {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i != a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::optional<request> parse_request(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return std::nullopt;
  request r;
  const std::size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t space1 = line.find(' ');
  const std::size_t space2 = line.rfind(' ');
  if (space1 == std::string_view::npos || space2 == space1) return std::nullopt;
  r.method = line.substr(0, space1);
  const std::string_view target = line.substr(space1 + 1, space2 - space1 - 1);
  const std::string_view version = line.substr(space2 + 1);
  if (target.empty() || target[0] != '/' || !version.starts_with("HTTP/1.")) return std::nullopt;
  r.http_1_0 = version == "HTTP/1.0";
  r.keep_alive = !r.http_1_0;
  const std::size_t question = target.find('?');
  r.path = target.substr(0, question);
  if (question != std::string_view::npos) r.query = target.substr(question + 1);
  std::string_view headers = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!headers.empty()) {
    const std::size_t end = headers.find("\r\n");
    const std::string_view header = headers.substr(0, end);
    headers = end == std::string_view::npos ? std::string_view() : headers.substr(end + 2);
    const std::size_t colon = header.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = header.substr(0, colon);
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (equal_ignoring_case(name, "connection") && !r.http_1_0) r.keep_alive = !equal_ignoring_case(value, "close");
    if (equal_ignoring_case(name, "transfer-encoding") || (equal_ignoring_case(name, "content-length") && value != "0")) {
      r.has_body = true;
    }
  }
  return r;
}

std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::string response_head(std::string_view status, std::string_view content_type, bool keep_alive,
                          std::optional<std::size_t> content_length, bool chunked, std::string_view extra_headers) {
  std::string head = "HTTP/1.1 ";
  head += status;
  head += "\r\nContent-Type: ";
  head += content_type;
  if (content_length) {
    head += "\r\nContent-Length: ";
    head += std::to_string(*content_length);
  } else if (chunked) {
    head += "\r\nTransfer-Encoding: chunked";
  }
  head += "\r\n";
  head += extra_headers;
  if (!keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

}  // namespace http_demo
