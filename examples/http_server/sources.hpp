#pragma once

// What the endless streams are made of: the primes of /primes, computed as they are asked
// for, and the rows of /feed, made by a timer.

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>

#include <iterjson/iterjson.hpp>

namespace http_demo {

// A line of /primes: the nth prime.
struct prime_line {
  std::uint64_t n;
  std::uint64_t prime;
};

// A row of /feed.
struct feed_row {
  std::uint64_t seq;     // 0, 1, 2, ...
  std::int64_t time_ms;  // when it was made, in milliseconds since the Unix epoch
};

}  // namespace http_demo

ITERJSON_FIELDS(http_demo::prime_line, n, prime);
ITERJSON_FIELDS(http_demo::feed_row, seq, time_ms);

namespace http_demo {

// The primes, in order, without end: each found by trial division when the encoder asks
// for the next line. Only the divisors that takes are kept, the primes up to the square
// root of the candidate or just past it: memory grows with the root of the last prime
// written, not with the stream.
iterjson::generator<prime_line> prime_lines();

// The most rows a feed holds that its stream has not taken yet. A client too slow for the
// feed holds the timer back too, as it holds back the stream: rows come later, and the
// server's memory does not grow.
inline constexpr std::size_t max_feed_backlog = 1024;

// The rows of one /feed response, as a source its encoder polls: a libuv timer pushes a
// row into a channel every interval, and the stream waits on the channel in between; no
// thread, no polling. The encoder owns this source, so the timer lives as long as the
// stream and no longer: whether the count is reached, the client goes or the server
// stops, the driver drops the encoder, and with it the timer.
class feed_rows {
 public:
  // A row every `interval_ms`, the first at once: `count` of them, or without end.
  // `live_feeds` counts the feeds whose timer is not freed yet.
  feed_rows(uv_loop_t* loop, std::uint64_t interval_ms, std::optional<std::uint64_t> count, std::uint64_t& live_feeds);

  iterjson::poll_result<feed_row> poll(const iterjson::waker& w) {
    if (ticker_->failure) std::rethrow_exception(ticker_->failure);
    return ticker_->rows.poll(w);
  }

 private:
  // The timer, and the channel it pushes into. Freed once libuv has closed the timer.
  struct ticker {
    uv_timer_t timer{};
    iterjson::channel<feed_row> rows;
    std::uint64_t made = 0;
    std::optional<std::uint64_t> count;
    std::uint64_t* live_feeds = nullptr;
    std::exception_ptr failure;  // what stopped the timer, to end the stream with
  };

  struct close_ticker {
    void operator()(ticker* t) const noexcept;
  };

  static void on_tick(uv_timer_t* timer);

  std::unique_ptr<ticker, close_ticker> ticker_;
};

}  // namespace http_demo
