#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/failure.hpp"
#include "iterjson/detail/frame_stack.hpp"
#include "iterjson/detail/output_queue.hpp"
#include "iterjson/detail/text_format.hpp"
#include "iterjson/error.hpp"
#include "iterjson/options.hpp"
#include "iterjson/source.hpp"

namespace iterjson::detail {

// The type-erased heart of an encoder: the stack of frames, the window of output they
// write into, and the queue of what did not fit. Frames write through a `writer`
// (writer.hpp), which holds the window's position in registers while a frame steps.
//
// Errors: a frame that meets one records it with fail() and returns; nothing below the
// API throws but a user's own exception, which fill() records the path of and lets
// through. The API raises what was recorded (failure.hpp).
class engine {
 public:
  explicit engine(const options& opts) : format_(opts), chunk_size_(opts.chunk_size) {
    if (chunk_size_ == 0) reject_chunk_size();
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  ~engine() {
    if (wake_) *wake_ = {};  // wakers that outlive the engine wake nobody
  }

  // --- driving -------------------------------------------------------------------------

  [[nodiscard]] bool done() const noexcept { return failed_ || (stack_.empty() && queue_.empty()); }
  [[nodiscard]] bool failed() const noexcept { return failed_; }
  // A source answered pending during the last call: nothing more until it wakes us.
  [[nodiscard]] bool waiting() const noexcept { return waiting_; }
  // Values of a stream of values (framing.hpp) written whole, suffix included.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }

  // Writes up to `capacity` bytes at `out`; fewer only at the end, when a source waits,
  // or, with nothing, when the engine fails. Resumable anywhere.
  std::size_t fill(char* out, std::size_t capacity) {
    if (done()) return 0;
    window_.pos = out;
    window_.end = out + capacity;
    window_.descent = 0;
    waiting_ = false;
#if ITERJSON_DETAIL_EXCEPTIONS
    try {
      produce();
    } catch (...) {
      on_exception();
      throw;
    }
#else
    produce();
#endif
    if (failed_) return 0;
    return static_cast<std::size_t>(window_.pos - out);
  }

  // The next slice for `encoder::next()`: straight from a source string when a whole
  // chunk of it needs no escaping, else filled into the slice buffer.
  std::string_view next_slice() {
    if (done()) return {};
    if (const std::string_view direct = queue_.take_clean_run(chunk_size_, format_.rules); !direct.empty()) {
      return direct;
    }
    if (!slice_buffer_) slice_buffer_ = std::make_unique<char[]>(chunk_size_);
    return {slice_buffer_.get(), fill(slice_buffer_.get(), chunk_size_)};
  }

  // --- what frames write with (see writer) ---------------------------------------------

  [[nodiscard]] const text_format& format() const noexcept { return format_; }
  [[nodiscard]] window& current_window() noexcept { return window_; }
  [[nodiscard]] output_queue& queue() noexcept { return queue_; }
  void count_record() noexcept { ++records_; }

  // The most frames that step inside their parent's step, one C++ call deeper each.
  static constexpr unsigned max_descent = 16;

  // --- frames --------------------------------------------------------------------------

  template <class F, class... Args>
  F& push(Args&&... args) {
    return stack_.push<F>(std::forward<Args>(args)...);
  }
  void pop() noexcept { stack_.pop(); }
  template <class F>
  void pop(F& top) noexcept {
    stack_.pop(top);
  }
  [[nodiscard]] const frame* top() const noexcept { return stack_.top(); }

  // --- sources that wait ---------------------------------------------------------------

  // The waker handed to every source polled, made once, on first use; a poll begins.
  const waker& source_waker() {
    if (!wake_) {
      wake_ = std::make_shared<wake_state>();
      waker_ = waker(wake_);
    }
    wake_->woken = false;
    return waker_;
  }

  // The source polled last has nothing yet: the engine stops and waits to be woken,
  // unless the source woke it already, while answering; then it is polled again.
  void wait() noexcept {
    if (wake_->woken) return;
    waiting_ = true;
    wake_->waiting = true;
  }

  // What to call when a waiting source wakes (see encoder::on_wake).
  void on_wake(std::function<void()> callback) {
    source_waker();
    wake_->on_wake = std::move(callback);
  }

  // Values of std::shared_ptr open on the stack, to find cycles (see shared_frame).
  // Declared before stack_: frames erase from it as they are destroyed.
  std::unordered_set<const void*> open_shared_values;

  // --- errors (cold) -------------------------------------------------------------------

  // The engine fails for good, at the item being written: nothing is written after it,
  // the window in progress included. The frame that called returns; every frame below
  // stops at its next check (see writer::stopped). The first failure is the one kept.
  [[gnu::cold]] void fail(encode_errc code, const std::string& reason) {
    if (failed_) return;
    if (code != encode_errc::invalid_utf8) {  // a string queued before comes first
      if (const char* invalid = queue_.find_invalid_utf8(format_.rules)) return fail_on_invalid_utf8(invalid);
    }
    std::string path = current_path();
    std::string message = reason + " at \"" + path + "\"";
    failure_ = {code, reason, std::move(path), std::move(message)};
    failed_ = true;
    queue_.clear();
  }

  [[gnu::cold]] void fail_on_invalid_utf8(const char* at) {
    constexpr char hex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(*at);
    fail(encode_errc::invalid_utf8,
         std::string("invalid UTF-8 (byte 0x") + hex[byte >> 4] + hex[byte & 0xF] + ") refused by utf8_policy::error");
  }

  [[gnu::cold]] void fail_too_deep() {
    fail(encode_errc::too_deep, "nesting deeper than options::max_depth (" + std::to_string(format_.max_depth) + ")");
  }

  // What made the engine fail; empty fields otherwise.
  [[nodiscard]] const failure& failure_record() const noexcept { return failure_; }

 private:
  // Steps frames until the window is full, the stack is empty, a source waits, or the
  // engine fails.
  void produce() {
    window_.pos = queue_.drain(window_.pos, window_.end, format_.rules);
    if (const char* invalid = queue_.invalid_utf8()) return fail_on_invalid_utf8(invalid);
    if (!queue_.empty()) return;
    while (window_.pos != window_.end && !stack_.empty() && !waiting_ && !failed_) {
      frame& top = *stack_.top();
      top.ops->step(top, *this);
    }
    // Nothing refers to a retired frame once the queue is empty; popping it now lets
    // done() turn true with the last byte rather than one empty call later.
    while (queue_.empty() && !stack_.empty() && stack_.top()->ops->step == &pop_retired) {
      stack_.pop();
    }
    if (failed_) stack_.clear();
  }

  // The JSON Pointer of the item being written.
  [[nodiscard]] std::string current_path() const {
    std::vector<const frame*> frames;
    for (const frame* f = stack_.top(); f != nullptr; f = f->below) frames.push_back(f);
    std::string path;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) (*it)->ops->append_path(**it, path);
    return path;
  }

