#pragma once

#include <concepts>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "iterjson/detail/engine.hpp"
#include "iterjson/detail/failure.hpp"
#include "iterjson/detail/write_value.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/error.hpp"
#include "iterjson/options.hpp"
#include "iterjson/traits.hpp"

namespace iterjson {

namespace detail {

// to_string and iterencode cannot wait for a source: an error, with its path.
[[gnu::cold]] inline void on_waiting_in_one_go(engine& e, const char* what) {
  e.fail(encode_errc::cannot_wait, std::string("a source has nothing yet, and ") + what +
                                       " cannot wait: drive an encoder instead");
}

// The whole text, or after a failure, what came before it. It is written into blocks of
// 64 KiB, never zeroed, and copied once into a string of its exact size: a string grown
// as it fills would zero each new part and copy the text written so far at each growth.
inline std::string encode_whole(engine& e) {
  constexpr std::size_t block_size = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks;
  std::size_t last_size = 0;  // the last block's; every other is full
  do {
    blocks.push_back(std::make_unique_for_overwrite<char[]>(block_size));
    last_size = e.fill(blocks.back().get(), block_size);
  } while (last_size == block_size && !e.done());
  if (e.waiting()) on_waiting_in_one_go(e, "to_string");
  std::string text;
  text.reserve((blocks.size() - 1) * block_size + last_size);
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) text.append(blocks[i].get(), block_size);
  text.append(blocks.back().get(), last_size);
  return text;
}

// Appends the whole text to `text`, in steps of 64 KiB made in the string itself: within
// its capacity nothing is allocated or copied, and each step's room is zeroed once, as
// resize does (C++20 has no resize_and_overwrite). A failure, or an exception from the
// user's code, cuts `text` back to what it held.
inline void append_whole(engine& e, std::string& text) {
  constexpr std::size_t step = 64 * 1024;
  struct cut_back_unless_kept {
    std::string& text;
    std::size_t size;
    bool kept = false;
    ~cut_back_unless_kept() {
      if (!kept) text.resize(size);
    }
  } original{text, text.size()};
  std::size_t size = text.size();
  std::size_t written = 0;
  do {
    text.resize(size + step);
    written = e.fill(text.data() + size, step);
    size += written;
  } while (written == step && !e.done());
  text.resize(size);
  if (e.waiting()) on_waiting_in_one_go(e, "append_to");
  original.kept = !e.failed();
}

}  // namespace detail

/// True for every type an encoder can write: one of the kinds `traits.hpp` lists, or one
/// made encodable there. Elements of containers are checked when they are written.
template <class T>
concept encodable = detail::kind_of<T>() != detail::value_kind::unsupported;

/// Writes one value as JSON text, a slice at a time, on demand: Python's
/// `json.JSONEncoder.iterencode` for C++.
///
/// ```cpp
/// iterjson::encoder enc(value, {.indent = 2});
/// while (!enc.done()) write(enc.next());
/// ```
///
/// The value is walked with the encoder's own stack of frames, never the call stack, so
/// any nesting up to `options::max_depth` works and the encoder can stop after any slice
/// and resume later. Memory: one frame per open container, plus one chunk for `next()`.
/// Work per call is proportional to the output of that call (plus containers opened or
/// closed); the one exception is `sort_keys`, which gathers and sorts the members of an
/// object when the object is opened.
///
/// An encoder is one concrete type whatever the value's: it can be moved, stored in a
/// connection object and parked between events. It cannot be copied.
///
/// Errors: `encode_error` for a value the options forbid; an exception from a user's
/// range, view or conversion propagates unchanged. Either way the encoder is then
/// `failed()`, `done()`, and writes nothing more.
class encoder {
 public:
  /// Starts encoding `value`. An lvalue is referenced and must outlive the encoder; an
  /// rvalue is moved in and owned. Throws `std::invalid_argument` for a zero chunk_size.
  template <class T>
    requires(!std::same_as<std::remove_cvref_t<T>, encoder>)
  explicit encoder(T&& value, const options& opts = {})
      : engine_(std::make_unique<detail::engine>(opts)) {
    detail::push_root(*engine_, std::forward<T>(value));
  }

  /// An encoder of nothing, as a moved-from one is: `done()` at once, no text. For
  /// places that need a default value first, such as the body of a Beast message
  /// (`adapters/beast.hpp`); assign a real encoder before use.
  encoder() noexcept = default;
  encoder(encoder&&) noexcept = default;
  encoder& operator=(encoder&&) noexcept = default;

  /// The next slice of text: at most `chunk_size` bytes, valid until the next call on
  /// this encoder. A long string that needs no escaping is handed out in place, without
  /// a copy. Empty only when the text has ended (`done()`), or when a source has nothing
  /// yet (`waiting()`). (Every JSON value has text; only an empty stream of values,
  /// `framing.hpp`, has none at all.)
  std::string_view next() {
    if (!engine_ || engine_->done()) return {};
    const std::string_view slice = engine_->next_slice();
    if (engine_->failed()) raise_failure();
    return slice;
  }

  /// Writes the next bytes into `buffer`: exactly `size` of them, or fewer at the end
  /// or when a source has nothing yet (`waiting()`).
  /// Any size works, down to 1; text is resumed at any byte boundary. Bytes of `buffer`
  /// past the count returned may be overwritten too (numbers and strings are written
  /// with fixed-size stores); none past `size`.
  std::size_t read(char* buffer, std::size_t size) {
    if (!engine_ || engine_->done()) return 0;
    const std::size_t written = engine_->fill(buffer, size);
    if (engine_->failed()) raise_failure();
    return written;
  }

  /// True once all text has been produced, or after an error; true for a moved-from
  /// encoder, which produces nothing.
  [[nodiscard]] bool done() const noexcept { return !engine_ || engine_->done(); }

