#pragma once

#include <cstddef>

namespace examples {

// 0, 1, ..., count - 1, computed on demand. (With GCC, `std::views::iota(0LL, count)`
// does the same; Clang 14 cannot compile libstdc++ 12's views.)
class number_sequence {
 public:
  explicit number_sequence(long long count) : count_(count) {}

  class iterator {
   public:
    using value_type = long long;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(long long at) : at_(at) {}
    long long operator*() const { return at_; }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) { return iterator(at_++); }
    bool operator==(const iterator&) const = default;

   private:
    long long at_ = 0;
  };

  [[nodiscard]] iterator begin() const { return iterator(0); }
  [[nodiscard]] iterator end() const { return iterator(count_); }

 private:
  long long count_;
};

}  // namespace examples
