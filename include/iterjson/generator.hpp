#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace iterjson {

/// A C++20 coroutine whose `co_yield`ed values are the elements of an input range, so
/// an encoder writes them as an array as they are made, without end if the body never
/// returns. Wrap it in `iterjson::as_object` for an object of yielded key and value
/// pairs; as it is, a generator of pairs is an array of arrays, like any range of pairs.
///
/// ```cpp
/// iterjson::generator<int> squares(int n) {
///   for (int i = 0; i < n; ++i) co_yield i * i;
/// }
/// iterjson::to_string(squares(4));  // [0,1,4,9]
/// ```
///
/// The body runs only when the encoder asks for the next element, and a yielded value
/// lives until then, so it may be a container the encoder writes over many slices. An
/// exception thrown by the body comes out of the encoder's `next()` or `read()`.
/// Single-pass and move-only.
template <class T>
class generator {
 public:
  using value_type = std::remove_cvref_t<T>;
  // Mutable, so that a yielded value that is itself iterated only when mutable (another
  // generator, a view) can be written.
  using reference = value_type&;

  struct promise_type {
    value_type* current = nullptr;
    std::optional<value_type> copy;  // of a yielded const object
    std::exception_ptr exception;

    generator get_return_object() noexcept {
      return generator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_always final_suspend() const noexcept { return {}; }
    // The yielded object lives in the coroutine frame, or as a temporary of the co_yield
    // expression, until the coroutine resumes: its address is enough. A const one is
    // copied, to be handed out mutable.
    std::suspend_always yield_value(value_type& value) noexcept {
      current = std::addressof(value);
      return {};
    }
    std::suspend_always yield_value(value_type&& value) noexcept {
      current = std::addressof(value);
      return {};
    }
    std::suspend_always yield_value(const value_type& value) {
      current = std::addressof(copy.emplace(value));
      return {};
    }
    void return_void() const noexcept {}
    void unhandled_exception() noexcept { exception = std::current_exception(); }
    template <class U>
    std::suspend_never await_transform(U&&) = delete;  // a generator does not co_await
  };

  class iterator {
   public:
    using value_type = generator::value_type;
    using difference_type = std::ptrdiff_t;

    iterator() = default;
    explicit iterator(std::coroutine_handle<promise_type> coroutine) : coroutine_(coroutine) {}

    reference operator*() const { return *coroutine_.promise().current; }
    iterator& operator++() {
      resume(coroutine_);
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return !coroutine_ || coroutine_.done(); }

   private:
    std::coroutine_handle<promise_type> coroutine_;
  };

  generator(generator&& other) noexcept : coroutine_(std::exchange(other.coroutine_, nullptr)) {}
  generator& operator=(generator other) noexcept {
    std::swap(coroutine_, other.coroutine_);
    return *this;
  }
  ~generator() {
    if (coroutine_) coroutine_.destroy();
  }

  /// Runs the body to its first `co_yield`. Call once.
  iterator begin() {
    if (coroutine_) resume(coroutine_);
    return iterator(coroutine_);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  explicit generator(std::coroutine_handle<promise_type> coroutine) noexcept : coroutine_(coroutine) {}

  static void resume(std::coroutine_handle<promise_type> coroutine) {
    coroutine.resume();
    if (coroutine.promise().exception) std::rethrow_exception(std::exchange(coroutine.promise().exception, nullptr));
  }

  std::coroutine_handle<promise_type> coroutine_;
};

}  // namespace iterjson
