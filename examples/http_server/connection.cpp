#include "connection.hpp"

#include <sys/socket.h>

#include <cstdio>
#include <optional>
#include <span>
#include <system_error>

#include "routes.hpp"
#include "server.hpp"

namespace http_demo {

void connection::accept(uv_stream_t* listener) {
  uv_tcp_init(server_.loop(), &tcp_);
  tcp_.data = this;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) return close();
  if (int size = server_.send_buffer(); size != 0) {
    uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(&tcp_), &size);  // a hint: no harm if refused
  }
  quiet_since_ms_ = uv_now(server_.loop());
  set_reading(true);
}

void connection::close() noexcept {
  if (closing_) return;
  closing_ = true;
  server_.forget(this);
  if (stream_) return stream_->close([this] { delete this; });
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) { delete static_cast<connection*>(h->data); });
}

// Closes with a reset rather than a FIN: the client cannot take a response cut short,
// even a body that ends with the connection, for a complete one.
void connection::abort() noexcept {
  uv_os_fd_t fd{};
  if (!closing_ && uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0) {
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  close();
}

// Whether bytes moved is sampled at each sweep, so a connection is cut no sooner than
// `timeout_ms` after its last movement, and at most a sweep period later.
void connection::sweep_idle(std::uint64_t now, std::uint64_t timeout_ms) noexcept {
  const std::uint64_t moved = bytes_moved();
  if (moved != moved_at_sweep_ || !waiting_on_client()) {
    moved_at_sweep_ = moved;
    quiet_since_ms_ = now;
  } else if (now - quiet_since_ms_ >= timeout_ms) {
    guarded([&] { cut_idle(); });
  }
}

std::size_t connection::stream_bytes_held() const noexcept {
  return stream_ ? stream_->driver().stats().bytes_held : 0;
}

// Request bytes read, and response bytes whose write completed.
std::uint64_t connection::bytes_moved() const noexcept {
  return bytes_read_ + raw_bytes_written_ + (stream_ ? stream_->driver().stats().bytes_written : 0);
}

// Waiting for a request, or with response bytes in libuv's queue that the kernel has no
// room for until the client reads. A stream that waits for its source with nothing
// queued, or one being produced, waits on the server.
bool connection::waiting_on_client() const noexcept {
  return !responding_ || uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&tcp_)) != 0;
}

// A stream under way fails with timed_out, and its end aborts the connection; a response
// written whole is cut with a reset too; between requests the connection just closes.
void connection::cut_idle() {
  ++server_.stats().idle_cut;
  if (stream_ && stream_->driver().active()) {
    return stream_->driver().on_peer_error(std::make_error_code(std::errc::timed_out));
  }
  if (responding_) return abort();
  close();
}

void connection::on_exception(const char* what) noexcept {
  std::fprintf(stderr, "http_server: %s\n", what);
  if (closing_) return;
  if (!responding_ || response_sent_) return abort();
  try {
    send_text("500 Internal Server Error", "internal error\n", false);
  } catch (...) {
    abort();
  }
}

void connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
  const std::span<char> shared = static_cast<connection*>(handle->data)->server_.read_buffer();
  *buffer = uv_buf_init(shared.data(), static_cast<unsigned>(shared.size()));
}

void connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  auto& self = *static_cast<connection*>(stream->data);
  self.guarded([&] { self.take(nread, buffer->base); });
}

void connection::take(ssize_t nread, const char* bytes) {
  if (nread == UV_EOF) {  // a half-close: the requests received are still answered
    peer_ended_ = true;
    set_reading(false);
    if (!responding_) answer_next();
    return;
  }
  if (nread < 0) {  // the client went away
    if (stream_ && stream_->driver().active()) {
      return stream_->driver().on_peer_error(iterjson::libuv_error(static_cast<int>(nread)));
    }
    return close();
  }
  bytes_read_ += static_cast<std::uint64_t>(nread);
  received_.append(bytes, static_cast<std::size_t>(nread));
  if (!responding_) answer_next();
}

void connection::set_reading(bool on) {
  if (on == reading_ || closing_) return;
  reading_ = on;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (!on) {
    uv_read_stop(stream);
  } else if (uv_read_start(stream, &on_alloc, &on_read) < 0) {
    close();
  }
}

