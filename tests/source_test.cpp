#include "iterjson/source.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "iterjson/encoder.hpp"
#include "iterjson/framing.hpp"
#include "test_support.hpp"

namespace {

// Drains what the encoder has now: until done() or waiting(). (A call while waiting
// polls the source again, which is allowed, but this is what a loop does.)
std::string drain(iterjson::encoder& enc) {
  std::string text;
  do {
    text += enc.next();
  } while (!enc.done() && !enc.waiting());
  return text;
}

// A source scripted by the test: each poll takes the next answer; -1 is pending.
struct scripted_source {
  std::vector<int>* answers;
  std::size_t* at;
  iterjson::waker* kept;
  iterjson::poll_result<int> poll(const iterjson::waker& w) {
    if (*at == answers->size()) return iterjson::exhausted;
    const int answer = (*answers)[(*at)++];
    if (answer == -2) throw std::runtime_error("source broke");
    if (answer != -1) return answer;
    *kept = w;
    return iterjson::pending;
  }
};

}  // namespace

static_assert(iterjson::pollable_source<iterjson::channel<int>>);
static_assert(iterjson::pollable_source<scripted_source>);
static_assert(!iterjson::pollable_source<std::vector<int>>);

TEST_CASE("a channel is written as its elements arrive, and the encoder waits in between") {
  iterjson::channel<int> numbers;
  numbers.push(1);
  numbers.push(2);
  iterjson::encoder enc(numbers);
  int wakes = 0;
  enc.on_wake([&] { ++wakes; });

  CHECK(drain(enc) == "[1,2");
  CHECK(enc.waiting());
  CHECK(!enc.done());
  CHECK(enc.next().empty());  // polled again, still nothing
  CHECK(enc.waiting());
  CHECK(wakes == 0);

  numbers.push(3);
  CHECK(wakes == 1);
  numbers.push(4);
  CHECK(wakes == 1);  // once per wait
  CHECK(drain(enc) == ",3,4");
  CHECK(enc.waiting());

  numbers.close();
  CHECK(wakes == 2);
  CHECK(drain(enc) == "]");
  CHECK(enc.done());
  CHECK(!enc.waiting());
}

TEST_CASE("read() comes up short only when waiting or done") {
  iterjson::channel<std::string> words;
  words.push("alpha");
  iterjson::encoder enc(words);
  char buffer[4];
  std::string text;
  std::size_t n = 0;
  while ((n = enc.read(buffer, sizeof buffer)) == sizeof buffer) text.append(buffer, n);
  text.append(buffer, n);
  CHECK(text == "[\"alpha\"");
  CHECK(enc.waiting());
  words.push("beta");
  words.close();
  while ((n = enc.read(buffer, sizeof buffer)) == sizeof buffer) text.append(buffer, n);
  text.append(buffer, n);
  CHECK(text == "[\"alpha\",\"beta\"]");
  CHECK(enc.done());
}

TEST_CASE("a record of a stream is whole before the source waits") {
  iterjson::channel<std::vector<int>> events;
  events.push({1, 2});
  iterjson::encoder ndjson(iterjson::ndjson(events));
  CHECK(drain(ndjson) == "[1,2]\n");
  CHECK(ndjson.records() == 1);
  events.push({3});
  events.close();
  CHECK(drain(ndjson) == "[3]\n");
  CHECK(ndjson.records() == 2);
  CHECK(ndjson.done());
}

TEST_CASE("JSON text sequences and server-sent events") {
  const std::vector<std::vector<int>> values{{1}, {2, 3}};
  CHECK(iterjson::testing::encode_every_way(iterjson::json_seq(values)) == "\x1E[1]\n\x1E[2,3]\n");
  CHECK(iterjson::testing::encode_every_way(iterjson::server_sent_events(values)) == "data: [1]\n\ndata: [2,3]\n\n");
  CHECK(iterjson::to_string(iterjson::server_sent_events(std::vector<int>{})).empty());
}

TEST_CASE("a source pending at its first element, and one that throws") {
  std::vector<int> answers{-1, 7, -1, 8, -2};
  std::size_t at = 0;
  iterjson::waker kept;
  iterjson::encoder enc(std::vector<scripted_source>{{&answers, &at, &kept}});
  int wakes = 0;
  enc.on_wake([&] { ++wakes; });
  CHECK(drain(enc) == "[[");
  CHECK(enc.waiting());
  kept.wake();
  CHECK(wakes == 1);
  CHECK(drain(enc) == "7");
  CHECK(enc.waiting());
  kept.wake();
  CHECK(wakes == 2);
  CHECK_THROWS_WITH_AS(drain(enc), "source broke", std::runtime_error);
  CHECK(enc.failed());
  CHECK(enc.error_path() == "/0/2");
}

TEST_CASE("a callable returning std::optional is pulled until it is empty") {
  auto counter = [] {
    return [next = 0]() mutable -> std::optional<int> {
      if (next == 4) return std::nullopt;
      return next++;
    };
  };
  CHECK(iterjson::testing::encode_every_way_from(counter) == "[0,1,2,3]");
  CHECK(iterjson::to_string(std::vector{counter(), counter()}) == "[[0,1,2,3],[0,1,2,3]]");
}

TEST_CASE("to_string and iterencode cannot wait") {
  iterjson::channel<int> numbers;
  numbers.push(5);
  CHECK_THROWS_WITH_AS(iterjson::to_string(numbers),
                       "a source has nothing yet, and to_string cannot wait: drive an encoder instead at \"/1\"",
                       iterjson::encode_error);
  iterjson::channel<int> more;
  CHECK_THROWS_AS([&] { for (const std::string_view slice : iterjson::iterencode(more)) (void)slice; }(),
                  iterjson::encode_error);
}

TEST_CASE("a waker that outlives its encoder wakes nobody") {
  iterjson::channel<int> numbers;
  int wakes = 0;
  {
    iterjson::encoder enc(numbers);
    enc.on_wake([&] { ++wakes; });
    CHECK(drain(enc) == "[");
  }
  numbers.push(1);  // the encoder is gone: its callback is not called
  CHECK(wakes == 0);
}
