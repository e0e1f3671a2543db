// The demo's /numbers stream on Boost.Beast: an HTTP/1.1 server on 127.0.0.1 whose
// responses are iterjson::beast_body, written by C++20 coroutines on one thread.
//
//   beast_numbers [--port P] [--self-test]
//   curl 'http://127.0.0.1:8080/numbers?length=1000000'
//
// GET /numbers?length=N answers [0,1,...,N-1] (1000 by default) from a lazy range, never
// in memory, in 16 KiB chunks; anything else is 404. Connections are kept alive.
// --port 0 picks a free port; the server prints `listening on 127.0.0.1:PORT`.
// --self-test asks for /numbers?length=1000000 itself, on the same loop, checks the
// text against iterjson::to_string, and exits: 0 if it is the whole document.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <iterjson/adapters/beast.hpp>
#include <iterjson/generator.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// The value of `name` in the query of `target`, if there is one.
std::string_view query_value(std::string_view target, std::string_view name) {
  const std::size_t query = target.find('?');
  if (query == std::string_view::npos) return {};
  for (std::string_view rest = target.substr(query + 1); !rest.empty();) {
    const std::string_view pair = rest.substr(0, rest.find('&'));
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return {};
}

// [0, 1, ..., length - 1], each number made when the encoder asks for it.
iterjson::generator<std::size_t> numbers(std::size_t length) {
  for (std::size_t i = 0; i != length; ++i) co_yield i;
}

// Serves one connection, request after request, until the client closes it.
asio::awaitable<void> serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (read_error) co_return;  // the client closed the connection, or sent garbage
    const std::string_view target(request.target().data(), request.target().size());
    if (!target.starts_with("/numbers") || (target.size() > 8 && target[8] != '?')) {
      http::response<http::string_body> missing{http::status::not_found, request.version()};
      missing.body() = "not found\n";
      missing.prepare_payload();
      co_await http::async_write(stream, missing, asio::use_awaitable);
      continue;
    }
    std::size_t length = 1000;
    const std::string_view given = query_value(target, "length");
    std::from_chars(given.data(), given.data() + given.size(), length);

    http::response<iterjson::beast_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = iterjson::encoder(numbers(length));
    response.prepare_payload();  // HTTP/1.1: chunked; HTTP/1.0: the connection ends the body
    auto [error, bytes] = co_await iterjson::beast_async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    if (error || response.need_eof()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

// The self-test's client: one request, its body checked, then the loop stops.
asio::awaitable<void> check(tcp::endpoint server, int& status) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(server, asio::use_awaitable);
  http::request<http::string_body> request{http::verb::get, "/numbers?length=1000000", 11};
  request.set(http::field::host, "127.0.0.1");
  co_await http::async_write(socket, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  co_await http::async_read(socket, buffer, parser, asio::use_awaitable);
  const std::string expected = iterjson::to_string(numbers(1'000'000));
  const bool whole = parser.get().chunked() && parser.get().body() == expected;
  std::printf("self-test: %zu bytes, %s\n", parser.get().body().size(), whole ? "the whole document" : "WRONG");
  status = whole ? 0 : 1;
  static_cast<asio::io_context&>(socket.get_executor().context()).stop();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 8080;
  bool self_test = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else if (arg == "--self-test") {
      self_test = true;
    } else {
      std::fprintf(stderr, "usage: beast_numbers [--port P] [--self-test]\n");
      return 2;
    }
  }
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), port));
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  asio::co_spawn(io, listen(acceptor), asio::detached);
  int status = 0;
  if (self_test) asio::co_spawn(io, check(acceptor.local_endpoint(), status), asio::detached);
  io.run();
  return status;
}
