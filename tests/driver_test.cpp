#include "iterjson/driver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "iterjson/generator.hpp"
#include "test_support.hpp"

namespace {

using iterjson::testing::chunked_decoder;
using iterjson::testing::lazy_numbers;
using namespace std::string_literals;

// A sink whose "loop" is the test: it records every write, takes at most `accept` bytes
// of each at once, and keeps the rest for the test to report with on_written.
class recording_sink final : public iterjson::byte_sink {
 public:
  iterjson::write_result write(std::span<const std::string_view> blocks) override {
    REQUIRE_FALSE(inside_write);
    inside_write = true;
    std::size_t size = 0;
    for (const std::string_view block : blocks) {
      written += block;
      size += block.size();
    }
    write_sizes.push_back(size);
    inside_write = false;
    const std::size_t now = std::min(size, accept);
    unreported += size - now;
    return {now, error};
  }
  void request_turn() override { ++turn_requests; }

  std::string written;  // every byte handed over, in order
  std::vector<std::size_t> write_sizes;
  std::size_t accept = std::numeric_limits<std::size_t>::max();
  std::size_t unreported = 0;
  std::error_code error;
  int turn_requests = 0;
  bool inside_write = false;
};

// Runs the turns the driver asks for, reporting what the sink kept, until it asks no more.
void run_loop(iterjson::stream_driver& driver, recording_sink& sink, int max_turns = 100'000) {
  for (int turn = 0; turn < max_turns; ++turn) {
    if (sink.unreported != 0) {
      const std::size_t n = sink.unreported;
      sink.unreported = 0;
      driver.on_written(n);
    }
    if (sink.turn_requests == 0) return;
    sink.turn_requests = 0;
    driver.on_turn();
  }
  FAIL("the driver never stopped asking for turns");
}

struct outcome {
  int calls = 0;
  iterjson::stream_end end;
};

auto record_into(outcome& o) {
  return [&o](const iterjson::stream_end& end) {
    ++o.calls;
    o.end = end;
  };
}

}  // namespace

TEST_CASE("the driver writes whole blocks, the prefix first, and ends once") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 1000, .high_water = 4000, .turn_bytes = 1500});
  const auto values = lazy_numbers(10'000);
  outcome o;
  driver.start(iterjson::encoder(values), record_into(o), "HEADER\n");
  CHECK(sink.written.empty());  // start only asks for a turn, as documented
  CHECK(sink.turn_requests == 1);
  CHECK(o.calls == 0);
  run_loop(driver, sink);
  CHECK(o.calls == 1);
  CHECK(o.end.ok());
  CHECK(sink.written == "HEADER\n" + iterjson::to_string(values));
  // Every write but the last holds whole blocks: a turn ends at 1500 bytes, after 2 blocks.
  for (std::size_t i = 0; i + 1 < sink.write_sizes.size(); ++i) CHECK(sink.write_sizes[i] % 1000 == (i == 0 ? 7 : 0));
  CHECK(driver.stats().text_bytes == iterjson::to_string(values).size());
  CHECK(driver.stats().bytes_written == sink.written.size());
  CHECK(driver.stats().bytes_held == 0);
  CHECK_FALSE(driver.active());
}

// The decoder every test of chunked streams reads them with.
TEST_CASE("the tests' chunked decoder takes a stream cut anywhere and refuses broken framing") {
  const std::string stream = "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n";
  CHECK(iterjson::testing::decode_chunked(stream) == "abc0123456789");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    chunked_decoder decoder;
    std::string body;
    const auto append = [&](std::string_view data) { body += data; };
    CHECK(decoder.take(std::string_view(stream).substr(0, cut), append));
    CHECK(decoder.complete() == (cut == stream.size()));
    CHECK(decoder.take(std::string_view(stream).substr(cut), append));
    CHECK(decoder.complete());
    CHECK(body == "abc0123456789");
    CHECK(decoder.largest_chunk() == 15);  // "A\r\n", ten bytes, "\r\n"
  }
  CHECK(iterjson::testing::decode_chunked_prefix(stream.substr(0, 13)) == "abc01");
  for (const std::string& broken : {stream.substr(0, stream.size() - 1), stream + "x", "3\r\nabcd\r\n0\r\n\r\n"s,
                                    "g\r\n0\r\n\r\n"s, "\r\n0\r\n\r\n"s, "3;x=y\r\nabc\r\n0\r\n\r\n"s}) {
    CAPTURE(broken);
    CHECK_FALSE(iterjson::testing::decode_chunked(broken).has_value());
  }
}

