#include "iterjson/adapters/asio.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "loopback.hpp"

namespace {

using namespace iterjson::testing;
using tcp = asio::ip::tcp;
using tcp_stream = iterjson::asio_stream<tcp::socket>;

// An io_context run by the test thread, serving each connection it accepts with an
// asio_stream.
class asio_server {
 public:
  asio_server(const iterjson::stream_options& options, document_source documents)
      : options_(options),
        documents_(std::move(documents)),
        acceptor_(io_, {asio::ip::address_v4::loopback(), 0}),
        port_(acceptor_.local_endpoint().port()) {
    acceptor_.set_option(asio::socket_base::send_buffer_size(loopback_send_buffer));  // the connections inherit it
    accept_next();
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  pass_observer after_pass;

  std::vector<served_stream> serve(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    for (std::size_t pass = 0; ended_.size() < count; ++pass) {
      REQUIRE(pass < loopback_max_passes);
      // No handler ran: the deadline passed (the accept keeps the loop from running dry).
      REQUIRE(io_.run_one_until(deadline) == 1);
      for (auto& entry : connections_) {
        connection& c = entry.second;
        c.peak_loop_bytes = std::max(c.peak_loop_bytes, c.stream->bytes_in_flight());
        if (after_pass) after_pass(c.stream->driver().stats(), c.stream->bytes_in_flight());
      }
    }
    return ended_;
  }

 private:
  void accept_next() {
    acceptor_.async_accept([this](const std::error_code& error, tcp::socket socket) {
      REQUIRE_FALSE(error);
      serve_connection(std::move(socket));
      accept_next();
    });
  }

  struct connection {
    std::shared_ptr<tcp_stream> stream;  // the owner's pointer, until the stream ends
    std::size_t peak_loop_bytes = 0;
  };

  void serve_connection(tcp::socket socket) {
    auto stream = tcp_stream::create(std::move(socket), options_);
    const std::size_t index = accepted_++;
    // A plain pointer, not a cycle: the driver runs this from a handler of the stream,
    // which holds the stream alive until it returns.
    stream->driver().start(documents_(index), [this, index, raw = stream.get()](const iterjson::stream_end& end) {
      ended_.push_back({index, end, raw->driver().stats(), connections_.at(index).peak_loop_bytes});
      std::error_code ignored;
      raw->stream().close(ignored);  // a write still in flight (after an encoder error) ends ignored
      connections_.erase(index);  // the owner lets go; the handler under way still holds the stream
    });
    connections_.emplace(index, connection{std::move(stream)});
  }

  iterjson::stream_options options_;
  document_source documents_;
  asio::io_context io_;  // outlives the owners; its destructor drops the handlers still pending
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::size_t accepted_ = 0;
  std::map<std::size_t, connection> connections_;
  std::vector<served_stream> ended_;
};

}  // namespace

TEST_CASE("asio: the full document arrives intact") {
  check_full_document_arrives<asio_server>(iterjson::transfer_framing::none);
  check_full_document_arrives<asio_server>(iterjson::transfer_framing::http_chunked);
}

TEST_CASE("asio: a slow reader keeps the driver under its high-water mark") {
  check_slow_reader_bounds_memory<asio_server>();
}

TEST_CASE("asio: a reader that disconnects stops production") { check_disconnect_stops_production<asio_server>(); }

TEST_CASE("asio: a second connection is served while a large stream is in flight") {
  check_second_connection_is_served<asio_server>();
}

TEST_CASE("asio: an encoder error mid-stream aborts the response") { check_encode_error_aborts<asio_server>(); }

TEST_CASE("asio: NDJSON, JSON text sequences and Server-Sent Events arrive whole") {
  check_value_streams_arrive<asio_server>();
}

// A stream to a client that connects and never reads.
struct unread_connection {
  asio::io_context io;
  tcp::acceptor acceptor{io, {asio::ip::address_v4::loopback(), 0}};
  int client = connect_to_loopback(acceptor.local_endpoint().port());
  std::shared_ptr<tcp_stream> stream = tcp_stream::create(acceptor.accept());
  ~unread_connection() { ::close(client); }

  // Runs handlers until none ran for 100 ms: the kernel's buffers are full, and the
  // driver waits at its high-water mark on a write in flight. (No handler is ready until
  // the client reads: a turn is posted, and a writable socket is reported at once, however
  // busy the machine; so a quiet 100 ms means the stall, not a slow pass.)
  void run_until_stalled() {
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    for (std::size_t handlers = 0; handlers != loopback_max_passes && std::chrono::steady_clock::now() < deadline;
         ++handlers) {
      if (io.run_one_for(std::chrono::milliseconds(100)) == 0) return;
    }
    FAIL("the stream never stalled");
  }
};

TEST_CASE("asio: closing the socket under a live stream, without stop(), ends it once with ECANCELED") {
  unread_connection c;
  int calls = 0;
  iterjson::stream_end end;
  c.stream->driver().start(iterjson::encoder(lazy_numbers(10'000'000)), [&](const iterjson::stream_end& e) {
    ++calls;
    end = e;
  });
  c.run_until_stalled();
  REQUIRE(c.stream->driver().active());
  CHECK(c.stream->driver().stats().stalls >= 1);
  CHECK(c.stream->driver().stats().bytes_held == iterjson::stream_options{}.high_water);
  CHECK(c.stream->bytes_in_flight() == iterjson::stream_options{}.high_water);

  c.stream->stream().close();  // the owner's close, without stop()
  // The aborted write's handler, and nothing more: run_for returns as soon as the work runs
  // out, so its generous limit only bounds a hang, and a slow pass cannot end it early.
  CHECK(c.io.run_for(loopback_deadline) == 1);
  CHECK(calls == 1);
  CHECK(end.error == std::error_code(ECANCELED, std::system_category()));  // asio::error::operation_aborted
  CHECK(end.error == std::errc::operation_canceled);
  CHECK_FALSE(c.stream->driver().active());
  CHECK(c.stream->bytes_in_flight() == 0);
}

TEST_CASE("asio: stop() then close ends the stream without a completion") {
  unread_connection c;
  int calls = 0;
  c.stream->driver().start(iterjson::encoder(lazy_numbers(10'000'000)), [&](const iterjson::stream_end&) { ++calls; });
  c.run_until_stalled();
  REQUIRE(c.stream->bytes_in_flight() == iterjson::stream_options{}.high_water);
  c.stream->driver().stop();
  c.stream->stream().close();
  CHECK(c.io.run_for(loopback_deadline) == 1);  // the aborted write, ignored; run_for ends with the work
  CHECK(calls == 0);
}
