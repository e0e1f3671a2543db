#pragma once

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <system_error>

#include "iterjson/detail/config.hpp"
#include "iterjson/error.hpp"

// The one place where errors become exceptions, or, built with -fno-exceptions, codes and
// aborts. Everything below the API records a failure and returns; the API raises it.

namespace iterjson::detail {

// Why an encoder stopped: an encode_errc with its message and path, or, for a user's
// exception, exception_thrown and the path alone.
struct failure {
  std::error_code code;
  std::string reason;
  std::string path;
  std::string message;  // reason and path, as encode_error::what() says them
};

[[noreturn, gnu::cold]] inline void abort_on(std::string_view message) {
  std::fprintf(stderr, "iterjson: %.*s\n", static_cast<int>(message.size()), message.data());
  std::abort();
}

// An encoder's failure at the API: encode_error, or without exceptions, an abort.
[[noreturn, gnu::cold]] inline void raise(const failure& f) {
#if ITERJSON_DETAIL_EXCEPTIONS
  throw encode_error(f.reason, f.path, f.code);
#else
  abort_on(f.message);
#endif
}

// A call the API forbids: an exception of type Error, or without exceptions, an abort.
template <class Error>
[[noreturn, gnu::cold]] void on_misuse(const char* what) {
#if ITERJSON_DETAIL_EXCEPTIONS
  throw Error(what);
#else
  abort_on(what);
#endif
}

// Memory a library could not allocate: std::bad_alloc, or without exceptions, an abort
// (as operator new does then).
[[noreturn, gnu::cold]] inline void on_out_of_memory(const char* what) {
#if ITERJSON_DETAIL_EXCEPTIONS
  (void)what;
  throw std::bad_alloc();
#else
  abort_on(what);
#endif
}

}  // namespace iterjson::detail
