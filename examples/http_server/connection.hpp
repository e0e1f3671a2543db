#pragma once

// One client connection of the server.
//
// Connections are kept alive; requests on one are answered in order, and the server
// reads no more of a connection while it answers it, so what a client sends meanwhile
// waits in the kernel, not in the server. (So a client that leaves a stream is noticed
// when a write to it fails: for /feed, at the next row or the one after.) A client that
// half-closes after its requests still gets every answer. HTTP/1.0 requests are answered
// with Connection: close, and a streamed body, which HTTP/1.0 cannot chunk, ends where
// the connection does. A response cut short ends with a reset connection, so that it
// cannot pass for complete. A request head, blank line included, is at most 16 KiB (431
// above), and one with a NUL byte is malformed (400).
//
// --idle-timeout-ms (60000) cuts a connection on which nothing moved for that long while
// it waited on its client: no request byte came while the server waited for a request,
// or no write of a response completed while bytes of it waited for the client to take
// them. A stream under way is cut with a reset, and counts as failed. A stream that waits
// for its own source with everything written, /feed between rows, waits on the server,
// not the client, so it is never idle however long --feed-interval-ms is; a client that
// falls behind it is. A write completes once all its bytes reached the kernel, at most the
// driver's 64 KiB high-water mark, so a client must also take about 64 KiB per timeout,
// 1 KiB/s by default. A client that trickles a request head byte by byte keeps its
// connection, up to the 16 KiB head limit. Long-poll sessions outlive their connections:
// the default is twice --session-timeout-ms, so a client that polls often enough to keep
// its session keeps its connection too. The connections are checked by one timer, four
// times per timeout: one is cut between one and one and a quarter timeouts after its
// last movement.

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <iterjson/adapters/libuv.hpp>
#include <iterjson/driver.hpp>

#include "http.hpp"

namespace http_demo {

class server;

// One client connection: reads requests, answers them one at a time. It reads only while
// no answer is under way, so it holds at most one request head and one read's bytes.
class connection {
 public:
  explicit connection(server& owner) : server_(owner) {}

  void accept(uv_stream_t* listener);
  void close() noexcept;
  void sweep_idle(std::uint64_t now, std::uint64_t timeout_ms) noexcept;
  [[nodiscard]] std::size_t stream_bytes_held() const noexcept;

 private:
  static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buffer);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*);
  static void on_raw_written(uv_write_t* write, int status);

  // Runs `work` from a libuv callback, which is C: no exception may leave it. One that
  // escapes ends the response under way with a 500, or, if bytes of it went out already,
  // the connection.
  template <class Work>
  void guarded(Work&& work) noexcept {
    try {
      std::forward<Work>(work)();
    } catch (const std::exception& e) {
      on_exception(e.what());
    } catch (...) {
      on_exception("unknown exception");
    }
  }
  void on_exception(const char* what) noexcept;

  void take(ssize_t nread, const char* bytes);
  void set_reading(bool on);
  void answer_next();
  void begin_response();
  void answer(const request& r);
  void stream_json(iterjson::encoder text, std::string_view content_type, bool keep_alive, bool http_1_0);
  void stream_ended(const iterjson::stream_end& end, bool keep_alive);
  void send_text(std::string_view status, std::string body, bool keep_alive);
  void send_raw(std::string head, std::string body, bool keep_alive);
  void response_done(bool keep_alive);
  void abort() noexcept;
  [[nodiscard]] std::uint64_t bytes_moved() const noexcept;
  [[nodiscard]] bool waiting_on_client() const noexcept;
  void cut_idle();

  server& server_;
  uv_tcp_t tcp_{};
  // Made for the first streamed response, chunked unless that one is for HTTP/1.0.
  std::unique_ptr<iterjson::libuv_stream> stream_;
  std::string received_;
  bool reading_ = false;
  bool peer_ended_ = false;  // the client closed its side: it sends no more requests
  bool responding_ = false;
  bool response_sent_ = false;  // bytes of the response under way were handed to libuv
  bool closing_ = false;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t raw_bytes_written_ = 0;  // of the responses written whole, once written
  // What the idle sweep saw last: bytes_moved(), and since when (loop time) it has not
  // changed while the connection waited on its client.
  std::uint64_t moved_at_sweep_ = 0;
  std::uint64_t quiet_since_ms_ = 0;

  // A response written whole, not streamed: kept until libuv has written it.
  struct raw_write {
    uv_write_t request;
    connection* owner;
    std::string head;
    std::string body;
    bool keep_alive;
  };
};

}  // namespace http_demo
