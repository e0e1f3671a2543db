#include "iterjson/adapters/libevent.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "loopback.hpp"

namespace {

using namespace iterjson::testing;

template <auto free_function>
struct libevent_deleter {
  template <class T>
  void operator()(T* object) const noexcept {
    free_function(object);
  }
};

// An event_base run in the test thread, serving each connection it accepts with a
// libevent_stream on a socket bufferevent made with `bev_options`.
template <int bev_options>
class libevent_server {
 public:
  libevent_server(const iterjson::stream_options& options, document_source documents)
      : options_(options), documents_(std::move(documents)), base_(event_base_new()) {
    std::signal(SIGPIPE, SIG_IGN);  // libevent writes with writev: a peer gone is EPIPE
    REQUIRE(base_ != nullptr);
    const int fd = listen_on_loopback(port_);
    evutil_make_socket_nonblocking(fd);
    listener_.reset(evconnlistener_new(base_.get(), on_accept, this, LEV_OPT_CLOSE_ON_FREE, 0, fd));
    if (listener_ == nullptr) ::close(fd);
    REQUIRE(listener_ != nullptr);
    // A tick, so that each pass of the loop returns in time to check the deadline.
    tick_.reset(event_new(base_.get(), -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr));
    REQUIRE(tick_ != nullptr);
    const timeval period{0, 50'000};
    REQUIRE(event_add(tick_.get(), &period) == 0);
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  pass_observer after_pass;

  std::vector<served_stream> serve(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    for (std::size_t pass = 0; ended_.size() < count && !failure_; ++pass) {
      REQUIRE(pass < loopback_max_passes);
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      REQUIRE(event_base_loop(base_.get(), EVLOOP_ONCE) == 0);
      for (const auto& c : connections_) {
        const std::size_t loop_bytes = evbuffer_get_length(bufferevent_get_output(c->bev.get()));
        c->peak_loop_bytes = std::max(c->peak_loop_bytes, loop_bytes);
        if (after_pass) after_pass(c->stream.driver().stats(), loop_bytes);
      }
    }
    if (failure_) std::rethrow_exception(failure_);
    return ended_;
  }

 private:
  struct connection {
    connection(bufferevent* bev, const iterjson::stream_options& options) : bev(bev), stream(bev, options) {}
    std::unique_ptr<bufferevent, libevent_deleter<bufferevent_free>> bev;  // freed after the stream
    iterjson::libevent_stream stream;
    std::size_t peak_loop_bytes = 0;
  };

  // Exceptions must not cross libevent's C frames: the loop stops and serve() throws.
  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self) {
    auto& server = *static_cast<libevent_server*>(self);
    try {
      server.accept_one(fd);
    } catch (...) {
      server.failure_ = std::current_exception();
      event_base_loopbreak(server.base_.get());
    }
  }

  // What a server reads is its own business: the stream leaves the read callback alone.
  static void discard_input(bufferevent* bev, void*) {
    evbuffer* input = bufferevent_get_input(bev);
    evbuffer_drain(input, evbuffer_get_length(input));
  }

  void accept_one(evutil_socket_t fd) {
    bufferevent* bev = bufferevent_socket_new(base_.get(), fd, bev_options);
    if (bev == nullptr) ::close(fd);
    REQUIRE(bev != nullptr);
    bufferevent_setcb(bev, discard_input, nullptr, nullptr, this);
    bufferevent_enable(bev, EV_READ);
    auto& c = *connections_.emplace_back(std::make_unique<connection>(bev, options_));
    const std::size_t index = accepted_++;
    c.stream.driver().start(documents_(index), [this, &c, index](const iterjson::stream_end& end) {
      ended_.push_back({index, end, c.stream.driver().stats(), c.peak_loop_bytes});
      // Closed from its own completion handler, which the stream allows: every callback
      // of it calls the driver last.
      std::erase_if(connections_, [&c](const auto& each) { return each.get() == &c; });
    });
  }

  iterjson::stream_options options_;
  document_source documents_;
  std::uint16_t port_ = 0;
  std::unique_ptr<event_base, libevent_deleter<event_base_free>> base_;
  std::unique_ptr<evconnlistener, libevent_deleter<evconnlistener_free>> listener_;
  std::unique_ptr<event, libevent_deleter<event_free>> tick_;
  std::size_t accepted_ = 0;
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<served_stream> ended_;
  std::exception_ptr failure_;
};

}  // namespace

using deferred_server = libevent_server<BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS>;
// libevent_stream does not need deferred callbacks on a socket bufferevent, as it says.
using direct_server = libevent_server<BEV_OPT_CLOSE_ON_FREE>;

TEST_CASE("libevent: the full document arrives intact") {
  check_full_document_arrives<deferred_server>(iterjson::transfer_framing::none);
  check_full_document_arrives<deferred_server>(iterjson::transfer_framing::http_chunked);
  check_full_document_arrives<direct_server>(iterjson::transfer_framing::http_chunked);
}

TEST_CASE("libevent: a slow reader keeps the driver under its high-water mark") {
  check_slow_reader_bounds_memory<deferred_server>();
  check_slow_reader_bounds_memory<direct_server>();
}

TEST_CASE("libevent: a reader that disconnects stops production") {
  check_disconnect_stops_production<deferred_server>();
  check_disconnect_stops_production<direct_server>();
}

TEST_CASE("libevent: a second connection is served while a large stream is in flight") {
  check_second_connection_is_served<deferred_server>();
  check_second_connection_is_served<direct_server>();
}

TEST_CASE("libevent: an encoder error mid-stream aborts the response") {
  check_encode_error_aborts<deferred_server>();
  check_encode_error_aborts<direct_server>();
}

TEST_CASE("libevent: NDJSON, JSON text sequences and Server-Sent Events arrive whole") {
  check_value_streams_arrive<deferred_server>();
  check_value_streams_arrive<direct_server>();
}

TEST_CASE("libevent: a peer that closes its side mid-stream ends it with EPIPE, not ECONNRESET") {
  const auto numbers = lazy_numbers(10'000'000);
  deferred_server server({}, [&](std::size_t) { return iterjson::encoder(numbers); });
  auto client = std::async(std::launch::async, [port = server.port()] {
    const int fd = connect_to_loopback(port);
    ::shutdown(fd, SHUT_WR);  // the end of file the server reads
    std::string buffer(64 * 1024, '\0');
    std::size_t received = 0;
    for (std::size_t reads = 0; reads != loopback_max_passes; ++reads) {  // until the server closes
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      received += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return received;
  });
  const std::vector<served_stream> served = server.serve(1);
  REQUIRE(served.size() == 1);
  CHECK(served[0].end.error == std::error_code(EPIPE, std::system_category()));
  CHECK(client.get() >= served[0].stats.bytes_written);  // what the socket took, some not yet reported
  CHECK_MESSAGE(served[0].stats.text_bytes < 16 * 1024 * 1024, served[0].stats.text_bytes);
}
