#pragma once

// The row a database adapter hands the encoder (adapters/sqlite.hpp, adapters/postgres.hpp):
// its columns by index, read in place from the database's own buffers, as an object keyed
// by column name or as an array.

#include <cstddef>
#include <string_view>
#include <type_traits>

namespace iterjson::detail {

// `Field` is one field of a row, `{handle, column}` (an aggregate the adapter makes
// encodable with variant_traits), and `name()` gives its column's name.
template <class Field>
struct column_member {
  Field field;
  [[nodiscard]] std::string_view key() const { return field.name(); }
  [[nodiscard]] Field value() const { return field; }
};

// What makes a row map-like, for the encoder: an object.
template <class Field, bool Keyed>
struct column_row_keys {};
template <class Field>
struct column_row_keys<Field, true> {
  using key_type = std::string_view;
  using mapped_type = Field;
};

// The `count` columns of the row at `Handle`: members (`Keyed`) or fields, in order.
template <class Field, class Handle, bool Keyed>
class column_row : public column_row_keys<Field, Keyed> {
 public:
  using element = std::conditional_t<Keyed, column_member<Field>, Field>;

  class iterator {
   public:
    using value_type = element;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(Handle handle, int column) : handle_(handle), column_(column) {}
    element operator*() const { return element{Field{handle_, column_}}; }
    iterator& operator++() {
      ++column_;
      return *this;
    }
    iterator operator++(int) { return {handle_, column_++}; }
    bool operator==(const iterator& other) const { return column_ == other.column_; }

   private:
    Handle handle_{};
    int column_ = 0;
  };

  column_row(Handle handle, int count) noexcept : handle_(handle), count_(count) {}
  [[nodiscard]] iterator begin() const { return {handle_, 0}; }
  [[nodiscard]] iterator end() const { return {handle_, count_}; }

 private:
  Handle handle_;
  int count_;
};

}  // namespace iterjson::detail
