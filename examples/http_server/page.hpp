#pragma once

// The page of GET /: one HTML document, its CSS and JavaScript inline, that shows in a
// browser what the other routes do. Its text is page.html, which the build puts into
// page.cpp (examples/meson.build), so the server needs no file at run time.

#include <string_view>

namespace http_demo {

extern const std::string_view demo_page;

}  // namespace http_demo
