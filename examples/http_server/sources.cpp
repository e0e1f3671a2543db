#include "sources.hpp"

#include <chrono>
#include <vector>

namespace http_demo {

namespace {

// Whether one of `divisors`, the primes in order, divides `number`; they must reach its
// square root.
bool has_divisor(const std::vector<std::uint64_t>& divisors, std::uint64_t number) {
  for (const std::uint64_t p : divisors) {
    if (p * p > number) return false;
    if (number % p == 0) return true;
  }
  return false;
}

std::int64_t unix_time_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

iterjson::generator<prime_line> prime_lines() {
  std::vector<std::uint64_t> divisors{2};
  co_yield {1, 2};
  for (std::uint64_t n = 2, candidate = 3;; ++candidate) {
    while (divisors.back() * divisors.back() < candidate) {
      // The prime after the largest divisor is below twice that divisor (Bertrand's
      // postulate), so the divisors it is tried with are all there already.
      std::uint64_t next = divisors.back() + 1;
      while (has_divisor(divisors, next)) ++next;
      divisors.push_back(next);
    }
    if (!has_divisor(divisors, candidate)) co_yield {n++, candidate};
  }
}

feed_rows::feed_rows(uv_loop_t* loop, std::uint64_t interval_ms, std::optional<std::uint64_t> count,
                     std::uint64_t& live_feeds)
    : ticker_(new ticker) {
  uv_timer_init(loop, &ticker_->timer);
  ticker_->timer.data = ticker_.get();
  ticker_->count = count;
  ticker_->live_feeds = &live_feeds;
  ++live_feeds;
  if (count == std::uint64_t{0}) {
    ticker_->rows.close();
  } else {
    uv_timer_start(&ticker_->timer, &on_tick, 0, interval_ms);
  }
}

void feed_rows::close_ticker::operator()(ticker* t) const noexcept {
  uv_close(reinterpret_cast<uv_handle_t*>(&t->timer), [](uv_handle_t* handle) {
    auto* closed = static_cast<ticker*>(handle->data);
    --*closed->live_feeds;
    delete closed;
  });
}

void feed_rows::on_tick(uv_timer_t* timer) {
  ticker& t = *static_cast<ticker*>(timer->data);
  if (t.rows.size() >= max_feed_backlog) return;
  try {
    t.rows.push({t.made, unix_time_ms()});  // wakes the stream if it waits
  } catch (...) {  // no exception may leave a libuv callback: the stream fails with it
    t.failure = std::current_exception();
    uv_timer_stop(timer);
    t.rows.close();
    return;
  }
  if (++t.made == t.count) {
    uv_timer_stop(timer);
    t.rows.close();  // the stream ends once the rows pushed are written
  }
}

}  // namespace http_demo