// Answers the next complete request received, if any; else reads on, or closes once the
// client sends no more.
void connection::answer_next() {
  const std::size_t head_end = received_.find("\r\n\r\n");
  // The limit holds however the head arrived: whole in one read, or still coming.
  const std::size_t head_size = head_end == std::string::npos ? received_.size() : head_end + 4;
  if (head_size > max_request_head) {
    begin_response();
    return send_raw(response_head("431 Request Header Fields Too Large", "text/plain", false, 0), {}, false);
  }
  if (head_end == std::string::npos) {
    if (peer_ended_) return close();
    return set_reading(true);
  }
  begin_response();
  const std::optional<request> r = parse_request(std::string_view(received_).substr(0, head_end));
  if (!r || r->has_body) return send_text("400 Bad Request", "bad request\n", false);
  const request copy = *r;  // its views point into received_, which answer() may not outlive
  const std::string path(copy.path), query(copy.query), method(copy.method);
  received_.erase(0, head_end + 4);
  answer({method, path, query, copy.keep_alive, copy.http_1_0, false});
}

// Until the response ends, what the client sends stays in the kernel.
void connection::begin_response() {
  set_reading(false);
  responding_ = true;
  response_sent_ = false;
}

// The route's answer: streamed, or written whole.
void connection::answer(const request& r) {
  reply response = route(r, server_);
  if (response.stream) {
    return stream_json(std::move(*response.stream), response.content_type, response.keep_alive, r.http_1_0);
  }
  std::string head = response_head(response.status, response.content_type, response.keep_alive, response.body.size(),
                                   true, response.extra_headers);
  send_raw(std::move(head), std::move(response.body), response.keep_alive);
}

void connection::stream_json(iterjson::encoder text, std::string_view content_type, bool keep_alive, bool http_1_0) {
  const auto framing = http_1_0 ? iterjson::transfer_framing::none : iterjson::transfer_framing::http_chunked;
  if (!stream_) {
    stream_ = std::make_unique<iterjson::libuv_stream>(reinterpret_cast<uv_stream_t*>(&tcp_),
                                                       iterjson::stream_options{.framing = framing});
  } else if (stream_->driver().options().framing != framing) {
    // An HTTP/1.0 request after streamed HTTP/1.1 answers: this connection's driver chunks.
    return send_text("505 HTTP Version Not Supported",
                     "HTTP/1.0 after HTTP/1.1 on one connection is not streamed: use a new connection\n", false);
  }
  ++server_.stats().streams_started;
  stream_->driver().start(
      std::move(text),
      [this, keep_alive](const iterjson::stream_end& end) { guarded([&] { stream_ended(end, keep_alive); }); },
      response_head("200 OK", content_type, keep_alive, std::nullopt, !http_1_0));
  response_sent_ = true;
}

void connection::stream_ended(const iterjson::stream_end& end, bool keep_alive) {
  if (!end.ok()) {
    ++server_.stats().streams_failed;
    // A disconnect is the normal end of /primes; anything else is worth a line.
    if (end.error == iterjson::stream_errc::encode_failed) std::fprintf(stderr, "stream failed: %s\n", end.message().c_str());
    return abort();
  }
  ++server_.stats().streams_completed;
  response_done(keep_alive);
}

void connection::send_text(std::string_view status, std::string body, bool keep_alive) {
  std::string head = response_head(status, "text/plain", keep_alive, body.size());
  send_raw(std::move(head), std::move(body), keep_alive);
}

void connection::send_raw(std::string head, std::string body, bool keep_alive) {
  auto write = std::make_unique<raw_write>(raw_write{{}, this, std::move(head), std::move(body), keep_alive});
  uv_buf_t buffers[] = {uv_buf_init(write->head.data(), static_cast<unsigned>(write->head.size())),
                        uv_buf_init(write->body.data(), static_cast<unsigned>(write->body.size()))};
  write->request.data = write.get();
  if (uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&tcp_), buffers, 2, &on_raw_written) < 0) return close();
  write.release();  // libuv's until on_raw_written
  response_sent_ = true;
}

void connection::on_raw_written(uv_write_t* request, int status) {
  const std::unique_ptr<raw_write> write(static_cast<raw_write*>(request->data));
  connection& self = *write->owner;
  if (status < 0) return self.close();
  self.raw_bytes_written_ += write->head.size() + write->body.size();
  self.guarded([&] { self.response_done(write->keep_alive); });
}

void connection::response_done(bool keep_alive) {
  responding_ = false;
  if (!keep_alive) return close();
  answer_next();
}

}  // namespace http_demo
