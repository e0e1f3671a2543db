#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "iterjson/detail/config.hpp"

namespace iterjson::detail {

class engine;
struct frame;

// What a kind of frame can do; one static table per frame type.
struct frame_ops {
  // Writes as much as the output takes; pops the frame when its value is complete.
  void (*step)(frame&, engine&);
  void (*destroy)(frame&) noexcept;  // null when there is nothing to destroy
  // Appends the JSON Pointer segment of the item being written ("/3", "/name"), if any.
  void (*append_path)(const frame&, std::string&);
};

// The header every frame starts with. Frames are pushed and popped like a call stack,
// but live on the heap and never move, so they may point into each other and into
// values they own.
struct frame {
  const frame_ops* ops;
  frame* below;
};

template <class F>
void destroy_frame(frame& f) noexcept {
  static_cast<F&>(f).~F();
}

template <class F>
inline constexpr void (*destroy_of)(frame&) noexcept =
    std::is_trivially_destructible_v<F> ? nullptr : &destroy_frame<F>;

// The table of a frame of type F.
template <class F>
inline constexpr frame_ops ops_of{
    [](frame& f, engine& e) { static_cast<F&>(f).step(e); },
    destroy_of<F>,
    [](const frame& f, std::string& path) { static_cast<const F&>(f).append_path(path); },
};

// The step of a retired frame: it has written everything and stays only to keep its
// value alive until the output that refers to the value is written; then it pops.
inline void pop_retired(frame& f, engine& e);  // defined in engine.hpp

template <class F>
inline constexpr frame_ops retired_ops_of{
    &pop_retired,
    destroy_of<F>,
    [](const frame&, std::string&) {},
};

// A stack of frames of different sizes in a chain of blocks. A push bumps a pointer;
// a block, once allocated, is kept until the stack is destroyed, so pushing and popping
// around a block boundary costs nothing after the first time.
class frame_stack {
 public:
  frame_stack() = default;
  frame_stack(const frame_stack&) = delete;
  frame_stack& operator=(const frame_stack&) = delete;
  ~frame_stack() {
    clear();
    free_from(first_block_);
  }

  [[nodiscard]] frame* top() const noexcept { return top_; }
  [[nodiscard]] bool empty() const noexcept { return top_ == nullptr; }

  template <class F, class... Args>
  ITERJSON_DETAIL_INLINE F& push(Args&&... args) {
    static_assert(alignof(F) <= alignof(std::max_align_t));
    constexpr std::size_t size = (sizeof(F) + alignof(std::max_align_t) - 1) &
                                 ~(alignof(std::max_align_t) - 1);
    if (static_cast<std::size_t>(limit_ - free_) < size) enter_next_block(size);
    F* pushed = construct<F>(std::forward<Args>(args)...);
    pushed->ops = &ops_of<F>;
    pushed->below = top_;
    top_ = pushed;
    free_ += size;
    return *pushed;
  }

  // Pops the frame on top, of any type.
  ITERJSON_DETAIL_INLINE void pop() noexcept {
    frame* popped = top_;
    top_ = popped->below;
    if (popped->ops->destroy != nullptr) popped->ops->destroy(*popped);
    release(popped);
  }

  // Pops the frame on top, known to be an F: no look at its table.
  template <class F>
  ITERJSON_DETAIL_INLINE void pop(F& popped) noexcept {
    top_ = popped.below;
    popped.~F();
    release(&popped);
  }

  void clear() noexcept {
    while (top_ != nullptr) pop();
  }

 private:
  struct alignas(std::max_align_t) block {
    block* below;
    block* above;            // kept for reuse after its frames are popped
    std::size_t capacity;    // bytes after the header
    std::byte* free_below;   // where `below` was free when this block was entered
    std::byte* data() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
  };

  // The room of a popped frame, destroyed, is free again; the block it was first in is left.
  ITERJSON_DETAIL_INLINE void release(frame* popped) noexcept {
    free_ = reinterpret_cast<std::byte*>(popped);
    if (free_ == base_ && block_->below != nullptr) leave_block();
  }

  [[gnu::noinline]] void leave_block() noexcept {
    free_ = block_->free_below;
    block_ = block_->below;
    base_ = block_->data();
    limit_ = base_ + block_->capacity;
  }

  static constexpr std::size_t first_capacity = 2048;
  static constexpr std::size_t largest_capacity = std::size_t{1} << 22;

  [[gnu::noinline]] void enter_next_block(std::size_t size) {
    block*& next = block_ != nullptr ? block_->above : first_block_;
    if (next != nullptr && next->capacity < size) {
      free_from(next);  // only a frame larger than a whole block gets here
      next = nullptr;
    }
    if (next == nullptr) {
      const std::size_t grown = block_ != nullptr ? block_->capacity * 2 : first_capacity;
      const std::size_t capacity = std::max(std::min(grown, largest_capacity), size);
      void* memory = ::operator new(sizeof(block) + capacity,
                                    std::align_val_t{alignof(std::max_align_t)});
      next = ::new (memory) block{block_, nullptr, capacity, nullptr};
    }
    next->free_below = free_;
    block_ = next;
    base_ = free_ = next->data();
    limit_ = base_ + next->capacity;
  }

  // Builds a frame at the top; if its constructor throws, the stack is as it was.
  template <class F, class... Args>
  F* construct(Args&&... args) {
    if constexpr (std::is_nothrow_constructible_v<F, Args&&...> || !ITERJSON_DETAIL_EXCEPTIONS) {
      return ::new (free_) F(std::forward<Args>(args)...);
    } else {
#if ITERJSON_DETAIL_EXCEPTIONS
      try {
        return ::new (free_) F(std::forward<Args>(args)...);
      } catch (...) {
        if (free_ == base_ && block_->below != nullptr) leave_block();  // a block was entered for it
        throw;
      }
#endif
    }
  }

  static void free_from(block* b) noexcept {
    while (b != nullptr) {
      block* above = b->above;
      ::operator delete(b, std::align_val_t{alignof(std::max_align_t)});
      b = above;
    }
  }

  frame* top_ = nullptr;
  std::byte* free_ = nullptr;   // where the next frame goes, in block_
  std::byte* limit_ = nullptr;  // the end of block_
  std::byte* base_ = nullptr;   // the start of block_'s frames
  block* block_ = nullptr;      // the block `top_` lives in
  block* first_block_ = nullptr;
};

}  // namespace iterjson::detail