TEST_CASE("with http_chunked, each block is one chunk of at most block_size bytes, and the last chunk ends it") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 256, .framing = iterjson::transfer_framing::http_chunked});
  const auto values = lazy_numbers(1000);
  outcome o;
  driver.start(iterjson::encoder(values), record_into(o), "HTTP/1.1 200 OK\r\n\r\n");
  run_loop(driver, sink);
  CHECK(o.end.ok());
  REQUIRE(sink.written.starts_with("HTTP/1.1 200 OK\r\n\r\n"));
  chunked_decoder decoder;
  std::string body;
  CHECK(decoder.take(std::string_view(sink.written).substr(19), [&](std::string_view data) { body += data; }));
  CHECK(decoder.complete());
  CHECK(decoder.largest_chunk() <= 256);
  CHECK(body == iterjson::to_string(values));
}

TEST_CASE("the driver holds at most the high-water mark and resumes as bytes are written") {
  recording_sink sink;
  sink.accept = 0;  // the peer reads nothing until told
  const iterjson::stream_options options{.block_size = 1000, .high_water = 3000};
  iterjson::stream_driver driver(sink, options);
  const auto values = lazy_numbers(100'000);
  outcome o;
  driver.start(iterjson::encoder(values), record_into(o));
  for (int i = 0; i < 10 && sink.turn_requests != 0; ++i) {
    sink.turn_requests = 0;
    driver.on_turn();
  }
  CHECK(sink.turn_requests == 0);  // waiting for the peer, not for a turn
  CHECK(sink.written.size() == 3000);
  CHECK(driver.stats().bytes_held == 3000);
  CHECK(driver.stats().stalls == 1);
  driver.on_turn();  // a turn while still waiting is no new stall
  CHECK(driver.stats().stalls == 1);
  driver.on_written(999);
  CHECK(sink.turn_requests == 0);  // not yet room for a block
  driver.on_written(1);
  CHECK(sink.turn_requests == 1);
  sink.accept = std::numeric_limits<std::size_t>::max();
  run_loop(driver, sink);
  CHECK(o.end.ok());
  CHECK(sink.written == iterjson::to_string(values));
  CHECK(driver.stats().peak_bytes_held <= options.high_water);
}

TEST_CASE("a turn produces exactly its byte budget, then asks for another") {
  recording_sink sink;
  // No time limit: each turn ends on its byte budget, a whole number of steps.
  iterjson::stream_driver driver(sink, {.block_size = 4096,
                                        .high_water = 1 << 20,
                                        .turn_bytes = 8192,
                                        .turn_time = std::chrono::hours(1),
                                        .turn_step = 512});
  outcome o;
  driver.start(iterjson::encoder(lazy_numbers(50'000)), record_into(o));
  const std::size_t total = iterjson::to_string(lazy_numbers(50'000)).size();
  std::size_t last = 0;
  std::size_t turns = 0;
  for (; turns != 1000 && sink.turn_requests != 0; ++turns) {
    sink.turn_requests = 0;
    driver.on_turn();
    CHECK(driver.stats().text_bytes - last == std::min<std::size_t>(8192, total - last));
    last = driver.stats().text_bytes;
  }
  CHECK(sink.turn_requests == 0);  // it stopped asking, well before the cap
  CHECK(o.end.ok());
  CHECK(last == total);
  CHECK(turns == (total + 8191) / 8192);
  CHECK(driver.stats().turns == turns);
  CHECK(driver.stats().stalls == 0);  // the high-water mark was never near
}

TEST_CASE("a turn ends when its time is up") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.turn_bytes = std::numeric_limits<std::size_t>::max(),
                                        .turn_time = std::chrono::nanoseconds(0),
                                        .turn_step = 100});
  outcome o;
  driver.start(iterjson::encoder(lazy_numbers(1000)), record_into(o));
  sink.turn_requests = 0;
  driver.on_turn();
  CHECK(driver.stats().text_bytes == 100);  // one step, then the time is up
  CHECK(sink.turn_requests == 1);
  CHECK(sink.written.empty());  // a partial block waits
  driver.flush();
  sink.turn_requests = 0;
  driver.on_turn();
  CHECK(sink.written.size() == 200);  // the flush handed over the partial block
  run_loop(driver, sink);
  CHECK(sink.written == iterjson::to_string(lazy_numbers(1000)));
}

TEST_CASE("pause holds production until resume; stop ends it without a callback") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 100, .high_water = 1000, .turn_bytes = 100});
  outcome o;
  driver.start(iterjson::encoder(lazy_numbers(10'000)), record_into(o));
  sink.turn_requests = 0;
  driver.on_turn();
  const std::size_t before = sink.written.size();
  driver.pause();
  CHECK(driver.paused());
  driver.on_turn();  // a turn asked for before the pause
  CHECK(sink.written.size() == before);
  sink.turn_requests = 0;
  driver.resume();
  CHECK(sink.turn_requests == 1);
  driver.on_turn();
  CHECK(sink.written.size() > before);
  driver.stop();
  CHECK_FALSE(driver.active());
  const std::size_t stopped_at = sink.written.size();
  driver.on_turn();
  driver.on_written(1);
  driver.on_peer_error(std::make_error_code(std::errc::connection_reset));
  CHECK(sink.written.size() == stopped_at);
  CHECK(o.calls == 0);
  CHECK_THROWS_AS(driver.start(iterjson::encoder(1), record_into(o)), std::logic_error);
}

TEST_CASE("a write error ends the stream with the peer's error, after the write returned") {
  recording_sink sink;
  sink.error = std::make_error_code(std::errc::broken_pipe);
  sink.accept = 0;
  iterjson::stream_driver driver(sink);
  outcome o;
  driver.start(iterjson::encoder(lazy_numbers(100)), record_into(o));
  driver.on_turn();
  CHECK(o.calls == 1);
  CHECK(o.end.error == std::errc::broken_pipe);
  driver.on_peer_error(std::make_error_code(std::errc::connection_reset));  // reported once only
  CHECK(o.calls == 1);
}

TEST_CASE("an encoder error ends the stream with the encoder's exception, and the driver can start again") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 64});
  outcome o;
  const std::vector<double> bad{1.0, std::numeric_limits<double>::infinity()};
  driver.start(iterjson::encoder(bad), record_into(o));
  run_loop(driver, sink);
  CHECK(o.calls == 1);
  CHECK(o.end.error == iterjson::stream_errc::encode_failed);
  CHECK(o.end.message() == "Infinity is not allowed by nan_policy::error at \"/1\"");
  CHECK_THROWS_AS(std::rethrow_exception(o.end.exception), iterjson::encode_error);
  CHECK(driver.stats().bytes_held == 0);

  outcome second;
  sink.written.clear();
  driver.start(iterjson::encoder(std::vector<int>{1, 2}), record_into(second));
  run_loop(driver, sink);
  CHECK(second.end.ok());
  CHECK(sink.written == "[1,2]");
}

