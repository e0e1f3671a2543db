#include "iterjson/adapters/asio.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <system_error>
#include <future>
#include <limits>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "iterjson/source.hpp"

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

// --- iterjson::async_write: a composed operation, tested with coroutines ----------------
// Asio 1.22 knows C++20 coroutines on GCC; on Clang it looks for the Coroutines TS's
// <experimental/coroutine>, which libstdc++ lacks: there these tests are left out.
#if defined(ASIO_HAS_CO_AWAIT)

namespace {

using namespace std::chrono_literals;

// Counts the writes that reach the socket: any AsyncWriteStream will do.
struct counted_socket {
  tcp::socket& socket;
  std::vector<std::size_t>* writes;
  using executor_type = tcp::socket::executor_type;
  executor_type get_executor() { return socket.get_executor(); }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    writes->push_back(asio::buffer_size(buffers));
    return socket.async_write_some(buffers, std::forward<Token>(token));
  }
};

// A connected pair on loopback: `server` is the accepted end.
struct socket_pair {
  asio::io_context io;
  tcp::socket server{io};
  tcp::socket client{io};
  socket_pair() {
    tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
};

asio::awaitable<std::string> read_to_end(tcp::socket& socket) {
  std::string all;
  char piece[65536];
  for (;;) {
    std::error_code error;
    const std::size_t n = co_await socket.async_read_some(asio::buffer(piece), asio::redirect_error(asio::use_awaitable, error));
    all.append(piece, n);
    if (error) co_return all;
  }
}

auto pairs(std::size_t count) {
  return iterjson::testing::generated(count, [](std::size_t i) { return std::vector<std::size_t>{i, i * i}; });
}

TEST_CASE("asio async_write: a coroutine writes a large lazy document in coalesced blocks") {
  socket_pair p;
  std::vector<std::size_t> writes;
  std::string received;
  std::error_code result{std::make_error_code(std::errc::interrupted)};
  std::size_t bytes = 0;
  asio::co_spawn(
      p.io,
      [&]() -> asio::awaitable<void> {
        counted_socket counted{p.server, &writes};
        std::tie(result, bytes) = co_await iterjson::async_write(counted, iterjson::encoder(pairs(200'000)),
                                                                  asio::experimental::as_tuple(asio::use_awaitable));
        p.server.shutdown(tcp::socket::shutdown_send);
      },
      asio::detached);
  asio::co_spawn(p.io, [&]() -> asio::awaitable<void> { received = co_await read_to_end(p.client); }, asio::detached);
  p.io.run();
  const std::string expected = iterjson::to_string(pairs(200'000));
  CHECK(!result);
  CHECK(bytes == expected.size());
  CHECK(received == expected);
  // Each write carries at most a block; all but the last write of a block are whole.
  CHECK(std::all_of(writes.begin(), writes.end(), [](std::size_t w) { return w <= 16 * 1024; }));
  CHECK(writes.size() >= expected.size() / (16 * 1024));
  CHECK(writes.size() <= 2 * (expected.size() / (16 * 1024) + 1));
}

TEST_CASE("asio async_write: callbacks, use_future and deferred complete the same way") {
  const std::string expected = iterjson::to_string(pairs(1000));
  {  // a callback
    socket_pair p;
    std::error_code result{std::make_error_code(std::errc::interrupted)};
    iterjson::async_write(p.server, iterjson::encoder(pairs(1000)), [&](std::error_code error, std::size_t) {
      result = error;
      p.server.shutdown(tcp::socket::shutdown_send);
    });
    std::string received;
    asio::co_spawn(p.io, [&]() -> asio::awaitable<void> { received = co_await read_to_end(p.client); }, asio::detached);
    p.io.run();
    CHECK(!result);
    CHECK(received == expected);
  }
  {  // use_future, the loop on another thread
    socket_pair p;
    std::future<std::size_t> written = iterjson::async_write(p.server, iterjson::encoder(pairs(1000)), asio::use_future);
    std::thread loop([&] { p.io.run(); });
    CHECK(written.get() == expected.size());
    loop.join();
  }
  {  // deferred: nothing happens until the deferred operation is started
    socket_pair p;
    auto operation = iterjson::async_write(p.server, iterjson::encoder(pairs(1000)), asio::experimental::deferred);
    std::size_t written = 0;
    std::move(operation)([&](std::error_code, std::size_t bytes) { written = bytes; });
    p.io.run();
    CHECK(written == expected.size());
  }
}

TEST_CASE("asio async_write: a source that waits suspends the write, HTTP chunks as rows come") {
  socket_pair p;
  iterjson::channel<int> numbers;
  int pushed = 0;
  int ticks = 0;
  bool ended = false;
  std::error_code result{std::make_error_code(std::errc::interrupted)};
  std::string received;
  asio::co_spawn(
      p.io,
      [&]() -> asio::awaitable<void> {
        std::tie(result, std::ignore) =
            co_await iterjson::async_write(p.server, iterjson::encoder(numbers), asio::experimental::as_tuple(asio::use_awaitable),
                                           {.framing = iterjson::transfer_framing::http_chunked});
        p.server.shutdown(tcp::socket::shutdown_send);
      },
      asio::detached);
  asio::co_spawn(
      p.io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(p.io);
        for (; pushed < 20; ++pushed) {
          timer.expires_after(2ms);
          co_await timer.async_wait(asio::use_awaitable);
          numbers.push(pushed);
        }
        numbers.close();
      },
      asio::detached);
  asio::co_spawn(
      p.io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(p.io);
        while (!ended) {
          timer.expires_after(1ms);
          co_await timer.async_wait(asio::use_awaitable);
          ++ticks;
        }
      },
      asio::detached);
  asio::co_spawn(
      p.io,
      [&]() -> asio::awaitable<void> {
        received = co_await read_to_end(p.client);
        ended = true;
      },
      asio::detached);
  p.io.run();
  CHECK(!result);
  // Rows went out as they came, a chunk or so each, not gathered into one block; then
  // the last chunk.
  std::string body;
  std::size_t chunks = 0;
  std::size_t at = 0;
  for (;;) {
    const std::size_t line_end = received.find("\r\n", at);
    REQUIRE(line_end != std::string::npos);
    const std::size_t size = std::stoul(received.substr(at, line_end - at), nullptr, 16);
    if (size == 0) break;
    ++chunks;
    body += received.substr(line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  CHECK(received.ends_with("\r\n0\r\n\r\n"));
  std::string expected = "[";
  for (int i = 0; i < 20; ++i) expected += (i == 0 ? "" : ",") + std::to_string(i);
  CHECK(body == expected + "]");
  CHECK(chunks >= 20);
  CHECK(ticks > 10);  // the loop ran its other work all the while
}

TEST_CASE("asio async_write: a cancellation signal stops it, and the encoder is freed") {
  socket_pair p;
  p.server.set_option(asio::socket_base::send_buffer_size(64 * 1024));
  auto alive = std::make_shared<int>(0);
  const std::weak_ptr<int> watch = alive;
  // Elements of a known size, to count the text made: "xxx...x" and a comma, 103 bytes.
  auto made = std::make_shared<std::size_t>(0);
  auto endless = iterjson::testing::generated(std::numeric_limits<std::size_t>::max(), [keep = std::move(alive), made](std::size_t) {
    ++*made;
    return std::string(100, 'x');
  });
  p.client.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  asio::cancellation_signal cancel;
  std::error_code result;
  std::size_t written = 0;
  bool completed = false;
  iterjson::async_write(p.server, iterjson::encoder(std::move(endless)),
                        asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code error, std::size_t bytes) {
                          result = error;
                          written = bytes;
                          completed = true;
                        }));
  asio::steady_timer timer(p.io, 100ms);  // the client reads nothing: the write is stuck
  std::size_t held = 0;
  std::size_t produced = 0;
  timer.async_wait([&](std::error_code) {
    // All the text made is in the kernel's two buffers but what the operation holds.
    int unsent = 0;
    int unread = 0;
    REQUIRE(::ioctl(p.server.native_handle(), SIOCOUTQ, &unsent) == 0);
    REQUIRE(::ioctl(p.client.native_handle(), FIONREAD, &unread) == 0);
    produced = *made * 103 + 1;
    held = produced - static_cast<std::size_t>(unsent + unread);
    cancel.emit(asio::cancellation_type::terminal);
  });
  p.io.run_for(10s);
  REQUIRE(completed);
  CHECK(result == std::errc::operation_canceled);
  CHECK(written > 0);
  CHECK(watch.expired());
  MESSAGE("slow reader, paused: text made " << produced << " bytes; held by the operation, not in the kernel: about "
                                             << held << " bytes; cancelled after " << written << " bytes written");
  CHECK(held <= 17 * 1024);  // one block, give or take an element
}

}  // namespace
#endif  // ASIO_HAS_CO_AWAIT
