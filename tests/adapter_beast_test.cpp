#include "iterjson/adapters/beast.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <doctest/doctest.h>

#include "iterjson/source.hpp"
#include "test_support.hpp"

// A real Beast server and a real Beast client on loopback TCP, both coroutines of one
// io_context on this thread: whatever blocked the thread would stop the test.

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using namespace std::chrono_literals;

using make_response = std::function<http::response<iterjson::beast_body>()>;

// What the server saw of the one exchange it served.
struct served {
  beast::error_code error;
  std::size_t bytes = 0;
  bool need_eof = false;
  bool body_empty_after = false;
};

struct loopback {
  net::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::address_v4::loopback(), 0)};
  int send_buffer = 0;  // SO_SNDBUF of the accepted connection, if set

  // Accepts one connection, reads its request, answers with `respond()` through
  // beast_async_write, and closes the connection.
  awaitable<void> serve_one(make_response respond, served& out) {
    tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    if (send_buffer != 0) socket.set_option(net::socket_base::send_buffer_size(send_buffer));
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request<http::empty_body> request;
    co_await http::async_read(stream, buffer, request, use_awaitable);
    http::response<iterjson::beast_body> response = respond();
    auto [error, bytes] =
        co_await iterjson::beast_async_write(stream, response, net::as_tuple(use_awaitable));
    out.error = error;
    out.bytes = bytes;
    out.need_eof = response.need_eof();
    out.body_empty_after = response.body().done();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  // Connects, sends GET, and returns the connected socket.
  awaitable<tcp::socket> connect(int receive_buffer = 0) {
    tcp::socket socket(io);
    socket.open(tcp::v4());
    if (receive_buffer != 0) socket.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    co_await socket.async_connect(acceptor.local_endpoint(), use_awaitable);
    http::request<http::empty_body> request{http::verb::get, "/rows", 11};
    request.set(http::field::host, "127.0.0.1");
    co_await http::async_write(socket, request, use_awaitable);
    co_return socket;
  }

  void run(auto server, auto client) {
    net::co_spawn(io, std::move(server), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    net::co_spawn(io, std::move(client), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run_for(60s);
    REQUIRE(io.stopped());
  }
};

// The client's view of one response: its head, its body decoded, and its chunk sizes.
struct received {
  http::response<http::string_body> response;
  std::vector<std::size_t> chunk_sizes;
};

awaitable<received> read_response(tcp::socket& socket, beast::flat_buffer& buffer) {
  received out;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> on_header =
      [&out](std::uint64_t size, beast::string_view, beast::error_code&) {
        if (size != 0) out.chunk_sizes.push_back(size);
      };
  parser.on_chunk_header(on_header);
  co_await http::async_read(socket, buffer, parser, use_awaitable);
  out.response = parser.release();
  co_return out;
}

auto rows(std::size_t count) {
  return iterjson::testing::generated(count, [](std::size_t i) { return std::vector<std::size_t>{i, i * i}; });
}

http::response<iterjson::beast_body> chunked_response(iterjson::encoder text) {
  http::response<iterjson::beast_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(text);
  response.chunked(true);
  return response;
}

TEST_CASE("beast: a large lazy document arrives byte for byte, in chunks of one block") {
  loopback lo;
  served server;
  received client;
  lo.run(lo.serve_one([] { return chunked_response(iterjson::encoder(rows(300'000))); }, server),
          [&]() -> awaitable<void> {
            tcp::socket socket = co_await lo.connect();
            beast::flat_buffer buffer;
            client = co_await read_response(socket, buffer);
          });
  const std::string expected = iterjson::to_string(rows(300'000));
  REQUIRE(expected.size() > 5'000'000);
  CHECK(!server.error);
  CHECK(server.body_empty_after);
  CHECK_FALSE(server.need_eof);
  CHECK(client.response.result() == http::status::ok);
  CHECK(client.response[http::field::content_type] == "application/json");
  CHECK(client.response.body().size() == expected.size());
  CHECK(client.response.body() == expected);
  REQUIRE(client.chunk_sizes.size() == (expected.size() + 16383) / 16384);
  for (std::size_t i = 0; i + 1 < client.chunk_sizes.size(); ++i) CHECK(client.chunk_sizes[i] == 16384);
}

// Bytes queued in the kernel: unsent on `fd`'s side (SIOCOUTQ), or unread (FIONREAD).
int queued(int fd, unsigned long request) {
  int bytes = 0;
  REQUIRE(::ioctl(fd, request, &bytes) == 0);
  return bytes;
}

TEST_CASE("beast: a slow reader holds one block of the server's memory, whatever the document's size") {
  // Elements of a known size: each is "xxx...x", 100 x's, and a comma: 103 bytes.
  auto made = std::make_shared<std::size_t>(0);
  auto document = iterjson::testing::generated(2'000'000, [made](std::size_t) {
    ++*made;
    return std::string(100, 'x');
  });
  loopback lo;
  lo.send_buffer = 64 * 1024;
  served server;
  std::size_t held = 0;
  std::size_t produced = 0;
  std::string body;
  int server_fd = -1;
  lo.run(
      [&]() -> awaitable<void> {
        tcp::socket socket = co_await lo.acceptor.async_accept(use_awaitable);
        socket.set_option(net::socket_base::send_buffer_size(lo.send_buffer));
        server_fd = socket.native_handle();
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        http::request<http::empty_body> request;
        co_await http::async_read(stream, buffer, request, use_awaitable);
        auto response = chunked_response(iterjson::encoder(document));
        auto [error, bytes] = co_await iterjson::beast_async_write(stream, response, net::as_tuple(use_awaitable));
        server.error = error;
        stream.socket().shutdown(tcp::socket::shutdown_send, error);
      },
      [&]() -> awaitable<void> {
        tcp::socket socket = co_await lo.connect(64 * 1024);
        net::steady_timer pause(lo.io, 300ms);  // the reader reads nothing for a while
        co_await pause.async_wait(use_awaitable);
        // Everything the encoder made is either in the kernel's buffers or held by the
        // server: its text, the head before it, and the framing of its chunks.
        produced = *made * 103 + 1;
        const std::size_t head_and_framing = 150 + (produced / 16384 + 1) * 8;
        const std::size_t in_kernel = static_cast<std::size_t>(queued(server_fd, SIOCOUTQ)) +
                                      static_cast<std::size_t>(queued(socket.native_handle(), FIONREAD));
        held = produced + head_and_framing > in_kernel ? produced + head_and_framing - in_kernel : 0;
        beast::flat_buffer buffer;
        received all = co_await read_response(socket, buffer);
        body = std::move(all.response.body());
      });
  MESSAGE("slow reader, paused: text made " << produced << " bytes of " << 103 * 2'000'000
                                             << "; held by the server, not in the kernel: about " << held << " bytes");
  CHECK(produced < 4 * 1024 * 1024);       // production stopped long before the end
  CHECK(held <= 17 * 1024);  // one block, give or take an element, the head and the framing
  CHECK(!server.error);
  CHECK(body.size() == 103 * 2'000'000 + 1);
  CHECK(body == iterjson::to_string(document));
}

TEST_CASE("beast: a client that resets mid-stream ends the write with the peer's error, and frees the encoder") {
  auto alive = std::make_shared<int>(0);
  const std::weak_ptr<int> watch = alive;
  loopback lo;
  served server;
  lo.run(lo.serve_one(
              [keep = std::move(alive)]() mutable {
                auto endless = iterjson::testing::generated(std::numeric_limits<std::size_t>::max(),
                                                            [keep](std::size_t i) { return i; });
                keep.reset();  // the encoder's copy of the range is the last owner now
                return chunked_response(iterjson::encoder(std::move(endless)));
              },
              server),
          [&]() -> awaitable<void> {
            tcp::socket socket = co_await lo.connect();
            char some[4096];
            co_await net::async_read(socket, net::buffer(some), use_awaitable);
            socket.set_option(net::socket_base::linger(true, 0));  // close with a reset
            socket.close();
          });
  CHECK((server.error == boost::system::errc::connection_reset || server.error == boost::system::errc::broken_pipe));
  CHECK(server.body_empty_after);
  CHECK(watch.expired());
}

TEST_CASE("beast: a source that waits suspends the write without blocking the thread") {
  iterjson::channel<int> numbers;
  int pushed = 0;
  int ticks_while_streaming = 0;
  int pushed_at_first_chunk = -1;
  bool ended = false;
  loopback lo;
  served server;
  std::string body;
  lo.run(lo.serve_one([&] { return chunked_response(iterjson::encoder(numbers)); }, server),
          [&]() -> awaitable<void> {
            tcp::socket socket = co_await lo.connect();
            // The producer: a number every 2 ms, on this same thread.
            net::co_spawn(
                lo.io,
                [&]() -> awaitable<void> {
                  net::steady_timer timer(lo.io);
                  for (; pushed < 50; ++pushed) {
                    timer.expires_after(2ms);
                    co_await timer.async_wait(use_awaitable);
                    numbers.push(pushed);
                  }
                  numbers.close();
                },
                net::detached);
            // Another task of the loop, which would stop if the write blocked the thread.
            net::co_spawn(
                lo.io,
                [&]() -> awaitable<void> {
                  net::steady_timer timer(lo.io);
                  while (!ended) {
                    timer.expires_after(1ms);
                    co_await timer.async_wait(use_awaitable);
                    ++ticks_while_streaming;
                  }
                },
                net::detached);
            http::response_parser<http::string_body> parser;
            std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> on_header =
                [&](std::uint64_t size, beast::string_view, beast::error_code&) {
                  if (size != 0 && pushed_at_first_chunk < 0) pushed_at_first_chunk = pushed;
                };
            parser.on_chunk_header(on_header);
            beast::flat_buffer buffer;
            co_await http::async_read(socket, buffer, parser, use_awaitable);
            body = parser.get().body();
            ended = true;
          });
  std::string expected = "[";
  for (int i = 0; i < 50; ++i) expected += (i == 0 ? "" : ",") + std::to_string(i);
  expected += "]";
  CHECK(!server.error);
  CHECK(body == expected);
  CHECK(pushed_at_first_chunk >= 0);
  CHECK(pushed_at_first_chunk < 50);  // rows reach the client as they come, not at the end
  CHECK(ticks_while_streaming > 20);  // the loop ran its other work all the while
}

TEST_CASE("beast: unchunked, the response ends with the connection, marked Connection: close") {
  loopback lo;
  served server;
  received client;
  lo.run(lo.serve_one(
              [] {
                auto response = chunked_response(iterjson::encoder(rows(1000)));
                response.chunked(false);
                return response;
              },
              server),
          [&]() -> awaitable<void> {
            tcp::socket socket = co_await lo.connect();
            beast::flat_buffer buffer;
            client = co_await read_response(socket, buffer);
          });
  CHECK(!server.error);
  CHECK(server.need_eof);
  CHECK(client.response[http::field::connection] == "close");
  CHECK(client.response.count(http::field::transfer_encoding) == 0);
  CHECK(client.response.count(http::field::content_length) == 0);
  CHECK(client.response.body() == iterjson::to_string(rows(1000)));
}

TEST_CASE("beast: an encoder that fails ends the write with its error and no last chunk") {
  loopback lo;
  served server;
  std::string raw;
  std::vector<double> numbers(100'000, 1.5);
  numbers.push_back(NAN);  // after several blocks went out
  lo.run(lo.serve_one([&] { return chunked_response(iterjson::encoder(numbers)); }, server),
          [&]() -> awaitable<void> {
            tcp::socket socket = co_await lo.connect();
            beast::error_code error;
            char piece[1024];
            for (;;) {
              const std::size_t n = co_await socket.async_read_some(net::buffer(piece), net::redirect_error(use_awaitable, error));
              raw.append(piece, n);
              if (error) break;
            }
          });
  CHECK(std::error_code(server.error) == iterjson::encode_errc::non_finite_number);
  CHECK(raw.find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(raw.size() > 100'000);
  CHECK(raw.find("\r\n0\r\n\r\n") == std::string::npos);
}

}  // namespace
