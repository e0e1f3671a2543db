// Built with -fno-exceptions by error_test.cpp: every error an encoder can meet comes
// back as a state and a std::error_code. Prints one line per case.
#include <iterjson/driver.hpp>
#include <iterjson/iterjson.hpp>

#include <cmath>
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

  taking_sink sink;
  iterjson::stream_driver driver(sink);
  iterjson::channel<double> readings;
  readings.push(1.5);
  std::string ended;
  driver.start(iterjson::encoder(readings), [&](const iterjson::stream_end& end) { ended = end.message(); });
  run_turns(driver, sink);
  readings.push(NAN);
  run_turns(driver, sink);
  std::printf("driver: written=%s ended=%s\n", sink.written.c_str(), ended.c_str());
}
