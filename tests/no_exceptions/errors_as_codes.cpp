// Built with -fno-exceptions by error_test.cpp: every error an encoder can meet comes
// back as a state and a std::error_code. Prints one line per case.
#include <iterjson/iterjson.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <system_error>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "build this file with -fno-exceptions"
#endif

namespace {

template <class T>
void report(const char* name, const T& value, const iterjson::options& opts = {}) {
  iterjson::encoder enc(value, opts);
  std::string text;
  while (!enc.done()) text += enc.next();
  std::printf("%s: text=%s failed=%d code=%d path=%s message=%s\n", name, text.c_str(), enc.failed() ? 1 : 0,
              enc.error().value(), std::string(enc.error_path()).c_str(), std::string(enc.error_message()).c_str());
}

}  // namespace

int main() {
  report("fine", std::map<std::string, std::vector<double>>{{"scores", {1.0, 2.5}}});
  report("nan", std::map<std::string, std::vector<double>>{{"scores", {1.0, NAN}}}, {.chunk_size = 4});
  report("utf8", std::vector<std::string>{"ok", "bad \xFF byte"}, {.invalid_utf8 = iterjson::utf8_policy::error});
  report("deep", std::vector<std::vector<std::vector<int>>>{{{1}}}, {.max_depth = 2});
  report("chunk", 1, {.chunk_size = 0});

  std::error_code error;
  std::string text = iterjson::to_string(std::vector<double>{1.0, INFINITY}, {}, error);
  std::printf("to_string: text=%s code=%d category=%s\n", text.c_str(), error.value(), error.category().name());
  iterjson::channel<int> empty;
  text = iterjson::to_string(empty, {}, error);
  std::printf("waiting: text=%s waits=%d\n", text.c_str(), error == iterjson::encode_errc::cannot_wait ? 1 : 0);
  text = iterjson::to_string(std::vector<int>{1, 2}, {}, error);
  std::printf("ok: text=%s code=%d\n", text.c_str(), error.value());
}
