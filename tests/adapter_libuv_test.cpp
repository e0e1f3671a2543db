#include "iterjson/adapters/libuv.hpp"

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loopback.hpp"

namespace {

using namespace iterjson::testing;

// A libuv loop serving each connection it accepts with a libuv_stream. Its callbacks run
// inside libuv's C frames, which no exception may cross: they record what went wrong,
// and serve() checks it after uv_run returned.
class uv_server {
 public:
  uv_server(const iterjson::stream_options& options, document_source documents)
      : options_(options), documents_(std::move(documents)) {
    REQUIRE(uv_loop_init(&loop_) == 0);
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    REQUIRE(uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0) == 0);
    int send_buffer = loopback_send_buffer;  // the connections inherit it
    REQUIRE(uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(&listener_), &send_buffer) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 64, &on_connection) == 0);
    int size = sizeof address;
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }

  ~uv_server() {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    for (connection* c : open_) c->close();
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    CHECK(uv_loop_close(&loop_) == 0);
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  pass_observer after_pass;

  std::vector<served_stream> serve(std::size_t count) {
    uv_timer_t tick;  // wakes the loop so the deadline is checked
    uv_timer_init(&loop_, &tick);
    uv_timer_start(&tick, [](uv_timer_t*) {}, 100, 100);
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    for (std::size_t pass = 0; ended_.size() < count && failures_.empty() && pass != loopback_max_passes &&
                               std::chrono::steady_clock::now() < deadline;
         ++pass) {
      uv_run(&loop_, UV_RUN_ONCE);
      for (connection* c : open_) {
        const std::size_t loop_bytes = uv_stream_get_write_queue_size(c->uv_stream());
        c->peak_loop_bytes = std::max(c->peak_loop_bytes, loop_bytes);
        if (after_pass && !c->closing) after_pass(c->stream->driver().stats(), loop_bytes);
      }
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    for (const std::string& failure : failures_) CHECK_MESSAGE(false, failure);
    REQUIRE(ended_.size() >= count);
    return ended_;
  }

 private:
  struct connection {
    explicit connection(uv_server& server) : server(server) {}
    void close() {
      if (closing) return;
      closing = true;
      stream->close([this] {
        server.open_.erase(std::find(server.open_.begin(), server.open_.end(), this));
        delete this;
      });
    }
    uv_stream_t* uv_stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
    uv_server& server;
    uv_tcp_t tcp{};
    std::unique_ptr<iterjson::libuv_stream> stream;
    std::size_t peak_loop_bytes = 0;
    bool closing = false;
  };

  static void on_connection(uv_stream_t* listener, int status) {
    auto& self = *static_cast<uv_server*>(listener->data);
    if (status != 0) return self.failures_.push_back(std::string("listen: ") + uv_strerror(status));
    auto* c = new connection(self);
    uv_tcp_init(&self.loop_, &c->tcp);
    if (const int accepted = uv_accept(listener, c->uv_stream()); accepted != 0) {
      self.failures_.push_back(std::string("accept: ") + uv_strerror(accepted));
      c->tcp.data = c;
      return uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
                      [](uv_handle_t* tcp) { delete static_cast<connection*>(tcp->data); });
    }
    c->stream = std::make_unique<iterjson::libuv_stream>(c->uv_stream(), self.options_);
    self.open_.push_back(c);
    const std::size_t index = self.accepted_++;
    c->stream->driver().start(self.documents_(index), [&self, c, index](const iterjson::stream_end& end) {
      self.ended_.push_back({index, end, c->stream->driver().stats(), c->peak_loop_bytes});
      c->close();
    });
  }

  iterjson::stream_options options_;
  document_source documents_;
  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  std::uint16_t port_ = 0;
  std::size_t accepted_ = 0;
  std::vector<connection*> open_;
  std::vector<served_stream> ended_;
  std::vector<std::string> failures_;  // recorded in callbacks, checked by serve()
};

}  // namespace

TEST_CASE("libuv: the full document arrives intact") {
  check_full_document_arrives<uv_server>(iterjson::transfer_framing::none);
  check_full_document_arrives<uv_server>(iterjson::transfer_framing::http_chunked);
}

TEST_CASE("libuv: a slow reader keeps the driver under its high-water mark") {
  check_slow_reader_bounds_memory<uv_server>();
}

TEST_CASE("libuv: a reader that disconnects stops production") { check_disconnect_stops_production<uv_server>(); }

TEST_CASE("libuv: a second connection is served while a large stream is in flight") {
  check_second_connection_is_served<uv_server>();
}

TEST_CASE("libuv: an encoder error mid-stream aborts the response") { check_encode_error_aborts<uv_server>(); }

TEST_CASE("libuv: NDJSON, JSON text sequences and Server-Sent Events arrive whole") {
  check_value_streams_arrive<uv_server>();
}

TEST_CASE("libuv: error codes compare with errno conditions") {
  CHECK(iterjson::libuv_error(UV_EPIPE) == std::errc::broken_pipe);
  CHECK(iterjson::libuv_error(UV_ECONNRESET) == std::errc::connection_reset);
  CHECK(iterjson::libuv_error(UV_EOF) == std::errc::broken_pipe);  // the peer closed: as every adapter says it
  CHECK(iterjson::libuv_error(UV_EOF) != std::errc::connection_reset);
  CHECK(iterjson::libuv_error(UV_EOF).message() == "end of file");
}
