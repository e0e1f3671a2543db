#include "server.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>

#include <iterjson/encoder.hpp>

#include "connection.hpp"

namespace http_demo {

namespace {

// VmRSS and VmHWM of this process, in KiB.
void read_memory(server_stats& stats) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) stats.rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
    if (line.starts_with("VmHWM:")) stats.peak_rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
}

}  // namespace

server::server(uv_loop_t* loop, const settings& s)
    : loop_(loop),
      oneshot_(s.oneshot),
      feed_interval_ms_(s.feed_interval_ms),
      idle_timeout_ms_(s.idle_timeout_ms),
      send_buffer_(s.send_buffer),
      sessions_(loop, s.session_timeout_ms, s.max_sessions) {}

int server::listen(int port) {
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  sockaddr_in address{};
  uv_ip4_addr("127.0.0.1", port, &address);
  if (const int status = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0); status < 0) {
    return status;
  }
  if (const int status = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, &on_connection); status < 0) {
    return status;
  }
  int size = sizeof address;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&address), &size);
  std::printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
  std::fflush(stdout);

  uv_timer_init(loop_, &stall_timer_);
  stall_timer_.data = this;
  last_tick_ = uv_hrtime();
  uv_timer_start(&stall_timer_, &on_stall_tick, 1, 1);
  uv_timer_init(loop_, &idle_timer_);
  idle_timer_.data = this;
  const std::uint64_t sweep_period = std::max<std::uint64_t>(idle_timeout_ms_ / 4, 1);
  uv_timer_start(&idle_timer_, &on_idle_sweep, sweep_period, sweep_period);
  for (uv_signal_t* signal : {&sigint_, &sigterm_}) {
    uv_signal_init(loop_, signal);
    signal->data = this;
  }
  uv_signal_start(&sigint_, &on_signal, SIGINT);
  uv_signal_start(&sigterm_, &on_signal, SIGTERM);
  return 0;
}

std::string server::stats_json() {
  read_memory(stats_);
  stats_.longpoll_sessions = sessions_.size();
  stats_.connections = connections_.size();
  stats_.stream_bytes_held = 0;
  for (const connection* c : connections_) stats_.stream_bytes_held += c->stream_bytes_held();
  std::string json = iterjson::to_string(stats_);
  stats_.max_loop_stall_us = 0;
  return json;
}

void server::on_connection(uv_stream_t* listener, int status) {
  auto& self = *static_cast<server*>(listener->data);
  if (status < 0) return;
  connection* c = nullptr;
  try {
    c = new connection(self);
    self.connections_.insert(c);
  } catch (const std::exception& e) {  // no exception may leave a libuv callback
    delete c;
    std::fprintf(stderr, "http_server: cannot take a connection: %s\n", e.what());
    return;
  }
  c->accept(listener);
}

// A 1 ms timer: how late it fires is how long the loop was busy elsewhere.
void server::on_stall_tick(uv_timer_t* timer) {
  auto& self = *static_cast<server*>(timer->data);
  const std::uint64_t now = uv_hrtime();
  const std::uint64_t gap_us = (now - self.last_tick_) / 1000;
  if (gap_us > 1000) self.stats_.max_loop_stall_us = std::max(self.stats_.max_loop_stall_us, gap_us - 1000);
  self.last_tick_ = now;
}

void server::on_idle_sweep(uv_timer_t* timer) {
  auto& self = *static_cast<server*>(timer->data);
  const std::uint64_t now = uv_now(self.loop_);
  for (auto next = self.connections_.begin(); next != self.connections_.end();) {
    connection* c = *next++;  // one that is cut forgets itself, before the next is reached
    c->sweep_idle(now, self.idle_timeout_ms_);
  }
}

void server::on_signal(uv_signal_t* signal, int) {
  auto& self = *static_cast<server*>(signal->data);
  while (!self.connections_.empty()) (*self.connections_.begin())->close();  // each forgets itself
  for (uv_handle_t* handle : {reinterpret_cast<uv_handle_t*>(&self.listener_),
                              reinterpret_cast<uv_handle_t*>(&self.stall_timer_),
                              reinterpret_cast<uv_handle_t*>(&self.idle_timer_),
                              reinterpret_cast<uv_handle_t*>(&self.sigint_),
                              reinterpret_cast<uv_handle_t*>(&self.sigterm_)}) {
    uv_close(handle, nullptr);
  }
  self.sessions_.close();
}

}  // namespace http_demo