  /// True after an error was thrown from `next()` or `read()`.
  [[nodiscard]] bool failed() const noexcept { return engine_ && engine_->failed(); }

  /// True when the last `next()` or `read()` stopped at a source that has nothing yet
  /// (`source.hpp`): call again once it wakes the encoder, see `on_wake`.
  [[nodiscard]] bool waiting() const noexcept { return engine_ && engine_->waiting(); }

  /// For a stream of values (`framing.hpp`): how many values are written whole, their
  /// suffix included. A driver flushes on a change, so each record reaches the reader.
  [[nodiscard]] std::uint64_t records() const noexcept { return engine_ ? engine_->records() : 0; }

  /// What to call when a waiting source has more: typically, schedule the next `next()`
  /// on the loop. It runs from whatever the source wakes from (a timer, another
  /// connection), at most once per wait, and should only schedule work.
  void on_wake(std::function<void()> callback) {
    if (engine_) engine_->on_wake(std::move(callback));
  }

  /// After a failure: the JSON Pointer of the value being written when it happened, for
  /// an `encode_error` and a user's exception alike; empty otherwise.
  [[nodiscard]] std::string_view error_path() const noexcept {
    return engine_ ? std::string_view(engine_->failure_record().path) : std::string_view();
  }

  /// After a failure: which error it was, an `encode_errc` (`exception_thrown` for a
  /// user's exception); empty otherwise. Built with -fno-exceptions, errors are reported
  /// only here: `next()` and `read()` then return nothing and `failed()` turns true.
  [[nodiscard]] std::error_code error() const noexcept {
    return engine_ ? engine_->failure_record().code : std::error_code();
  }

  /// After an `encode_errc` failure: the message an `encode_error` would carry, path
  /// included.
  [[nodiscard]] std::string_view error_message() const noexcept {
    return engine_ ? std::string_view(engine_->failure_record().message) : std::string_view();
  }

 private:
  friend class slice_range;

  // The engine failed in this call: with exceptions, encode_error (or the user's own
  // exception, which went through already); without, the failure stays in error() and
  // the call returns nothing.
  void raise_failure() {
    if (ITERJSON_DETAIL_EXCEPTIONS) detail::raise(engine_->failure_record());
  }

  std::unique_ptr<detail::engine> engine_;
};

/// Encodes `value` in one go, with the same engine as `encoder`. Throws `encode_error`,
/// also if a source has nothing yet (`source.hpp`): only a loop can wait for it. Built
/// with -fno-exceptions, it aborts on an error: use the overload with an error_code.
template <class T>
std::string to_string(T&& value, const options& opts = {}) {
  detail::engine engine(opts);
  detail::push_root(engine, value);  // by reference: the value lives through this call
  std::string text = detail::encode_whole(engine);
  if (engine.failed()) detail::raise(engine.failure_record());
  return text;
}

/// As `to_string`, but an `encode_errc` error is reported in `error`, with an empty
/// text, instead of thrown; the way for code built with -fno-exceptions. An exception
/// from a user's range or conversion still propagates.
template <class T>
std::string to_string(T&& value, const options& opts, std::error_code& error) {
  detail::engine engine(opts);
  detail::push_root(engine, value);
  std::string text = detail::encode_whole(engine);
  error = engine.failure_record().code;
  if (error) text.clear();
  return text;
}

/// Appends the text of `value` to `text`, as `to_string` would write it, in the string's
/// own storage: a server that keeps one string per connection and clears it between
/// answers allocates and copies nothing once the string has grown to its answers' size.
/// On an error `text` is left as it was, and `encode_error` is thrown.
///
/// ```cpp
/// std::string answer;
/// iterjson::append_to(answer, value);  // answer.clear() before the next one
/// ```
template <class T>
void append_to(std::string& text, T&& value, const options& opts = {}) {
  detail::engine engine(opts);
  detail::push_root(engine, value);  // by reference: the value lives through this call
  detail::append_whole(engine, text);
  if (engine.failed()) detail::raise(engine.failure_record());
}

/// As `append_to`, but an `encode_errc` error is reported in `error`, `text` left as it
/// was, instead of thrown.
template <class T>
void append_to(std::string& text, T&& value, const options& opts, std::error_code& error) {
  detail::engine engine(opts);
  detail::push_root(engine, value);
  detail::append_whole(engine, text);
  error = engine.failure_record().code;
}

/// The slices of one value's text as an input range, like Python's `iterencode`:
/// `for (std::string_view slice : iterjson::iterencode(value)) ...`.
class slice_range {
 public:
  explicit slice_range(encoder enc) : encoder_(std::move(enc)) {}

  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(slice_range& range) : range_(&range) {}
    const std::string_view& operator*() const { return range_->slice_; }
    iterator& operator++() {
      range_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return range_->slice_.empty(); }

   private:
    slice_range* range_ = nullptr;
  };

  /// Produces the first slice. Call once.
  iterator begin() {
    advance();
    return iterator(*this);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  void advance() {
    slice_ = encoder_.next();
    if (slice_.empty() && encoder_.waiting()) {
      detail::on_waiting_in_one_go(*encoder_.engine_, "iterencode");
      encoder_.raise_failure();
    }
  }

 public:
  /// Built with -fno-exceptions: after the loop, the error that ended it early, if any.
  [[nodiscard]] std::error_code error() const noexcept { return encoder_.error(); }

 private:

  encoder encoder_;
  std::string_view slice_;
};

/// The slices of `value`'s text as an input range (see `slice_range`). Ownership of the
/// value is as for `encoder`.
template <class T>
slice_range iterencode(T&& value, const options& opts = {}) {
  return slice_range(encoder(std::forward<T>(value), opts));
}

}  // namespace iterjson
