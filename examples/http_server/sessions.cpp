#include "sessions.hpp"

#include <algorithm>
#include <utility>

namespace http_demo {

session_store::session_store(uv_loop_t* loop, std::uint64_t timeout_ms, std::size_t max_sessions)
    : loop_(loop), timeout_ms_(timeout_ms), max_sessions_(max_sessions) {
  uv_timer_init(loop, &sweep_timer_);
  sweep_timer_.data = this;
}

std::string session_store::open(iterjson::encoder text) {
  std::string key = new_key();
  sessions_.emplace(key, session{std::move(text), uv_now(loop_)});
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&sweep_timer_))) {
    // An idle session goes between one and one and a half timeouts after its last poll.
    const std::uint64_t period = std::max<std::uint64_t>(timeout_ms_ / 2, 1);
    uv_timer_start(&sweep_timer_, &on_sweep, period, period);
  }
  return key;
}

iterjson::encoder* session_store::find(std::string_view key) {
  const auto found = sessions_.find(key);
  if (found == sessions_.end()) return nullptr;
  const std::uint64_t now = uv_now(loop_);
  if (expired(found->second, now)) {  // the sweep has not come yet
    sessions_.erase(found);
    return nullptr;
  }
  found->second.last_poll_ms = now;
  return &found->second.text;
}

void session_store::erase(std::string_view key) {
  if (const auto found = sessions_.find(key); found != sessions_.end()) sessions_.erase(found);
}

void session_store::on_sweep(uv_timer_t* timer) {
  auto& self = *static_cast<session_store*>(timer->data);
  const std::uint64_t now = uv_now(self.loop_);
  std::erase_if(self.sessions_, [&](const auto& entry) { return self.expired(entry.second, now); });
  if (self.sessions_.empty()) uv_timer_stop(timer);
}

// 32 hex digits of std::random_device (the kernel's generator on Linux), which a client
// cannot predict from the keys it was given, as it could a seeded std::mt19937's.
std::string session_store::new_key() {
  std::string key(32, '0');
  do {
    for (std::size_t word = 0; word != 4; ++word) {
      std::uint32_t bits = static_cast<std::uint32_t>(entropy_());
      for (std::size_t digit = 8; digit-- != 0; bits >>= 4) key[word * 8 + digit] = "0123456789abcdef"[bits & 0xf];
    }
  } while (sessions_.contains(key));
  return key;
}

}  // namespace http_demo
