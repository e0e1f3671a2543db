#pragma once

// Sources whose elements are pulled one at a time and may not be ready yet: the
// contract (`poll_result`, `waker`) and a ready-made one (`channel`).

#include <concepts>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace iterjson {

namespace detail {

// Shared by an encoder and the wakers it hands out, so that a waker may outlive it.
struct wake_state {
  std::function<void()> on_wake;
  bool waiting = false;  // the encoder stopped at a pending source
  bool woken = false;    // wake() came since the last poll began
};

}  // namespace detail

/// Handed to a source that has nothing yet: calling `wake()` once data is there tells
/// the encoder's owner to ask for more. Cheap to copy; may outlive the encoder, after
/// which `wake()` does nothing.
class waker {
 public:
  waker() = default;
  explicit waker(std::shared_ptr<detail::wake_state> state) : state_(std::move(state)) {}

  /// Calls the owner's callback (`encoder::on_wake`) if the encoder still exists and
  /// waits. Call it from the thread that drives the encoder.
  void wake() const {
    if (!state_) return;
    state_->woken = true;  // even during the poll that is about to answer pending
    if (!state_->waiting) return;
    state_->waiting = false;
    if (state_->on_wake) state_->on_wake();
  }

  /// True if this waker came from an encoder (a default-constructed one wakes nobody).
  explicit operator bool() const noexcept { return state_ != nullptr; }

 private:
  std::shared_ptr<detail::wake_state> state_;
};

/// `return iterjson::pending;` from `poll`: nothing yet; the source keeps the waker it
/// was given and calls it when there is.
struct pending_t {
  explicit constexpr pending_t(int) noexcept {}
};
inline constexpr pending_t pending{0};

/// `return iterjson::exhausted;` from `poll`: there are no more elements.
struct exhausted_t {
  explicit constexpr exhausted_t(int) noexcept {}
};
inline constexpr exhausted_t exhausted{0};

/// What `poll` answers: the next element, `pending`, or `exhausted`.
template <class T>
class poll_result {
 public:
  using value_type = T;

  template <class U = T>
    requires std::constructible_from<T, U&&>
  poll_result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT: implicit
  poll_result(pending_t) noexcept : state_(std::in_place_index<1>) {}                // NOLINT: implicit
  poll_result(exhausted_t) noexcept : state_(std::in_place_index<2>) {}              // NOLINT: implicit

  [[nodiscard]] bool ready() const noexcept { return state_.index() == 0; }
  [[nodiscard]] bool is_pending() const noexcept { return state_.index() == 1; }
  [[nodiscard]] bool is_exhausted() const noexcept { return state_.index() == 2; }
  /// The element; only when `ready()`.
  [[nodiscard]] T& value() noexcept { return *std::get_if<0>(&state_); }

 private:
  std::variant<T, std::monostate, std::monostate> state_;
};

/// A source of elements that may not be ready yet, encoded as an array (or as the
/// records of a stream, `framing.hpp`): `poll(waker)` returns the next element,
/// `pending` (keeping the waker, and calling it once there is more), or `exhausted`.
/// An encoder that meets `pending` stops, with `waiting()` true, until it is called
/// again; no thread and no busy polling.
template <class Source>
concept pollable_source = requires(Source& source, const waker& w) {
  typename std::remove_cvref_t<decltype(source.poll(w))>::value_type;
  requires std::same_as<std::remove_cvref_t<decltype(source.poll(w))>,
                        poll_result<typename std::remove_cvref_t<decltype(source.poll(w))>::value_type>>;
};

/// A queue of elements produced over time, by a timer, a database cursor or another
/// connection, and encoded as they arrive: `push` adds one, `close` ends the array.
/// Copies share the queue: keep one to push into and move one into the encoder.
/// Single-threaded, like the loop that drives both ends.
///
/// ```cpp
/// iterjson::channel<row> rows;
/// driver.start(iterjson::encoder(iterjson::ndjson(rows)), on_end);  // waits for rows
/// rows.push(next_row());  // from a timer: wakes the stream
/// rows.close();           // the stream ends once the queue is written
/// ```
template <class T>
class channel {
 public:
  channel() : state_(std::make_shared<state>()) {}

  /// Adds an element and wakes the encoder waiting for it. Ignored after `close()`.
  void push(T value) {
    if (state_->closed) return;
    state_->queue.push_back(std::move(value));
    wake();
  }

  /// No more elements: the encoder ends the array once the queue is written.
  void close() {
    state_->closed = true;
    wake();
  }

  [[nodiscard]] bool closed() const noexcept { return state_->closed; }
  /// Elements pushed and not yet taken by the encoder.
  [[nodiscard]] std::size_t size() const noexcept { return state_->queue.size(); }

  /// The source side, called by the encoder.
  poll_result<T> poll(const waker& w) {
    if (!state_->queue.empty()) {
      T value = std::move(state_->queue.front());
      state_->queue.pop_front();
      return value;
    }
    if (state_->closed) return exhausted;
    state_->waiting = w;
    return pending;
  }

 private:
  struct state {
    std::deque<T> queue;
    waker waiting;
    bool closed = false;
  };

  void wake() {
    const waker w = std::exchange(state_->waiting, waker());
    w.wake();
  }

  std::shared_ptr<state> state_;
};

}  // namespace iterjson