namespace {

// 0, 1, ... until a std::runtime_error at `at`.
iterjson::generator<std::size_t> rows_failing_at(std::size_t at) {
  for (std::size_t i = 0;; ++i) {
    if (i == at) throw std::runtime_error("the cursor broke");
    co_yield i;
  }
}

}  // namespace

TEST_CASE("a source's own exception ends the stream with its words and the path of the element") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 64});
  outcome o;
  std::map<std::string, iterjson::generator<std::size_t>> table;
  table.emplace("rows", rows_failing_at(50'000));  // 288,890 bytes before it: several turns
  driver.start(iterjson::encoder(std::move(table)), record_into(o));
  run_loop(driver, sink);
  CHECK(o.calls == 1);
  CHECK(o.end.error == iterjson::stream_errc::encode_failed);
  CHECK(o.end.path == "/rows/50000");
  CHECK(o.end.message() == "the cursor broke at \"/rows/50000\"");
  CHECK_THROWS_WITH_AS(std::rethrow_exception(o.end.exception), "the cursor broke", std::runtime_error);
  std::string rows = "{\"rows\":[";
  for (std::size_t i = 0; i != 50'000; ++i) rows += std::to_string(i) + ",";
  CHECK(sink.written.size() > 64 * 1024);  // the turns before the failure wrote theirs
  CHECK(rows.starts_with(sink.written));
  CHECK(driver.stats().bytes_held == 0);
}

TEST_CASE("the completion handler may destroy the driver") {
  recording_sink sink;
  auto driver = std::make_unique<iterjson::stream_driver>(sink);
  bool ended = false;
  driver->start(iterjson::encoder(std::vector<int>{1}), [&](const iterjson::stream_end&) {
    ended = true;
    driver.reset();
  });
  driver->on_turn();
  CHECK(ended);
  CHECK(driver == nullptr);
}

TEST_CASE("stream options are checked") {
  recording_sink sink;
  CHECK_THROWS_AS(iterjson::stream_driver(sink, {.block_size = 0}), std::invalid_argument);
  CHECK_THROWS_AS(iterjson::stream_driver(sink, {.block_size = 5, .framing = iterjson::transfer_framing::http_chunked}),
                  std::invalid_argument);
  CHECK_THROWS_AS(iterjson::stream_driver(sink, {.block_size = 2048, .high_water = 1024}), std::invalid_argument);
  CHECK_THROWS_AS(iterjson::stream_driver(sink, {.turn_step = 0}), std::invalid_argument);
}

TEST_CASE("stream_end and stream_errc read well") {
  CHECK(iterjson::stream_end{}.ok());
  CHECK(iterjson::stream_end{}.message() == "ok");
  const std::error_code code = iterjson::stream_errc::encode_failed;
  CHECK(code.category().name() == std::string_view("iterjson.stream"));
  CHECK(code.message() == "the encoder failed");
  CHECK(iterjson::stream_end{std::make_error_code(std::errc::broken_pipe), nullptr}.message() ==
        std::make_error_code(std::errc::broken_pipe).message());
}

TEST_CASE("a waiting source parks the stream: what was made goes out, and its waker resumes it") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 64, .high_water = 256});
  iterjson::channel<int> rows;
  rows.push(1);
  rows.push(2);
  outcome o;
  driver.start(iterjson::encoder(rows), record_into(o));
  run_loop(driver, sink);
  CHECK(sink.written == "[1,2");  // flushed though the block is not full
  CHECK(driver.stats().waits == 1);
  CHECK(sink.turn_requests == 0);  // parked: no turn is asked for, nothing polls

  rows.push(3);  // the source wakes the encoder, which wakes the driver
  CHECK(sink.turn_requests == 1);
  run_loop(driver, sink);
  CHECK(sink.written == "[1,2,3");
  CHECK(driver.stats().waits == 2);
  CHECK(o.calls == 0);

  rows.close();
  run_loop(driver, sink);
  CHECK(sink.written == "[1,2,3]");
  CHECK(o.calls == 1);
  CHECK(o.end.ok());
}

