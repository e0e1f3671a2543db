#include "iterjson/adapters/posix.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "loopback.hpp"

namespace {

using namespace iterjson::testing;

// A hand-written poll loop serving each connection it accepts with a posix_stream.
class poll_server {
 public:
  poll_server(const iterjson::stream_options& options, document_source documents)
      : options_(options), documents_(std::move(documents)), listener_(listen_on_loopback(port_)) {}
  ~poll_server() { ::close(listener_); }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  std::vector<served_stream> serve(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    while (ended_.size() < count) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::vector<pollfd> watched{{listener_, POLLIN, 0}};
      bool any_turn = false;
      for (const auto& c : connections_) {
        watched.push_back({c->stream.fd(), static_cast<short>(c->stream.wants_writable() ? POLLOUT : 0), 0});
        any_turn = any_turn || c->stream.wants_turn();
      }
      REQUIRE(::poll(watched.data(), watched.size(), any_turn ? 0 : 100) >= 0);
      if ((watched[0].revents & POLLIN) != 0) accept_one();
      // Writable and failed fds first, then the turns: every other event goes before them.
      for (std::size_t i = 1; i < watched.size(); ++i) {
        if (watched[i].revents != 0) connections_[i - 1]->stream.on_writable();
      }
      for (std::size_t i = 0; i < connections_.size(); ++i) {
        if (connections_[i]->stream.wants_turn()) connections_[i]->stream.on_turn();
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
    bool ended = false;
  };

  void accept_one() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    REQUIRE(fd != -1);
    auto& c = *connections_.emplace_back(std::make_unique<connection>(fd, options_));
    const std::size_t index = accepted_++;
    c.stream.driver().start(documents_(index), [this, &c, index](const iterjson::stream_end& end) {
      ended_.push_back({index, end, c.stream.driver().stats()});
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
