// Start here: a blocking HTTP server on 127.0.0.1 that sends a large JSON document,
// made as it is sent, a slice at a time. Memory stays flat however long the document is.
//
//   stream_to_socket [--port P] [--rows N] [--self-test]
//   curl http://127.0.0.1:8080/
//
// --port 0 picks a free port; the server prints `listening on 127.0.0.1:PORT`.
// --self-test serves one client, a thread of this program, checks what it received, and
// exits: 0 if it is the whole document. For an event loop instead of blocking writes, see
// http_server/; for the costs of streaming, stream_numbers.cpp.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include <iterjson/iterjson.hpp>

// One row of the document. ITERJSON_FIELDS names its members for iterjson, which writes
// it as {"id":3,"square":9}.
struct row {
  long long id;
  long long square;
};
ITERJSON_FIELDS(row, id, square);

// The document, [{"id":0,"square":0},{"id":1,"square":1},...]: a generator, so each row is
// made when the encoder asks for it and never stored. Any range or container would do.
iterjson::generator<row> rows(long long count) {
  for (long long i = 0; i != count; ++i) co_yield row{i, i * i};
}

// 127.0.0.1:`port`, as the socket functions take it.
sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

// Writes all of `bytes`; false if the client went away.
bool send_all(int socket, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL);  // no SIGPIPE
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

// No Content-Length, no chunks: the body ends where the connection does.
constexpr std::string_view response_head =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";

// Answers one client. Its request is read first, whatever it asks: closing a socket with
// unread bytes would reset the connection and lose the end of the answer.
void serve(int client, long long count) {
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 64 * 1024) {
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<std::size_t>(n));
  }
  if (!send_all(client, response_head)) return;

  // The heart of it: next() makes the next slice of text, at most chunk_size bytes, and
  // the socket takes it before the encoder makes more. If the client goes, no more rows
  // are made.
  iterjson::encoder json(rows(count), {.chunk_size = 64 * 1024});
  while (!json.done()) {
    if (!send_all(client, json.next())) return;
  }
}

// A socket listening on 127.0.0.1:`port`; a port of 0 becomes the free one it got.
int listen_on(int& port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address = loopback(port);
  socklen_t size = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(listener, 16) != 0) {
    std::perror("stream_to_socket: cannot listen on 127.0.0.1");
    std::exit(1);
  }
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  return listener;
}

// The client of --self-test: asks, and reads the answer to its end.
std::string fetch(int port) {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in address = loopback(port);
  std::string answer;
  if (::connect(socket, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      send_all(socket, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
    char buffer[64 * 1024];
    for (ssize_t n; (n = ::recv(socket, buffer, sizeof buffer, 0)) > 0;) {
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(socket);
  return answer;
}

int main(int argc, char** argv) {
  int port = 8080;
  long long count = 1'000'000;  // 35 MB of JSON
  bool self_test = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--self-test") {
      self_test = true;
    } else if (flag == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (flag == "--rows" && i + 1 < argc) {
      count = std::atoll(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: stream_to_socket [--port P] [--rows N] [--self-test]\n");
      return 2;
    }
  }
  const int listener = listen_on(port);
  std::string answer;
  std::thread tester;  // with --self-test, the one client, in this program
  if (self_test) tester = std::thread([&] { answer = fetch(port); });
  do {  // one client at a time: a real server would use a thread or an event loop per client
    const int client = ::accept(listener, nullptr, nullptr);
    if (client < 0) continue;
    serve(client, count);
    ::close(client);
  } while (!self_test);
  tester.join();
  const bool whole = answer == std::string(response_head) + iterjson::to_string(rows(count));
  std::printf("self-test: %zu bytes received, %s\n", answer.size(), whole ? "the whole document" : "WRONG");
  return whole ? 0 : 1;
}
