// Built with -fno-exceptions (meson.build beside this file): every error an encoder can
// meet comes back as a state and a std::error_code. Prints one line per case, and fails
// unless they are the expected lines.
#include <iterjson/driver.hpp>
#include <iterjson/iterjson.hpp>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "build this file with -fno-exceptions"
#endif

namespace {

std::string printed;

[[gnu::format(printf, 1, 2)]] void print(const char* format, ...) {
  char line[1024];
  va_list arguments;
  va_start(arguments, format);
  std::vsnprintf(line, sizeof line, format, arguments);
  va_end(arguments);
  std::fputs(line, stdout);
  printed += line;
}

constexpr std::string_view expected =
    "fine: text={\"scores\":[1.0,2.5]} failed=0 code=0 path= message=\n"
    "nan: text={\"scores\":[1 failed=1 code=1 path=/scores/1 message=NaN is not allowed by nan_policy::error at \"/scores/1\"\n"
    "utf8: text= failed=1 code=2 path=/1 message=invalid UTF-8 (byte 0xff) refused by utf8_policy::error at \"/1\"\n"
    "deep: text= failed=1 code=3 path=/0/0 message=nesting deeper than options::max_depth (2) at \"/0/0\"\n"
    "chunk: text= failed=1 code=7 path= message=options::chunk_size must be at least 1 at \"\"\n"
    "to_string: text= code=1 category=iterjson.encode\n"
    "waiting: text= waits=1\n"
    "ok: text=[1,2] code=0\n"
    "driver: written=[1.5 ended=NaN is not allowed by nan_policy::error at \"/1\"\n";

// A sink that takes every byte at once; the loop is main's.
struct taking_sink final : iterjson::byte_sink {
  iterjson::write_result write(std::span<const std::string_view> blocks) override {
    for (const std::string_view block : blocks) {
      written += block;
      taken += block.size();
    }
    return {taken - std::exchange(reported, taken), {}};
  }
  void request_turn() override { turn_wanted = true; }
  std::string written;
  std::size_t taken = 0;
  std::size_t reported = 0;
  bool turn_wanted = false;
};

void run_turns(iterjson::stream_driver& driver, taking_sink& sink) {
  for (int turn = 0; turn < 100 && std::exchange(sink.turn_wanted, false); ++turn) driver.on_turn();
}

template <class T>
void report(const char* name, const T& value, const iterjson::options& opts = {}) {
  iterjson::encoder enc(value, opts);
  std::string text;
  while (!enc.done()) text += enc.next();
  print("%s: text=%s failed=%d code=%d path=%s message=%s\n", name, text.c_str(), enc.failed() ? 1 : 0,
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
  print("to_string: text=%s code=%d category=%s\n", text.c_str(), error.value(), error.category().name());
  iterjson::channel<int> empty;
  text = iterjson::to_string(empty, {}, error);
  print("waiting: text=%s waits=%d\n", text.c_str(), error == iterjson::encode_errc::cannot_wait ? 1 : 0);
  text = iterjson::to_string(std::vector<int>{1, 2}, {}, error);
  print("ok: text=%s code=%d\n", text.c_str(), error.value());

  taking_sink sink;
  iterjson::stream_driver driver(sink);
  iterjson::channel<double> readings;
  readings.push(1.5);
  std::string ended;
  driver.start(iterjson::encoder(readings), [&](const iterjson::stream_end& end) { ended = end.message(); });
  run_turns(driver, sink);
  readings.push(NAN);
  run_turns(driver, sink);
  print("driver: written=%s ended=%s\n", sink.written.c_str(), ended.c_str());

  if (printed == expected) return 0;
  std::printf("expected:\n%s", std::string(expected).c_str());
  return 1;
}
