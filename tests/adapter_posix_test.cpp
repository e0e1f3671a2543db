#include "iterjson/adapters/posix.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "loopback.hpp"

namespace {

using namespace iterjson::testing;

// One pass of the loop posix_stream documents, over `streams` and a listening socket:
// polls (waiting up to `timeout_ms` unless a stream wants a turn), dispatches each fd's
// events, then runs the turns wanted. Returns whether the listener is readable.
bool poll_pass(std::span<iterjson::posix_stream* const> streams, int listener, int timeout_ms) {
  std::vector<pollfd> watched{{listener, POLLIN, 0}};
  std::vector<iterjson::posix_stream*> polled;
  bool any_turn = false;
  for (iterjson::posix_stream* stream : streams) {
    any_turn = any_turn || stream->wants_turn();
    if (!stream->wants_poll()) continue;
    watched.push_back({stream->fd(), static_cast<short>(stream->wants_writable() ? POLLOUT : 0), 0});
    polled.push_back(stream);
  }
  REQUIRE(::poll(watched.data(), watched.size(), any_turn ? 0 : timeout_ms) >= 0);
  // Hang-ups and writable fds first, then the turns: every other event goes before them.
  for (std::size_t i = 0; i != polled.size(); ++i) {
    const short events = watched[i + 1].revents;
    if ((events & (POLLERR | POLLHUP)) != 0) {
      polled[i]->on_hangup();
    } else if ((events & POLLOUT) != 0) {
      polled[i]->on_writable();
    }
  }
  for (iterjson::posix_stream* stream : streams) {
    if (stream->wants_turn()) stream->on_turn();
  }
  return (watched[0].revents & POLLIN) != 0;
}

// A hand-written poll loop serving each connection it accepts with a posix_stream.
class poll_server {
 public:
  poll_server(const iterjson::stream_options& options, document_source documents)
      : options_(options), documents_(std::move(documents)), listener_(listen_on_loopback(port_)) {}
  ~poll_server() { ::close(listener_); }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  pass_observer after_pass;

  std::vector<served_stream> serve(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    for (std::size_t pass = 0; ended_.size() < count; ++pass) {
      REQUIRE(pass < loopback_max_passes);
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::vector<iterjson::posix_stream*> streams;
      for (const auto& c : connections_) streams.push_back(&c->stream);
      if (poll_pass(streams, listener_, 100)) accept_one();
      for (const auto& c : connections_) {
        c->peak_loop_bytes = std::max(c->peak_loop_bytes, c->stream.bytes_waiting());
        if (after_pass && !c->ended) after_pass(c->stream.driver().stats(), c->stream.bytes_waiting());
      }
      std::erase_if(connections_, [](const auto& c) { return c->ended; });
    }
    return ended_;
  }

 private:
  struct connection {
    explicit connection(int fd, const iterjson::stream_options& options) : stream(fd, options) {}
    ~connection() { ::close(stream.fd()); }
    iterjson::posix_stream stream;
    std::size_t peak_loop_bytes = 0;
    bool ended = false;
  };

  void accept_one() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    REQUIRE(fd != -1);
    auto& c = *connections_.emplace_back(std::make_unique<connection>(fd, options_));
    const std::size_t index = accepted_++;
    c.stream.driver().start(documents_(index), [this, &c, index](const iterjson::stream_end& end) {
      ended_.push_back({index, end, c.stream.driver().stats(), c.peak_loop_bytes});
      c.ended = true;  // closed by the loop, after this callback
    });
  }

  iterjson::stream_options options_;
  document_source documents_;
  std::uint16_t port_ = 0;
  int listener_;
  std::size_t accepted_ = 0;
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<served_stream> ended_;
};

}  // namespace

TEST_CASE("posix: the full document arrives intact") {
  check_full_document_arrives<poll_server>(iterjson::transfer_framing::none);
  check_full_document_arrives<poll_server>(iterjson::transfer_framing::http_chunked);
}

TEST_CASE("posix: a slow reader keeps the driver under its high-water mark") {
  check_slow_reader_bounds_memory<poll_server>();
}

TEST_CASE("posix: a reader that disconnects stops production") { check_disconnect_stops_production<poll_server>(); }

TEST_CASE("posix: a second connection is served while a large stream is in flight") {
  check_second_connection_is_served<poll_server>();
}

TEST_CASE("posix: an encoder error mid-stream aborts the response") { check_encode_error_aborts<poll_server>(); }

TEST_CASE("posix: NDJSON, JSON text sequences and Server-Sent Events arrive whole") {
  check_value_streams_arrive<poll_server>();
}

TEST_CASE("posix: a peer that resets a paused stream ends it once with ECONNRESET, and the fd is no longer polled") {
  std::uint16_t port = 0;
  const int listener = listen_on_loopback(port);
  const int client = connect_to_loopback(port);
  const int server_fd = ::accept(listener, nullptr, nullptr);
  REQUIRE(server_fd != -1);
  {
    iterjson::posix_stream stream(server_fd, {.block_size = 1000, .high_water = 4000});
    int calls = 0;
    iterjson::stream_end end;
    stream.driver().start(iterjson::encoder(lazy_numbers(1'000'000)), [&](const iterjson::stream_end& e) {
      ++calls;
      end = e;
    });
    iterjson::posix_stream* const streams[] = {&stream};
    poll_pass(streams, listener, 0);  // the first turn: four blocks, then the high-water mark
    CHECK(stream.driver().stats().bytes_written == 4000);  // the socket took them at once
    CHECK(stream.driver().stats().stalls == 1);
    CHECK(stream.wants_turn());  // room again: production would go on
    stream.driver().pause();
    poll_pass(streams, listener, 0);  // the turn asked for before the pause does nothing
    CHECK(stream.driver().stats().bytes_written == 4000);
    CHECK_FALSE(stream.wants_turn());
    CHECK_FALSE(stream.wants_writable());  // nothing waits: on_writable would never run
    CHECK(stream.wants_poll());

    reset_connection(client);
    // Each pass waits up to ten seconds, and returns as soon as the reset arrives: the
    // first sees it, however busy the machine.
    int passes = 0;
    for (; passes != 10 && stream.wants_poll(); ++passes) poll_pass(streams, listener, 10'000);
    CHECK(passes == 1);
    CHECK(calls == 1);
    CHECK(end.error == std::error_code(ECONNRESET, std::system_category()));
    CHECK_FALSE(stream.driver().active());
    CHECK_FALSE(stream.wants_poll());  // the loop stops polling the hung-up fd: no spin
    stream.on_hangup();                // a late report changes nothing
    CHECK(calls == 1);
    CHECK(stream.driver().stats().bytes_written == 4000);
  }
  ::close(server_fd);
  ::close(listener);
}
