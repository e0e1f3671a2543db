#pragma once

// The socket tests every event-loop adapter passes, on real loopback TCP connections.
//
// An adapter's test file supplies a server type: it listens on 127.0.0.1 on a free port,
// with a send buffer of `loopback_send_buffer` that the connections inherit, and streams
// `documents(i)` to the i-th connection it accepts through the adapter, with the given
// stream_options; the connection is closed when its stream ends. After each pass of its
// loop it samples the bytes the loop (or the adapter) holds for each connection, as the
// loop itself counts them, and keeps the peak in served_stream::peak_loop_bytes. Its
// interface:
//
//   server(const iterjson::stream_options&, document_source documents);
//   std::uint16_t port() const;
//   // Runs the loop until `count` streams ended, for at most `loopback_max_passes` passes
//   // and `loopback_deadline`; returns them in the order they ended.
//   std::vector<served_stream> serve(std::size_t count);
//   // If set, called after each pass with each stream under way: its driver's stats and
//   // the bytes the loop holds of it, the sample peak_loop_bytes keeps the peak of.
//   pass_observer after_pass;
//
// Clients are blocking sockets in threads of their own. Every wait is bounded in time.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "iterjson/driver.hpp"
#include "iterjson/iterjson.hpp"
#include "test_support.hpp"

namespace iterjson::testing {

using document_source = std::function<encoder(std::size_t connection)>;
using pass_observer = std::function<void(const stream_stats& stats, std::size_t loop_bytes)>;

struct served_stream {
  std::size_t connection = 0;
  stream_end end;
  stream_stats stats;
  std::size_t peak_loop_bytes = 0;  // the most the loop held of the stream's bytes at a pass's end
};

// No test waits longer than this for anything, and no loop runs more passes than this.
inline constexpr auto loopback_deadline = std::chrono::seconds(60);
inline constexpr std::size_t loopback_max_passes = 1'000'000;

// A server's kernel send buffer (Linux doubles it), small and fixed: a slow reader then
// holds the driver back after a few hundred KiB, instead of the kernel taking megabytes.
inline constexpr int loopback_send_buffer = 64 * 1024;

// --- sockets -------------------------------------------------------------------------

inline void check_system(bool ok, const char* what) {
  if (!ok) throw std::system_error(errno, std::system_category(), what);
}

// A listening TCP socket on 127.0.0.1 and a free port, with `loopback_send_buffer`; sets
// `port`.
inline int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  check_system(fd != -1, "socket");
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  check_system(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &loopback_send_buffer, sizeof loopback_send_buffer) == 0,
               "SO_SNDBUF");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check_system(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "bind");
  check_system(::listen(fd, 64) == 0, "listen");
  socklen_t size = sizeof address;
  check_system(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0, "getsockname");
  port = ntohs(address.sin_port);
  return fd;
}

// How a client reads: `read_size` bytes at a time with `pause` between reads, and, after
// `disconnect_after` bytes, a close that resets the connection.
struct reading {
  std::size_t read_size = 64 * 1024;
  std::chrono::microseconds pause{0};
  std::size_t disconnect_after = std::numeric_limits<std::size_t>::max();
  // Waits for this before each read past the first `hold_after` bytes; set by the test.
  std::shared_future<void> hold{};
  std::size_t hold_after = std::numeric_limits<std::size_t>::max();
};

// A blocking socket connected to 127.0.0.1:`port`, whose reads time out at the deadline.
inline int connect_to_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  check_system(fd != -1, "socket");
  timeval timeout{static_cast<time_t>(loopback_deadline.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::system_category(), "connect");
  }
  return fd;
}

// Closes `fd` with RST, as a client that goes away does.
inline void reset_connection(int fd) {
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
}

// Connects to 127.0.0.1:`port` and reads until the server closes (or the reading says
// stop, or the deadline passes); returns what arrived.
inline std::string read_stream(std::uint16_t port, const reading& how = {}) {
  const int fd = connect_to_loopback(port);
  const auto deadline = std::chrono::steady_clock::now() + loopback_deadline;
  std::string text;
  std::string buffer(how.read_size, '\0');
  while (std::chrono::steady_clock::now() < deadline) {
    if (text.size() >= how.hold_after && how.hold.valid()) {
      how.hold.wait_for(loopback_deadline);
    }
    const std::size_t want = std::min(how.read_size, how.disconnect_after - text.size());
    const ssize_t n = ::recv(fd, buffer.data(), want, 0);
    if (n <= 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
    if (text.size() >= how.disconnect_after) {
      reset_connection(fd);
      return text;
    }
    if (how.pause.count() != 0) std::this_thread::sleep_for(how.pause);
  }
  ::close(fd);
  return text;
}

// --- documents -----------------------------------------------------------------------

struct sample_record {
  std::uint64_t id;
  std::string name;
  std::vector<double> scores;
  std::map<std::string, bool> flags;
};

}  // namespace iterjson::testing

