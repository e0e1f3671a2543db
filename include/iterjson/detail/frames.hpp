#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <iterator>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "iterjson/detail/engine.hpp"
#include "iterjson/detail/writer.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/traits.hpp"

// Every value the encoder writes is either written at once (numbers, strings, literals)
// or becomes a frame: an object on the engine's stack that writes its container one
// item at a time and resumes where it stopped. Elements of a container are written in
// a loop inside the container's frame; only a nested container or a temporary that must
// be kept pushes another frame, so the indirect call is per container, not per element.

namespace iterjson::detail {

template <class T>
struct not_encodable {
  static_assert(sizeof(T) == 0,
                "iterjson: this type is not encodable. Specialize iterjson::encode_as<T> "
                "or iterjson::variant_traits<T>, or list its fields with ITERJSON_FIELDS; "
                "the type is the template argument of not_encodable in this message.");
};

template <bool Owned, class T>
ITERJSON_DETAIL_INLINE void write_value(writer& w, T& value);

// --- JSON Pointer segments -----------------------------------------------------------

inline void append_path_segment(std::string& path, std::string_view token) {
  path += '/';
  for (const char c : token) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path += c;
    }
  }
}

template <class Key>
void append_key_segment(std::string& path, const Key& key) {
  if constexpr (string_type<Key>) {
    append_path_segment(path, std::string_view(key));
  } else if constexpr (std::same_as<Key, bool>) {
    append_path_segment(path, key ? "true" : "false");
  } else if constexpr (null_type<Key>) {
    append_path_segment(path, "null");
  } else if constexpr (std::floating_point<Key>) {
    if (!std::isfinite(key)) return append_path_segment(path, std::isnan(key) ? "NaN" : key > 0 ? "Infinity" : "-Infinity");
    char text[max_double_chars];
    append_path_segment(path, std::string_view(text, write_finite_float(text, key)));
  } else {
    char text[max_integer_chars];
    append_path_segment(path, std::string_view(text, write_integer(text, key)));
  }
}

// --- members of maps -----------------------------------------------------------------

// Part 0 (the key) or 1 (the value) of a map's member: a pair, an element with key()
// and value() such as Boost.JSON's, or anything with get<0> and get<1>.
template <std::size_t Part, class Member>
decltype(auto) member_part(Member& member) {
  if constexpr (requires { member.first; }) {
    if constexpr (Part == 0) {
      return (member.first);
    } else {
      return (member.second);
    }
  } else if constexpr (requires { member.key(); }) {
    if constexpr (Part == 0) {
      return member.key();
    } else {
      return member.value();
    }
  } else {
    using std::get;
    return get<Part>(member);
  }
}

template <class Member>
decltype(auto) member_key(Member& member) {
  return member_part<0>(member);
}

template <class Member>
decltype(auto) member_value(Member& member) {
  return member_part<1>(member);
}

template <class Key>
ITERJSON_DETAIL_INLINE void write_key(writer& w, const Key& key) {
  constexpr value_kind kind = kind_of<Key>();
  if constexpr (kind == value_kind::string) {
    w.put_string(std::string_view(key));
  } else if constexpr (kind == value_kind::boolean || kind == value_kind::null || kind == value_kind::integer ||
                       kind == value_kind::floating) {
    w.put_scalar_key(key);
  } else {
    static_assert(sizeof(Key) == 0, "iterjson: object keys must be strings, numbers, bools or null");
  }
}

// Python's sort_keys order: text by code point (the byte order of UTF-8), numbers by value.
template <class Key>
bool key_less(const Key& a, const Key& b) {
  if constexpr (string_type<Key>) {
    return std::string_view(a) < std::string_view(b);
  } else if constexpr (null_type<Key>) {
    return false;
  } else {
    return a < b;
  }
}

// Maps whose iteration order is already Python's sort_keys order.
template <class Map>
concept ordered_like_python = requires {
  typename Map::key_compare;
} && (std::same_as<typename Map::key_compare, std::less<typename Map::key_type>> ||
      std::same_as<typename Map::key_compare, std::less<>>) &&
      ((string_type<typename Map::key_type> && !std::is_pointer_v<typename Map::key_type>) ||
       std::is_arithmetic_v<typename Map::key_type>);  // std::less on const char* compares addresses

// A map's members gathered and sorted for sort_keys; itself map-like, so it is written by
// the same object_frame. Members are held by address, or by value when the map hands
// out temporaries.
template <class Map>
class sorted_members {
  using reference = std::ranges::range_reference_t<Map&>;
  static constexpr bool by_address = std::is_lvalue_reference_v<reference>;
  using member = std::remove_cvref_t<reference>;
  using stored = std::conditional_t<by_address, std::remove_reference_t<reference>*, member>;

