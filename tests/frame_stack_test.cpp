#include "iterjson/detail/frame_stack.hpp"

#include <array>
#include <stdexcept>
#include <cstdint>
#include <vector>

#include "test_support.hpp"

using iterjson::detail::frame;
using iterjson::detail::frame_stack;

namespace {

int live_frames = 0;

template <std::size_t Payload>
struct counted_frame : frame {
  explicit counted_frame(std::uint64_t id) : id(id) { ++live_frames; }
  counted_frame(const counted_frame&) = delete;
  ~counted_frame() { --live_frames; }
  void step(iterjson::detail::engine&) {}
  void append_path(std::string&) const {}
  std::uint64_t id;
  std::array<char, Payload> payload{};
};

}  // namespace

TEST_CASE("frames keep their address and order across many blocks") {
  {
    frame_stack stack;
    std::vector<const frame*> addresses;
    for (std::uint64_t i = 0; i < 100000; ++i) {
      const frame* pushed = i % 3 == 0 ? static_cast<frame*>(&stack.push<counted_frame<8>>(i))
                                       : static_cast<frame*>(&stack.push<counted_frame<200>>(i));
      addresses.push_back(pushed);
    }
    CHECK(live_frames == 100000);
    for (std::uint64_t i = 100000; i-- > 0;) {
      REQUIRE(stack.top() == addresses[i]);
      REQUIRE(stack.top()->below == (i == 0 ? nullptr : addresses[i - 1]));
      stack.pop();
    }
    CHECK(stack.empty());
    CHECK(live_frames == 0);

    // Blocks are kept: pushing again reuses the same memory.
    for (std::uint64_t i = 0; i < 1000; ++i) stack.push<counted_frame<8>>(i);
  }
  CHECK(live_frames == 0);  // the destructor pops what is left
}

TEST_CASE("pushing and popping around a block boundary") {
  frame_stack stack;
  constexpr std::ptrdiff_t stride = (sizeof(counted_frame<64>) + alignof(std::max_align_t) - 1) /
                                    alignof(std::max_align_t) * alignof(std::max_align_t);
  bool entered_second_block = false;
  for (int i = 0; i < 10000 && !entered_second_block; ++i) {
    const auto* pushed = &stack.push<counted_frame<64>>(0);
    entered_second_block = pushed->below != nullptr &&
                           reinterpret_cast<const char*>(pushed) - reinterpret_cast<const char*>(pushed->below) != stride;
  }
  REQUIRE(entered_second_block);
  for (int i = 0; i < 1000; ++i) {
    const frame* below = stack.top();
    stack.push<counted_frame<4000>>(1);
    CHECK(stack.top()->below == below);
    stack.pop();
    CHECK(stack.top() == below);
  }
  stack.clear();
  CHECK(live_frames == 0);
}

namespace {

struct throwing_frame : frame {
  [[noreturn]] explicit throwing_frame(int) { throw std::runtime_error("no frame"); }
  void step(iterjson::detail::engine&) {}
  void append_path(std::string&) const {}
  std::array<char, 3000> payload{};
};

}  // namespace

TEST_CASE("a frame whose constructor throws leaves the stack as it was, at a block boundary too") {
  frame_stack stack;
  for (int i = 0; i < 200; ++i) {  // throw at every offset, across several blocks
    const frame* below = stack.top();
    CHECK_THROWS_AS(stack.push<throwing_frame>(i), std::runtime_error);
    CHECK(stack.top() == below);
    auto& pushed = stack.push<counted_frame<64>>(static_cast<std::uint64_t>(i));
    CHECK(pushed.below == below);
  }
  while (!stack.empty()) stack.pop();
  CHECK(live_frames == 0);
}

TEST_CASE("a frame larger than a block gets a block of its own") {
  frame_stack stack;
  stack.push<counted_frame<8>>(0);
  auto& big = stack.push<counted_frame<100000>>(1);
  CHECK(big.id == 1);
  stack.pop();
  stack.push<counted_frame<300000>>(2);
  CHECK(live_frames == 2);
  stack.clear();
  CHECK(live_frames == 0);
}