TEST_CASE("a stopped driver ignores its source's wake-ups") {
  recording_sink sink;
  iterjson::stream_driver driver(sink);
  iterjson::channel<int> rows;
  outcome o;
  driver.start(iterjson::encoder(rows), record_into(o));
  run_loop(driver, sink);
  driver.stop();
  rows.push(1);
  CHECK(sink.turn_requests == 0);
  CHECK(o.calls == 0);
}

TEST_CASE("records of a stream of values go out at the end of the turn that made them") {
  recording_sink sink;
  iterjson::stream_driver driver(sink, {.block_size = 1024, .high_water = 4096});
  const std::vector<int> values{1, 2, 3};
  outcome o;
  driver.start(iterjson::encoder(iterjson::server_sent_events(values)), record_into(o));
  run_loop(driver, sink);
  CHECK(sink.written == "data: 1\n\ndata: 2\n\ndata: 3\n\n");
  CHECK(o.end.ok());

  // Records made slowly: each turn's budget ends after one, which goes out with it.
  recording_sink slow_sink;
  iterjson::stream_driver slow(slow_sink, {.block_size = 1024, .high_water = 4096, .turn_bytes = 2, .turn_step = 2});
  outcome slow_outcome;
  slow.start(iterjson::encoder(iterjson::ndjson(lazy_numbers(3))), record_into(slow_outcome));
  CHECK(slow_sink.turn_requests == 1);
  slow_sink.turn_requests = 0;
  slow.on_turn();
  CHECK(slow_sink.written == "0\n");
  run_loop(slow, slow_sink);
  CHECK(slow_sink.written == "0\n1\n2\n");
  CHECK(slow_sink.write_sizes == std::vector<std::size_t>{2, 2, 2});
}

TEST_CASE("an encoder error reaches the completion handler in words") {
  recording_sink sink;
  iterjson::stream_driver driver(sink);
  outcome o;
  driver.start(iterjson::encoder(std::vector<double>{1.0, NAN}), record_into(o));
  run_loop(driver, sink);
  REQUIRE(o.calls == 1);
  CHECK(o.end.error == iterjson::stream_errc::encode_failed);
  CHECK(o.end.message() == "NaN is not allowed by nan_policy::error at \"/1\"");
}