 public:
  using key_type = typename std::remove_cv_t<Map>::key_type;
  using mapped_type = typename std::remove_cv_t<Map>::mapped_type;

  class iterator {
   public:
    using value_type = member;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const stored* at) : at_(at) {}
    decltype(auto) operator*() const {
      if constexpr (by_address) {
        return **at_;
      } else {
        return *at_;
      }
    }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) { return iterator(at_++); }
    bool operator==(const iterator&) const = default;

   private:
    const stored* at_ = nullptr;
  };

  explicit sorted_members(Map& map) {
    for (auto&& m : map) {
      if constexpr (by_address) {
        members_.push_back(&m);
      } else {
        members_.push_back(std::forward<decltype(m)>(m));
      }
    }
    std::ranges::sort(members_, [](const stored& a, const stored& b) {
      if constexpr (by_address) {
        return key_less(member_key(*a), member_key(*b));
      } else {
        return key_less(member_key(a), member_key(b));
      }
    });
  }

  [[nodiscard]] iterator begin() const { return iterator(members_.data()); }
  [[nodiscard]] iterator end() const { return iterator(members_.data() + members_.size()); }

 private:
  std::vector<stored> members_;
};

// --- frames --------------------------------------------------------------------------

// Keeps a value alive, and on the stack below the frames that write it: the root value,
// or a temporary (a view's element, a conversion's result) that is more than a scalar.
// `T` is an object type, owned, or an lvalue reference to a value owned elsewhere.
template <class T>
class value_frame : public frame {
 public:
  template <class Arg>
  explicit value_frame(Arg&& value) : value_(std::forward<Arg>(value)) {}

  void step(engine& e) {
    writer w(e);
    write_value<false>(w, value_);
    w.finish_keeping_value(*this);
  }
  void append_path(std::string&) const {}

 private:
  T value_;
};

// The value of a std::shared_ptr while it is written; a value already open below is a cycle.
template <class T>
class shared_frame : public frame {
 public:
  explicit shared_frame(T& value) : value_(&value) {}
  shared_frame(const shared_frame&) = delete;
  shared_frame& operator=(const shared_frame&) = delete;
  ~shared_frame() {
    if (open_values_ != nullptr) open_values_->erase(value_);
  }

  void step(engine& e) {
    if (!e.open_shared_values.insert(value_).second) e.fail("cycle through std::shared_ptr");
    open_values_ = &e.open_shared_values;
    writer w(e);
    write_value<false>(w, *value_);
    w.finish_keeping_value(*this);
  }
  void append_path(std::string&) const {}

 private:
  T* value_;
  std::unordered_set<const void*>* open_values_ = nullptr;
};

// How a container is delimited: brackets around items set apart by the item separator,
// or, for a stream of top-level values (framing.hpp), a prefix and a suffix per value.
template <char Open, char Close>
struct brackets {
  ITERJSON_DETAIL_INLINE static void open(writer& w) { w.open_container(Open); }
  ITERJSON_DETAIL_INLINE static void begin_item(writer& w, bool first) { w.begin_item(first); }
  ITERJSON_DETAIL_INLINE static void close(writer& w, bool had_items) { w.close_container(Close, had_items); }
};

template <class Format>
struct framed_values {
  static void open(writer& w) {
    if (!w.at_top_level()) w.fail("a stream of values must be the encoder's root value");
    if (w.indenting()) w.fail("a stream of values is written compactly: options::indent must be negative");
  }
  ITERJSON_DETAIL_INLINE static void begin_item(writer& w, bool first) {
    if (!first && !Format::suffix.empty()) w.put_json_text(Format::suffix);
    if (!Format::prefix.empty()) w.put_json_text(Format::prefix);
  }
  ITERJSON_DETAIL_INLINE static void close(writer& w, bool had_items) {
    if (had_items && !Format::suffix.empty()) w.put_json_text(Format::suffix);
  }
};

// What every container frame does: open, write items one at a time, stopping after any
// of them when the window is full or a child frame was pushed, close, pop. `Kind`
// supplies the items: at_end(), advance(), write_item(writer&). Its cursor
// stays on the item being written until the next step, so an error's path names it.
template <class Kind, class Layout>
class container_frame : public frame {
 public:
  void step(engine& e) {
    writer w(e);
    auto& kind = static_cast<Kind&>(*this);
    if (!started_) {
      Layout::open(w);  // may throw for depth: the path then ends at this value
      started_ = true;
      if (kind.at_end()) return close(w, false);
      Layout::begin_item(w, true);
      kind.write_item(w);
      if (w.stopped(*this)) return;
    }
    for (;;) {
      kind.advance();
      if (kind.at_end()) return close(w, true);
      Layout::begin_item(w, false);
      kind.write_item(w);
      if (w.stopped(*this)) return;
    }
  }

