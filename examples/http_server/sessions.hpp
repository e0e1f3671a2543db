#pragma once

// Long-poll sessions: the documents of clients that fetch one a piece per request.

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include <iterjson/encoder.hpp>

namespace http_demo {

// The documents of long-poll clients, each a paused encoder that every poll resumes for
// one more piece: CherryPy's json_yield, with the generator kept on the server. Sessions
// are keyed by 128 bits from std::random_device, evicted by a timer once not polled for
// `timeout_ms`, and at most `max_sessions` at once.
class session_store {
 public:
  session_store(uv_loop_t* loop, std::uint64_t timeout_ms, std::size_t max_sessions);

  session_store(const session_store&) = delete;
  session_store& operator=(const session_store&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return sessions_.size(); }
  [[nodiscard]] std::size_t max_sessions() const noexcept { return max_sessions_; }
  [[nodiscard]] bool full() const noexcept { return sessions_.size() >= max_sessions_; }

  // A new session whose document is `text`; its key. Only when not full().
  std::string open(iterjson::encoder text);

  // The document of session `key`, polled now; null if the key is unknown or expired.
  iterjson::encoder* find(std::string_view key);

  void erase(std::string_view key);

  // At shutdown: the timer's handle.
  void close() noexcept { uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr); }

 private:
  struct session {
    iterjson::encoder text;
    std::uint64_t last_poll_ms;  // loop time
  };

  [[nodiscard]] bool expired(const session& s, std::uint64_t now) const noexcept {
    return now - s.last_poll_ms >= timeout_ms_;
  }

  static void on_sweep(uv_timer_t* timer);
  std::string new_key();

  uv_loop_t* loop_;
  std::uint64_t timeout_ms_;
  std::size_t max_sessions_;
  uv_timer_t sweep_timer_{};
  std::map<std::string, session, std::less<>> sessions_;
  std::random_device entropy_;
};

}  // namespace http_demo