  [[gnu::cold]] void reject_chunk_size() {
#if ITERJSON_DETAIL_EXCEPTIONS
    throw std::invalid_argument("iterjson: options::chunk_size must be at least 1");
#else
    fail(encode_errc::invalid_options, "options::chunk_size must be at least 1");
#endif
  }

#if ITERJSON_DETAIL_EXCEPTIONS
  // A user's exception is on its way through fill(): it goes on unchanged, and the
  // engine fails with its path.
  [[gnu::cold]] void on_exception() noexcept {
    if (!failed_) {
      failure_.code = encode_errc::exception_thrown;
      try {
        failure_.path = current_path();
      } catch (...) {  // no memory for the path: the exception itself still propagates
      }
    }
    failed_ = true;
    stack_.clear();
    queue_.clear();
  }
#endif

  const text_format format_;
  const std::size_t chunk_size_;
  window window_;
  frame_stack stack_;
  output_queue queue_;
  std::unique_ptr<char[]> slice_buffer_;
  failure failure_;
  std::shared_ptr<wake_state> wake_;
  waker waker_;
  std::uint64_t records_ = 0;
  bool waiting_ = false;
  bool failed_ = false;
};

inline void pop_retired(frame&, engine& e) { e.pop(); }

}  // namespace iterjson::detail