 protected:
  bool started_ = false;  // the container is open and an item is under way

 private:
  ITERJSON_DETAIL_INLINE void close(writer& w, bool had_items) {
    Layout::close(w, had_items);
    w.pop();
  }
};

// An array from any input range.
template <class Range, class Layout = brackets<'[', ']'>>
class array_frame : public container_frame<array_frame<Range, Layout>, Layout> {
  using iterator = std::ranges::iterator_t<Range&>;
  using sentinel = std::ranges::sentinel_t<Range&>;
  using reference = std::ranges::range_reference_t<Range&>;
  friend class container_frame<array_frame, Layout>;

 public:
  explicit array_frame(Range& range) : it_(std::ranges::begin(range)), end_(std::ranges::end(range)) {}

  void append_path(std::string& path) const {
    if (this->started_) append_key_segment(path, index_);
  }

 private:
  [[nodiscard]] bool at_end() const { return it_ == end_; }
  void advance() {
    ++it_;
    ++index_;
  }
  ITERJSON_DETAIL_INLINE void write_item(writer& w) {
    reference element = *it_;
    write_value<!std::is_reference_v<reference>>(w, element);
  }

  iterator it_;
  sentinel end_;
  std::size_t index_ = 0;
};

// An object from a map-like range of key and value pairs.
template <class Map>
class object_frame : public container_frame<object_frame<Map>, brackets<'{', '}'>> {
  using iterator = std::ranges::iterator_t<Map&>;
  using sentinel = std::ranges::sentinel_t<Map&>;
  using reference = std::ranges::range_reference_t<Map&>;
  static constexpr bool holds_member = !std::is_reference_v<reference>;
  struct no_member {};
  friend class container_frame<object_frame, brackets<'{', '}'>>;

 public:
  explicit object_frame(Map& map) : it_(std::ranges::begin(map)), end_(std::ranges::end(map)) {}

  void append_path(std::string& path) const {
    if (!this->started_) return;
    if constexpr (holds_member) {
      if (member_) append_key_segment(path, member_key(*member_));
    } else if (it_ != end_) {
      append_key_segment(path, member_key(*it_));
    }
  }

 private:
  [[nodiscard]] bool at_end() const { return it_ == end_; }
  void advance() { ++it_; }
  ITERJSON_DETAIL_INLINE void write_item(writer& w) {
    if constexpr (holds_member) {
      write_member(w, member_.emplace(*it_));  // a temporary member is kept while written
    } else {
      write_member(w, *it_);
    }
  }
  template <class Member>
  ITERJSON_DETAIL_INLINE void write_member(writer& w, Member& member) {
    write_key(w, member_key(member));
    w.put_key_separator();
    auto&& value = member_value(member);
    write_value<!std::is_reference_v<decltype(member_value(member))>>(w, value);
  }

  iterator it_;
  sentinel end_;
  [[no_unique_address]] std::conditional_t<holds_member, std::optional<std::remove_cvref_t<reference>>,
                                           no_member> member_;
};

// Calls f(std::integral_constant<size_t, I>) for the I equal to `index`.
template <std::size_t Count, class F>
ITERJSON_DETAIL_INLINE void with_index(std::size_t index, F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((index == I ? (f(std::integral_constant<std::size_t, I>{}), 0) : 0), ...);
  }(std::make_index_sequence<Count>{});
}

// A fixed list of members of different types: a tuple as an array, or a struct listed
// with ITERJSON_FIELDS as an object.
template <bool AsObject>
using product_brackets = std::conditional_t<AsObject, brackets<'{', '}'>, brackets<'[', ']'>>;

template <class T, bool AsObject>
class product_frame : public container_frame<product_frame<T, AsObject>, product_brackets<AsObject>> {
  using plain = std::remove_cv_t<T>;
  static constexpr std::size_t count = [] {
    if constexpr (AsObject) {
      return std::tuple_size_v<std::remove_cvref_t<decltype(struct_fields<plain>::members)>>;
    } else {
      return std::tuple_size_v<plain>;
    }
  }();
  friend class container_frame<product_frame, product_brackets<AsObject>>;

 public:
  explicit product_frame(T& value) : value_(&value) {}