ITERJSON_FIELDS(iterjson::testing::sample_record, id, name, scores, flags);

namespace iterjson::testing {

// About 4 MB of records with escapes, non-ASCII text, doubles and nested containers.
inline std::vector<sample_record> sample_records() {
  std::vector<sample_record> records;
  for (std::uint64_t i = 0; i != 30'000; ++i) {
    records.push_back({i * 7919,
                       "r\u00e9cord \"" + std::to_string(i) + "\"\n\u4e2d\u6587",
                       {i / 3.0, -static_cast<double>(i) * 1e-3, 1e300 / static_cast<double>(i + 1)},
                       {{"even", i % 2 == 0}, {"tens", i % 10 == 0}}});
  }
  return records;
}

// --- the scenarios -------------------------------------------------------------------

// The whole document arrives, byte for byte what to_string writes, and parses.
template <class Server>
void check_full_document_arrives(transfer_framing framing) {
  const auto records = sample_records();
  const std::string expected = to_string(records);
  Server server({.framing = framing}, [&](std::size_t) { return encoder(records); });
  auto client = std::async(std::launch::async, [port = server.port()] { return read_stream(port); });
  const std::vector<served_stream> served = server.serve(1);
  const std::string received = client.get();
  REQUIRE(served.size() == 1);
  CHECK_MESSAGE(served[0].end.ok(), served[0].end.message());
  const std::optional<std::string> body =
      framing == transfer_framing::http_chunked ? decode_chunked(received) : std::optional(received);
  REQUIRE(body.has_value());
  CHECK(body->size() == expected.size());
  CHECK(*body == expected);
  CHECK(nlohmann::json::parse(*body) == nlohmann::json::parse(expected));
  CHECK(served[0].stats.text_bytes == expected.size());
  CHECK(served[0].stats.bytes_written == received.size());
  CHECK(served[0].stats.bytes_held == 0);
  // Coalesced: the writes carry whole blocks, not slices.
  CHECK(served[0].stats.writes <= received.size() / stream_options{}.block_size + 2);
}

// A client reading 16 KiB every 2 ms: the driver stops at its high-water mark to wait for
// it, neither the driver nor the loop ever holds more than the high-water mark, and the
// document still arrives whole. The loop's own count catches an adapter that would copy
// the bytes and report them written at once: its loop would hold the whole document, and
// its driver would never stall.
//
// Whether a reader of 8 MB/s holds a server back depends on how fast the server is (one
// built with a sanitizer, on a busy machine, may not be faster), so the client reads its
// first bytes, then nothing until the loop saw the driver stall with a block or more
// waiting in the loop: what a reader that never reads brings about, since the kernel's
// buffers fill and what the loop could not pass on stays with it. Only then does it read
// on, slowly.
template <class Server>
void check_slow_reader_bounds_memory() {
  const stream_options options{};
  const auto numbers = lazy_numbers(300'000);  // 2 MB
  const std::string expected = to_string(numbers);
  std::promise<void> stalled;
  bool seen_stalled = false;
  Server server(options, [&](std::size_t) { return encoder(numbers); });
  server.after_pass = [&](const stream_stats& stats, std::size_t loop_bytes) {
    if (seen_stalled || stats.stalls == 0 || loop_bytes < options.block_size) return;
    seen_stalled = true;
    stalled.set_value();
  };
  auto client = std::async(std::launch::async, [port = server.port(), hold = stalled.get_future().share()] {
    return read_stream(port,
                       {.read_size = 16 * 1024, .pause = std::chrono::milliseconds(2), .hold = hold, .hold_after = 1});
  });
  struct release_at_exit {  // also when serve() throws, so that the client goes on and ends
    std::promise<void>& stalled;
    const bool& seen;
    ~release_at_exit() {
      if (!seen) stalled.set_value();
    }
  } release{stalled, seen_stalled};
  const std::vector<served_stream> served = server.serve(1);
  CHECK(client.get() == expected);
  REQUIRE(served.size() == 1);
  CHECK(served[0].end.ok());
  // The driver promises the high-water mark itself: blocks in flight plus the one filling.
  CHECK(served[0].stats.peak_bytes_held <= options.high_water);
  CHECK(served[0].stats.peak_bytes_held >= options.block_size);
  CHECK(served[0].stats.stalls >= 1);
  CHECK_MESSAGE(served[0].peak_loop_bytes <= options.high_water, served[0].peak_loop_bytes);
  // While the driver waits, the loop holds what it handed over: more than one block.
  CHECK_MESSAGE(served[0].peak_loop_bytes >= options.block_size, served[0].peak_loop_bytes);
}

// A client that goes away after 256 KiB of a 70 MB document: the stream ends with the
// peer's error, as the driver documents it for a peer that reset the connection
// (ECONNRESET, or EPIPE for a write that found it reset), long before the document was
// produced.
template <class Server>
void check_disconnect_stops_production() {
  const auto numbers = lazy_numbers(10'000'000);
  Server server({}, [&](std::size_t) { return encoder(numbers); });
  auto client = std::async(std::launch::async, [port = server.port()] {
    return read_stream(port, {.read_size = 16 * 1024, .disconnect_after = 256 * 1024});
  });
  const std::vector<served_stream> served = server.serve(1);
  CHECK(client.get().size() == 256 * 1024);
  REQUIRE(served.size() == 1);
  const stream_end& end = served[0].end;
  CHECK_MESSAGE((end.error == std::errc::connection_reset || end.error == std::errc::broken_pipe), end.message());
  CHECK_MESSAGE(served[0].stats.text_bytes < 16 * 1024 * 1024, served[0].stats.text_bytes);
}

// While one client holds a large stream open, a second connects and is served in full.
// The second connects only once the server accepted the first and started its stream,
// and the first reads no further than its first bytes until the second is done. If
// serve() throws, the clients still end, each within its deadlines, before the server
// goes: no thread outlives the test.
template <class Server>
void check_second_connection_is_served() {
  const auto numbers = lazy_numbers(2'000'000);  // 15 MB
  const std::vector<int> small{1, 2, 3};
  std::promise<void> first_started;
  const std::shared_future<void> started = first_started.get_future().share();
  Server server({}, [&](std::size_t connection) {
    if (connection != 0) return encoder(small);
    first_started.set_value();  // the server starts the stream as soon as this returns
    return encoder(numbers);
  });
  std::promise<void> second_done;
  auto first = std::async(std::launch::async, [port = server.port(), hold = second_done.get_future().share()] {
    return read_stream(port, {.hold = hold, .hold_after = 1});
  });
  auto second = std::async(std::launch::async, [&second_done, started, port = server.port()] {
    struct signal_done {  // also when read_stream throws, so the first client goes on
      std::promise<void>& done;
      ~signal_done() { done.set_value(); }
    } signal{second_done};
    started.wait_for(loopback_deadline);
    return read_stream(port);
  });
  const std::vector<served_stream> served = server.serve(2);
  CHECK(second.get() == "[1,2,3]");
  CHECK(first.get() == to_string(numbers));
  REQUIRE(served.size() == 2);
  CHECK(served[0].connection == 1);  // the small one ended first
  CHECK(served[0].end.ok());
  CHECK(served[1].connection == 0);
  CHECK(served[1].end.ok());
}

// An encoder error halfway aborts the response: the chunked stream has no last chunk,
// and the completion names the error and its path.
template <class Server>
void check_encode_error_aborts() {
  const auto values = generated(400'000, [](std::size_t i) {
    return i == 300'000 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(i);
  });
  Server server({.framing = transfer_framing::http_chunked}, [&](std::size_t) { return encoder(values); });
  auto client = std::async(std::launch::async, [port = server.port()] { return read_stream(port); });
  const std::vector<served_stream> served = server.serve(1);
  const std::string received = client.get();
  REQUIRE(served.size() == 1);
  const stream_end& end = served[0].end;
  CHECK(end.error == stream_errc::encode_failed);
  CHECK(end.message() == "NaN is not allowed by nan_policy::error at \"/300000\"");
  CHECK(received.size() > 1024 * 1024);  // the text before the error went out
  CHECK_FALSE(received.ends_with(http_chunked::last_chunk));
  CHECK_FALSE(decode_chunked(received).has_value());
}

// A stream of values in each format of framing.hpp, over one range of 4 MB of records:
// NDJSON, JSON text sequences and Server-Sent Events, one connection each, arrive byte
// for byte what to_string writes.
template <class Server>
void check_value_streams_arrive() {
  const auto records = sample_records();
  std::vector<std::string> expected{to_string(ndjson(records)), to_string(json_seq(records)),
                                    to_string(server_sent_events(records))};
  Server server({}, [&](std::size_t connection) {
    if (connection == 0) return encoder(ndjson(records));
    if (connection == 1) return encoder(json_seq(records));
    return encoder(server_sent_events(records));
  });
  std::vector<std::future<std::string>> clients;
  for (int i = 0; i != 3; ++i) {
    clients.push_back(std::async(std::launch::async, [port = server.port()] { return read_stream(port); }));
  }
  const std::vector<served_stream> served = server.serve(3);
  REQUIRE(served.size() == 3);
  for (const served_stream& stream : served) CHECK_MESSAGE(stream.end.ok(), stream.end.message());
  // The clients connect at once, in any order: which got which format is not known.
  std::vector<std::string> received;
  for (auto& client : clients) received.push_back(client.get());
  std::sort(received.begin(), received.end());
  std::sort(expected.begin(), expected.end());
  CHECK(received == expected);
}

}  // namespace iterjson::testing
