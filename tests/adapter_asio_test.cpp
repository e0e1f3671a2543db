#include "iterjson/adapters/asio.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

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
    accept_next();
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }

  std::vector<served_stream> serve(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
    while (ended_.size() < count) {
      // No handler ran: the deadline passed (the accept keeps the loop from running dry).
      REQUIRE(io_.run_one_until(deadline) == 1);
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

  void serve_connection(tcp::socket socket) {
    auto stream = tcp_stream::create(std::move(socket), options_);
    const std::size_t index = accepted_++;
    // A plain pointer, not a cycle: the driver runs this from a handler of the stream,
    // which holds the stream alive until it returns.
    stream->driver().start(documents_(index), [this, index, raw = stream.get()](const iterjson::stream_end& end) {
      ended_.push_back({index, end, raw->driver().stats()});
      std::error_code ignored;
      raw->stream().close(ignored);  // a write still in flight (after an encoder error) ends as aborted
      connections_.erase(index);  // the owner lets go; the handler under way still holds the stream
    });
    connections_.emplace(index, std::move(stream));
  }

  iterjson::stream_options options_;
  document_source documents_;
  asio::io_context io_;  // outlives the owners; its destructor drops the handlers still pending
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::size_t accepted_ = 0;
  std::map<std::size_t, std::shared_ptr<tcp_stream>> connections_;  // the owners' pointers, until each ends
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
