#include "iterjson/adapters/httplib.hpp"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "iterjson/source.hpp"
#include "test_support.hpp"

// A real cpp-httplib server, on loopback, answered by httplib's own client or, where the
// test needs to pause, reset or look at the kernel's queues, by a plain socket.

namespace {

using namespace std::chrono_literals;

// An httplib server on 127.0.0.1, on a free port, listening on a thread of its own.
class server {
 public:
  explicit server(int send_buffer = 0) {
    if (send_buffer != 0) {
      http_.set_socket_options([send_buffer](int fd) {
        int yes = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);  // inherited
      });
    }
  }
  ~server() {
    http_.stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Server& http() { return http_; }
  void start() {
    port_ = http_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    // Bound and listening already: a connection waits in the backlog until the loop runs.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!http_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
};

// A plain blocking client socket that sent `GET path`, with a receive buffer if given.
int connect_and_get(int port, const char* path, int receive_buffer = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  if (receive_buffer != 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string request = std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  return fd;
}

std::string read_to_end(int fd) {
  std::string all;
  char piece[65536];
  for (ssize_t n; (n = ::recv(fd, piece, sizeof piece, 0)) > 0;) all.append(piece, static_cast<std::size_t>(n));
  return all;
}

// The body of a chunked response, and the size of each chunk.
struct decoded {
  std::string body;
  std::vector<std::size_t> chunk_sizes;
  bool complete = false;  // the last chunk came
};

decoded decode_chunked(const std::string& response) {
  decoded out;
  std::size_t at = response.find("\r\n\r\n");
  REQUIRE(at != std::string::npos);
  at += 4;
  while (at < response.size()) {
    const std::size_t line_end = response.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const std::size_t size = std::stoul(response.substr(at, line_end - at), nullptr, 16);
    if (size == 0) {
      out.complete = true;
      break;
    }
    out.chunk_sizes.push_back(size);
    out.body += response.substr(line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return out;
}

auto rows(std::size_t count) {
  return iterjson::testing::generated(count, [](std::size_t i) { return std::vector<std::size_t>{i, i * i}; });
}

TEST_CASE("httplib: a large lazy document arrives byte for byte, in chunks of one block") {
  server s;
  s.http().Get("/rows", [](const httplib::Request&, httplib::Response& res) {
    iterjson::set_content(res, iterjson::encoder(rows(300'000)), "application/json");
  });
  s.start();
  const std::string expected = iterjson::to_string(rows(300'000));
  REQUIRE(expected.size() > 5'000'000);

  httplib::Client client("127.0.0.1", s.port());
  const httplib::Result result = client.Get("/rows");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("Content-Type") == "application/json");
  CHECK(result->get_header_value("Transfer-Encoding") == "chunked");
  CHECK(result->body.size() == expected.size());
  CHECK(result->body == expected);

  const int fd = connect_and_get(s.port(), "/rows");
  const decoded raw = decode_chunked(read_to_end(fd));
  ::close(fd);
  CHECK(raw.complete);
  CHECK(raw.body == expected);
  REQUIRE(raw.chunk_sizes.size() == (expected.size() + 16383) / 16384);
  for (std::size_t i = 0; i + 1 < raw.chunk_sizes.size(); ++i) CHECK(raw.chunk_sizes[i] == 16384);
}

// A source safe to poll from httplib's worker while another thread fills it.
struct shared_queue {
  struct state {
    std::mutex mutex;
    std::deque<int> queue;
    bool closed = false;
  };
  std::shared_ptr<state> shared = std::make_shared<state>();

  iterjson::poll_result<int> poll(const iterjson::waker&) {
    const std::lock_guard lock(shared->mutex);
    if (!shared->queue.empty()) {
      const int value = shared->queue.front();
      shared->queue.pop_front();
      return value;
    }
    if (shared->closed) return iterjson::exhausted;
    return iterjson::pending;  // the worker polls again
  }
};

TEST_CASE("httplib: a source that waits holds its worker, and its rows reach the client as they come") {
  shared_queue numbers;
  std::atomic<int> pushed = 0;
  server s;
  s.http().Get("/numbers", [&](const httplib::Request&, httplib::Response& res) {
    iterjson::set_content(res, iterjson::encoder(numbers), "application/json");
  });
  s.start();
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) {
      std::this_thread::sleep_for(2ms);
      const std::lock_guard lock(numbers.shared->mutex);
      numbers.shared->queue.push_back(i);
      pushed = i + 1;
    }
    const std::lock_guard lock(numbers.shared->mutex);
    numbers.shared->closed = true;
  });
  httplib::Client client("127.0.0.1", s.port());
  std::string body;
  int pushed_at_first_data = -1;
  const httplib::Result result = client.Get("/numbers", [&](const char* data, std::size_t size) {
    if (pushed_at_first_data < 0) pushed_at_first_data = pushed;
    body.append(data, size);
    return true;
  });
  producer.join();
  REQUIRE(result);
  std::string expected = "[";
  for (int i = 0; i < 50; ++i) expected += (i == 0 ? "" : ",") + std::to_string(i);
  CHECK(body == expected + "]");
  CHECK(pushed_at_first_data >= 0);
  CHECK(pushed_at_first_data < 50);
}

TEST_CASE("httplib: a client that resets mid-stream stops the provider and frees the encoder") {
  auto alive = std::make_shared<int>(0);
  const std::weak_ptr<int> watch = alive;
  server s;
  s.http().Get("/endless", [&alive](const httplib::Request&, httplib::Response& res) {
    auto endless = iterjson::testing::generated(std::numeric_limits<std::size_t>::max(),
                                                [keep = std::move(alive)](std::size_t i) { return i; });
    iterjson::set_content(res, iterjson::encoder(std::move(endless)), "application/json");
  });
  s.start();
  const int fd = connect_and_get(s.port(), "/endless");
  char some[4096];
  std::size_t got = 0;
  while (got < sizeof some) {
    const ssize_t n = ::recv(fd, some + got, sizeof some - got, 0);
    REQUIRE(n > 0);
    got += static_cast<std::size_t>(n);
  }
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!watch.expired() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  CHECK(watch.expired());
}

TEST_CASE("httplib: an encoder that fails cuts the response short, without its last chunk") {
  std::vector<double> numbers(100'000, 1.5);
  numbers.push_back(NAN);
  server s;
  s.http().Get("/nan", [&](const httplib::Request&, httplib::Response& res) {
    iterjson::set_content(res, iterjson::encoder(numbers), "application/json");
  });
  s.start();
  const int fd = connect_and_get(s.port(), "/nan");
  const decoded raw = decode_chunked(read_to_end(fd));
  ::close(fd);
  CHECK(raw.body.size() > 16384);
  CHECK_FALSE(raw.complete);
}

// The server's end of the connection whose client end is `client_fd`, found among this
// process's descriptors by its address.
int server_end_of(int client_fd) {
  sockaddr_in client{};
  socklen_t length = sizeof client;
  REQUIRE(::getsockname(client_fd, reinterpret_cast<sockaddr*>(&client), &length) == 0);
  for (int fd = 0; fd < 4096; ++fd) {
    sockaddr_in peer{};
    socklen_t peer_length = sizeof peer;
    if (fd == client_fd || ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) continue;
    if (peer.sin_family == AF_INET && peer.sin_port == client.sin_port && peer.sin_addr.s_addr == client.sin_addr.s_addr) {
      return fd;
    }
  }
  FAIL("the server's end of the connection was not found");
  return -1;
}

int queued(int fd, unsigned long request) {
  int bytes = 0;
  REQUIRE(::ioctl(fd, request, &bytes) == 0);
  return bytes;
}

TEST_CASE("httplib: a slow reader holds about a block of the server's memory, whatever the document's size") {
  // Elements of a known size: each is "xxx...x", 100 x's, and a comma: 103 bytes.
  auto made = std::make_shared<std::atomic<std::size_t>>(0);
  auto document = iterjson::testing::generated(2'000'000, [made](std::size_t) {
    ++*made;
    return std::string(100, 'x');
  });
  server s(64 * 1024);
  s.http().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    iterjson::set_content(res, iterjson::encoder(document), "application/json");
  });
  s.start();
  const int fd = connect_and_get(s.port(), "/big", 64 * 1024);
  std::this_thread::sleep_for(300ms);  // the reader reads nothing for a while
  const std::size_t produced = *made * 103 + 1;
  const std::size_t head_and_framing = 200 + (produced / 16384 + 1) * 8;
  const std::size_t in_kernel = static_cast<std::size_t>(queued(server_end_of(fd), SIOCOUTQ)) +
                                static_cast<std::size_t>(queued(fd, FIONREAD));
  const std::size_t held = produced + head_and_framing > in_kernel ? produced + head_and_framing - in_kernel : 0;
  MESSAGE("slow reader, paused: text made " << produced << " bytes of " << 103 * 2'000'000
                                             << "; held by the server, not in the kernel: about " << held << " bytes");
  CHECK(produced < 4 * 1024 * 1024);
  CHECK(held <= 17 * 1024);  // one block, give or take an element, the head and the framing
  const decoded raw = decode_chunked(read_to_end(fd));
  ::close(fd);
  CHECK(raw.complete);
  CHECK(raw.body.size() == 103 * 2'000'000 + 1);
}

}  // namespace