  void append_path(std::string& path) const {
    if (!this->started_) return;
    if constexpr (AsObject) {
      with_index<count>(member_index(), [&](auto i) {
        append_path_segment(path, std::get<i()>(struct_fields<plain>::members).name);
      });
    } else {
      append_key_segment(path, position_);
    }
  }

 private:
  [[nodiscard]] bool at_end() const { return position_ == count; }
  void advance() { ++position_; }

  [[nodiscard]] std::size_t member_index() const {
    if constexpr (AsObject) {
      if (sort_keys_) return sorted_field_order<plain>[position_];
    }
    return position_;
  }

  ITERJSON_DETAIL_INLINE void write_item(writer& w) {
    if (position_ == 0) sort_keys_ = w.sort_keys();
    with_index<count>(member_index(), [&](auto i) ITERJSON_DETAIL_INLINE_LAMBDA {
      if constexpr (AsObject) {
        const auto& field = std::get<i()>(struct_fields<plain>::members);
        if (field.quoted_name.empty()) {
          w.put_string(field.name);
        } else {
          w.put_json_text(field.quoted_name);
        }
        w.put_key_separator();
        write_value<false>(w, value_->*field.pointer);
      } else {
        using std::get;
        auto&& member = get<i()>(*value_);
        write_value<!std::is_lvalue_reference_v<decltype(get<i()>(*value_))>>(w, member);
      }
    });
  }

  T* value_;
  std::size_t position_ = 0;
  bool sort_keys_ = false;
};

// --- the dispatcher ------------------------------------------------------------------

// Writes `value`. `Owned` says it is a temporary that dies when this returns: unless it
// is self-contained it is first moved into a value_frame, which writes it from there.
template <bool Owned, class T>
ITERJSON_DETAIL_INLINE void write_value(writer& w, T& value) {
  using plain = std::remove_cv_t<T>;
  constexpr value_kind kind = kind_of<T>();
  if constexpr (Owned && !is_self_contained<plain>()) {
    w.push<value_frame<plain>>(std::move(value));
  } else if constexpr (kind == value_kind::stream) {
    using range = std::remove_reference_t<decltype((value.values))>;
    w.push_and_step<array_frame<range, framed_values<typename plain::format>>>(value.values);
  } else if constexpr (kind == value_kind::custom) {
    decltype(auto) converted = encode_as<plain>::convert(value);
    write_value<!std::is_reference_v<decltype(converted)>>(w, converted);
  } else if constexpr (kind == value_kind::variant) {
    visit_alternative(value, [&w](auto&& alternative) ITERJSON_DETAIL_INLINE_LAMBDA {
      using alternative_type = decltype(alternative);
      if constexpr (is_specialization_of<plain, std::shared_ptr> &&
                    !is_self_contained<std::remove_cvref_t<alternative_type>>()) {
        w.push<shared_frame<std::remove_reference_t<alternative_type>>>(alternative);
      } else {
        write_value<!std::is_lvalue_reference_v<alternative_type>>(w, alternative);
      }
    });
  } else if constexpr (kind == value_kind::fields) {
    w.push_and_step<product_frame<T, true>>(value);
  } else if constexpr (kind == value_kind::null) {
    w.put_null();
  } else if constexpr (kind == value_kind::boolean) {
    w.put_bool(value);
  } else if constexpr (kind == value_kind::integer) {
    w.put_integer(value);
  } else if constexpr (kind == value_kind::floating) {
    w.put_float(value);
  } else if constexpr (kind == value_kind::string) {
    if constexpr (std::is_pointer_v<plain>) {
      if (value == nullptr) return w.put_null();
    }
    w.put_string(std::string_view(value));
  } else if constexpr (kind == value_kind::object) {
    if constexpr (!ordered_like_python<plain> && !is_specialization_of<plain, sorted_members>) {
      if (w.sort_keys()) return w.push_and_step<value_frame<sorted_members<T>>>(value);
    }
    w.push_and_step<object_frame<T>>(value);
  } else if constexpr (kind == value_kind::array) {
    w.push_and_step<array_frame<T>>(value);
  } else if constexpr (kind == value_kind::tuple) {
    w.push_and_step<product_frame<T, false>>(value);
  } else {
    (void)not_encodable<plain>{};
  }
}

// The root of an encoder: referenced when an lvalue, moved in and owned otherwise.
template <class T>
void push_root(engine& e, T&& value) {
  if constexpr (std::is_lvalue_reference_v<T>) {
    e.push<value_frame<T>>(value);
  } else {
    e.push<value_frame<std::remove_cvref_t<T>>>(std::move(value));
  }
}

}  // namespace iterjson::detail
