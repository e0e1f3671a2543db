#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "iterjson/detail/engine.hpp"
#include "iterjson/detail/writer.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/source.hpp"
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
// NaN, which Python leaves wherever its sort happens to put it, goes after every number:
// std::sort needs a strict weak order.
template <class Key>
bool key_less(const Key& a, const Key& b) {
  if constexpr (string_type<Key>) {
    return std::string_view(a) < std::string_view(b);
  } else if constexpr (null_type<Key>) {
    return false;
  } else if constexpr (std::floating_point<Key>) {
    return !std::isnan(a) && (std::isnan(b) || a < b);
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
  // Addresses stay valid only in a forward range: a generator's elements do not.
  static constexpr bool by_address = std::is_lvalue_reference_v<reference> && std::ranges::forward_range<Map&>;
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
    // Stable: members with equal keys (duplicates, or NaN and NaN) keep their given order.
    std::ranges::stable_sort(members_, [](const stored& a, const stored& b) {
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
    if (!e.open_shared_values.insert(value_).second) return e.fail(encode_errc::shared_cycle, "cycle through std::shared_ptr");
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
// end_item runs as soon as an item is complete, before the next is fetched.
template <char Open, char Close>
struct brackets {
  ITERJSON_DETAIL_INLINE static void open(writer& w) { w.open_container(Open); }
  ITERJSON_DETAIL_INLINE static void begin_item(writer& w, bool first) { w.begin_item(first); }
  ITERJSON_DETAIL_INLINE static void end_item(writer&) {}
  ITERJSON_DETAIL_INLINE static void close(writer& w, bool had_items) { w.close_container(Close, had_items); }
};

template <class Format>
struct framed_values {
  static void open(writer& w) {
    if (!w.at_top_level()) return w.fail(encode_errc::misplaced_stream, "a stream of values must be the encoder's root value");
    if (w.indenting()) {
      w.fail(encode_errc::misplaced_stream, "a stream of values is written compactly: options::indent must be negative");
    }
  }
  ITERJSON_DETAIL_INLINE static void begin_item(writer& w, bool) {
    if (!Format::prefix.empty()) w.put_json_text(Format::prefix);
  }
  // The suffix goes out with its value, not with the next: a reader sees a whole record
  // while the source has nothing more yet.
  ITERJSON_DETAIL_INLINE static void end_item(writer& w) {
    if (!Format::suffix.empty()) w.put_json_text(Format::suffix);
    w.end_record();
  }
  static void close(writer&, bool) {}
};

// Where a container's next item stands. Only a source can be `pending`: nothing yet.
enum class item_status : std::uint8_t { ready, end, pending };

// What every container frame does: open, write items one at a time, stopping after any
// of them when the window is full or a child frame was pushed, close, pop. `Kind`
// supplies the items: begin_items() starts on them once the container is open,
// fetch(writer&) finds the next one, write_item(writer&) writes it, advance() moves
// past it. Its cursor stays on the item being written until the
// next step, so an error's path names it. A source may answer `pending` to fetch: the
// frame stops, the engine waits, and the next step fetches again.
template <class Kind, class Layout>
class container_frame : public frame {
 public:
  container_frame() = default;
  // A container written inline so far (see write_inline): open, its next item not begun.
  explicit container_frame(bool first_awaited) noexcept
      : phase_(first_awaited ? phase::awaiting_first : phase::awaiting_next) {}

  void step(engine& e) {
    writer w(e);
    auto& kind = static_cast<Kind&>(*this);
    if (phase_ == phase::unopened) {
      Layout::open(w);  // may throw for depth: the path then ends at this value
      if (w.failed()) return;
      phase_ = phase::awaiting_first;
      kind.begin_items();  // a generator runs to its first element: the path names it
    } else if (phase_ == phase::after_item) {
      Layout::end_item(w);
      kind.advance();
    }
    bool first = phase_ == phase::awaiting_first;
    for (;;) {
      const item_status status = kind.fetch(w);
      if (status != item_status::ready) {
        if (status == item_status::end) return close(w, !first);
        phase_ = first ? phase::awaiting_first : phase::awaiting_next;
        return;
      }
      Layout::begin_item(w, first);
      first = false;
      kind.write_item(w);
      if (w.stopped(*this)) {
        phase_ = phase::after_item;
        return;
      }
      Layout::end_item(w);
      kind.advance();
    }
  }

 protected:
  // The container is open: an item is being fetched or written.
  [[nodiscard]] bool opened() const noexcept { return phase_ != phase::unopened; }

 private:
  enum class phase : std::uint8_t { unopened, awaiting_first, awaiting_next, after_item };

  ITERJSON_DETAIL_INLINE void close(writer& w, bool had_items) {
    Layout::close(w, had_items);
    w.pop();
  }

  phase phase_ = phase::unopened;
};

// Where a container frame finds its range: at its address, or, for a view the frame was
// given as a temporary (such as a DOM adapter's view of an array), in the frame itself:
// a view is cheap to move, and needs no frame of its own to keep it.
template <class Range, bool Owned>
class range_slot {
 public:
  explicit range_slot(Range& range) noexcept : range_(&range) {}
  [[nodiscard]] Range& get() const noexcept { return *range_; }

 private:
  Range* range_;
};

template <class Range>
class range_slot<Range, true> {
 public:
  explicit range_slot(Range&& range) noexcept : range_(std::move(range)) {}
  [[nodiscard]] Range& get() noexcept { return range_; }

 private:
  Range range_;
};

// A temporary a container frame keeps in its range_slot.
template <class T>
concept movable_view = std::ranges::view<T> && std::is_nothrow_move_constructible_v<T>;

// An array from any input range.
template <class Range, class Layout = brackets<'[', ']'>, bool OwnsRange = false>
class array_frame : public container_frame<array_frame<Range, Layout, OwnsRange>, Layout> {
  using iterator = std::ranges::iterator_t<Range&>;
  using sentinel = std::ranges::sentinel_t<Range&>;
  using reference = std::ranges::range_reference_t<Range&>;
  friend class container_frame<array_frame, Layout>;

 public:
  template <class Arg>
  explicit array_frame(Arg&& range) : range_(std::forward<Arg>(range)) {}

  // Takes over an array written inline up to element `index`, at `it`.
  template <class Arg>
  array_frame(Arg&& range, iterator it, sentinel end, std::size_t index)
      : container_frame<array_frame, Layout>(index == 0), range_(std::forward<Arg>(range)), it_(std::move(it)),
        end_(std::move(end)), index_(index) {}

  void append_path(std::string& path) const {
    if (this->opened()) append_key_segment(path, index_);
  }

 private:
  // Not in the constructor: an input range's begin() may run user code (a generator's
  // body), whose errors should name the first element.
  void begin_items() {
    it_.emplace(std::ranges::begin(range_.get()));
    end_.emplace(std::ranges::end(range_.get()));
  }
  ITERJSON_DETAIL_INLINE item_status fetch(writer&) const { return *it_ == *end_ ? item_status::end : item_status::ready; }
  void advance() {
    ++index_;  // first: an exception from a generator's increment has the next one's path
    ++*it_;
  }
  ITERJSON_DETAIL_INLINE void write_item(writer& w) {
    reference element = **it_;
    write_value<!std::is_reference_v<reference>>(w, element);
  }

  range_slot<Range, OwnsRange> range_;
  std::optional<iterator> it_;  // iterators of input ranges need not be default-constructible
  std::optional<sentinel> end_;
  std::size_t index_ = 0;
};

// An array from a source pulled one element at a time: a `pollable_source`, which may
// answer pending, or a callable returning std::optional, empty at the end. The element
// pulled is kept here until it is written.
template <class Source, class Layout = brackets<'[', ']'>>
class source_frame : public container_frame<source_frame<Source, Layout>, Layout> {
  using element = source_element_t<std::remove_cv_t<Source>>;
  friend class container_frame<source_frame, Layout>;

 public:
  explicit source_frame(Source& source) : source_(&source) {}

  void append_path(std::string& path) const {
    if (this->opened()) append_key_segment(path, index_);
  }

 private:
  void begin_items() noexcept {}
  item_status fetch(writer& w) {
    if constexpr (pollable_source<std::remove_cv_t<Source>>) {
      poll_result<element> result = source_->poll(w.source_waker());
      if (result.ready()) {
        current_.emplace(std::move(result.value()));
        return item_status::ready;
      }
      if (result.is_exhausted()) return item_status::end;
      w.wait();
      return item_status::pending;
    } else {
      current_ = (*source_)();
      return current_ ? item_status::ready : item_status::end;
    }
  }
  void advance() {
    current_.reset();
    ++index_;
  }
  ITERJSON_DETAIL_INLINE void write_item(writer& w) { write_value<false>(w, *current_); }

  Source* source_;
  std::optional<element> current_;
  std::size_t index_ = 0;
};

// The frame that writes the elements of `T`, a range or a source, as items of `Layout`.
template <class T, class Layout>
using items_frame = std::conditional_t<kind_of<T>() == value_kind::source, source_frame<T, Layout>, array_frame<T, Layout>>;

// An object from a map-like range of key and value pairs.
template <class Map, bool OwnsMap = false>
class object_frame : public container_frame<object_frame<Map, OwnsMap>, brackets<'{', '}'>> {
  using iterator = std::ranges::iterator_t<Map&>;
  using sentinel = std::ranges::sentinel_t<Map&>;
  using reference = std::ranges::range_reference_t<Map&>;
  static constexpr bool holds_member = !std::is_reference_v<reference>;
  struct no_member {};
  friend class container_frame<object_frame, brackets<'{', '}'>>;

 public:
  template <class Arg>
  explicit object_frame(Arg&& map) : map_(std::forward<Arg>(map)) {}

  // Takes over an object written inline up to member `index`, at `it`.
  template <class Arg>
  object_frame(Arg&& map, iterator it, sentinel end, std::size_t index)
      : container_frame<object_frame, brackets<'{', '}'>>(index == 0), map_(std::forward<Arg>(map)), it_(std::move(it)),
        end_(std::move(end)) {}

  void append_path(std::string& path) const {
    if (!this->opened()) return;
    if constexpr (holds_member) {
      if (member_) append_key_segment(path, member_key(*member_));
    } else if (it_ && end_ && *it_ != *end_) {
      append_key_segment(path, member_key(**it_));
    }
  }

 private:
  void begin_items() {
    it_.emplace(std::ranges::begin(map_.get()));
    end_.emplace(std::ranges::end(map_.get()));
  }
  ITERJSON_DETAIL_INLINE item_status fetch(writer&) const { return *it_ == *end_ ? item_status::end : item_status::ready; }
  void advance() { ++*it_; }
  ITERJSON_DETAIL_INLINE void write_item(writer& w) {
    if constexpr (holds_member) {
      write_member(w, member_.emplace(**it_));  // a temporary member is kept while written
    } else {
      write_member(w, **it_);
    }
  }
  template <class Member>
  ITERJSON_DETAIL_INLINE void write_member(writer& w, Member& member) {
    write_key(w, member_key(member));
    w.put_key_separator();
    auto&& value = member_value(member);
    write_value<!std::is_reference_v<decltype(member_value(member))>>(w, value);
  }

  range_slot<Map, OwnsMap> map_;
  std::optional<iterator> it_;  // as in array_frame
  std::optional<sentinel> end_;
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
// with ITERJSON_FIELDS as an object. Its members are known at compile time, so a step
// writes them in one unrolled pass, from the first not yet written, rather than
// dispatching on a position at each; in every other way it is a container frame.
template <bool AsObject>
using product_brackets = std::conditional_t<AsObject, brackets<'{', '}'>, brackets<'[', ']'>>;

template <class T, bool AsObject>
class product_frame : public frame {
  using plain = std::remove_cv_t<T>;
  using layout = product_brackets<AsObject>;
  static constexpr std::size_t count = [] {
    if constexpr (AsObject) {
      return std::tuple_size_v<std::remove_cvref_t<decltype(struct_fields<plain>::members)>>;
    } else {
      return std::tuple_size_v<plain>;
    }
  }();

  // The member written at position P: in declared order, or in key order for sort_keys.
  template <bool Sorted, std::size_t P>
  static constexpr std::size_t member_at = [] {
    if constexpr (AsObject && Sorted) {
      return sorted_field_order<plain>[P];
    } else {
      return P;
    }
  }();

 public:
  explicit product_frame(T& value) : value_(&value) {}

  void step(engine& e) {
    if (!opened_) sorted_ = AsObject && e.sort_keys();
    if (sorted_) return step_in<true>(e);
    step_in<false>(e);
  }

  void append_path(std::string& path) const {
    if (!opened_) return;
    if constexpr (AsObject) {
      const std::size_t member = sorted_ ? sorted_field_order<plain>[position_] : position_;
      with_index<count>(member, [&](auto i) { append_path_segment(path, std::get<i()>(struct_fields<plain>::members).name); });
    } else {
      append_key_segment(path, position_);
    }
  }

 private:
  // Each order has a step of its own, so that the calls of the sorted one do not make
  // the writer of the other live in memory.
  template <bool Sorted>
  ITERJSON_DETAIL_INLINE void step_in(engine& e) {
    writer w(e);
    if (!opened_) {
      layout::open(w);  // may throw for depth: the path then ends at this value
      if (w.failed()) return;
      opened_ = true;
    } else {  // the member under way when the last step stopped is written
      layout::end_item(w);
      ++position_;
    }
    if (write_from<Sorted>(w, std::make_index_sequence<count>{})) {
      layout::close(w, count != 0);
      w.pop();
    }
  }

  // Writes the members from position_ on; false if it stopped after one of them (the
  // window is full or a child frame was pushed), position_ then naming it. In declared
  // order the members are written inline, one straight pass whose writer stays in
  // registers; in key order each is a call, so that the order used less often does not
  // double the code of every struct.
  template <bool Sorted, std::size_t... P>
  ITERJSON_DETAIL_INLINE bool write_from(writer& w, std::index_sequence<P...>) {
    if constexpr (Sorted) {
      return ((P < position_ || (position_ = P, write_member_apart<member_at<Sorted, P>>(w))) && ...);
    } else {
      return ((P < position_ || (position_ = P, write_member<P>(w))) && ...);
    }
  }

  template <std::size_t Member>
  [[gnu::noinline]] bool write_member_apart(writer& w) {
    return write_member<Member>(w);
  }

  template <std::size_t Member>
  ITERJSON_DETAIL_INLINE bool write_member(writer& w) {
    layout::begin_item(w, position_ == 0);
    if constexpr (AsObject) {
      const auto& field = std::get<Member>(struct_fields<plain>::members);
      if (field.quoted_name.empty()) {
        w.put_string(field.name);
      } else {
        w.put_json_text(field.quoted_name);
      }
      w.put_key_separator();
      write_value<false>(w, value_->*field.pointer);
    } else {
      using std::get;
      auto&& member = get<Member>(*value_);
      write_value<!std::is_lvalue_reference_v<decltype(get<Member>(*value_))>>(w, member);
    }
    if (w.stopped(*this)) return false;
    layout::end_item(w);
    return true;
  }

  T* value_;
  std::size_t position_ = 0;  // of the member being written
  bool opened_ = false;
  bool sorted_ = false;
};

// --- containers of scalars, written inline -------------------------------------------

// An item written inline: a scalar or a string held elsewhere, which leaves nothing
// behind that a frame would have to keep.
template <class Reference>
constexpr bool inline_scalar() {
  using plain = std::remove_cvref_t<Reference>;
  constexpr value_kind kind = kind_of<plain>();
  if constexpr (kind == value_kind::null || kind == value_kind::raw || kind == value_kind::boolean ||
                kind == value_kind::integer || kind == value_kind::floating) {
    return true;
  } else if constexpr (kind == value_kind::string) {
    return std::is_lvalue_reference_v<Reference> || string_view_type<plain>;
  } else {
    return false;
  }
}

// An item that may be written inline: a scalar, or a DOM value held elsewhere, which may
// turn out to be a scalar (see write_if_scalar).
template <class Reference>
constexpr bool inline_candidate() {
  using plain = std::remove_cvref_t<Reference>;
  if constexpr (kind_of<plain>() == value_kind::variant) {
    return trusted_dom_value<plain> && std::is_lvalue_reference_v<Reference>;
  } else {
    return inline_scalar<Reference>();
  }
}

// A range that runs no user code to be iterated, so that a container written inline
// can fail only in the items the writer checks (an exception from a view or generator
// must find a frame naming its item): an array or map of the standard library or of a
// DOM, not a view. Its iterators stay valid when a view the frame is given is moved
// into it, so a frame can take over at any item.
template <class Range>
constexpr bool plain_storage() {
  using plain = std::remove_cv_t<Range>;
  if constexpr (trusted_dom_range<plain>) {
    return true;
  } else if constexpr (std::ranges::view<plain>) {
    return false;
  } else {
    return std::ranges::contiguous_range<Range&> || is_specialization_of<plain, std::map> ||
           is_specialization_of<plain, std::unordered_map>;
  }
}

template <class Range, bool Owned>
concept inline_range =
    plain_storage<Range>() && std::ranges::forward_range<Range&> && (!Owned || std::ranges::borrowed_range<Range>);

template <class Range, bool Owned>
concept inline_array = inline_range<Range, Owned> && inline_candidate<std::ranges::range_reference_t<Range&>>();

// Keys as any scalar, but for floating-point ones, which may be NaN (see options::nan).
template <class Map, bool Owned>
concept inline_object = inline_range<Map, Owned> && requires(std::ranges::range_reference_t<Map&> member) {
  requires inline_scalar<decltype(member_key(member))>();
  requires kind_of<decltype(member_key(member))>() != value_kind::floating;
  requires inline_candidate<decltype(member_value(member))>();
};

// Calls write(scalar) when `value` holds a scalar, finite if a number; returns false,
// having written nothing, when it holds anything else, which a frame then writes.
template <class Value, class Write>
ITERJSON_DETAIL_INLINE bool write_if_scalar(Value& value, Write&& write) {
  auto write_finite = [&](auto& scalar) ITERJSON_DETAIL_INLINE_LAMBDA {
    if constexpr (kind_of<decltype(scalar)>() == value_kind::floating) {
      if (!std::isfinite(scalar)) return false;  // the frame applies options::nan
    }
    write(scalar);
    return true;
  };
  if constexpr (kind_of<Value>() == value_kind::variant) {
    bool written = false;
    visit_alternative(value, [&](auto&& alternative) ITERJSON_DETAIL_INLINE_LAMBDA {
      if constexpr (inline_scalar<decltype(alternative)>()) written = write_finite(alternative);
    });
    return written;
  } else {
    return write_finite(value);
  }
}

// Writes a container of scalars without a frame, which costs more than the rest of a
// small container: write_item(item, first) writes an item that is a scalar, else returns
// false. At the first item it does not write, or when the window is full, a frame
// (`Frame`) takes over from that item on: so a chunk boundary, an error's path and a
// nested container see what they would with a frame from the start.
template <class Frame, bool Owned, char Open, char Close, class Range, class WriteItem>
ITERJSON_DETAIL_INLINE void write_inline(writer& w, Range& range, WriteItem&& write_item) {
  using given = std::conditional_t<Owned, Range&&, Range&>;
  auto it = std::ranges::begin(range);
  auto end = std::ranges::end(range);
  w.open_container(Open);
  if (w.failed()) return;
  std::size_t index = 0;
  for (; it != end; ++it, ++index) {
    if (w.full() || !write_item(*it, index == 0)) {
      return w.push_and_step<Frame>(static_cast<given>(range), std::move(it), std::move(end), index);
    }
  }
  w.close_container(Close, index != 0);
}

template <class Range, bool Owned>
ITERJSON_DETAIL_INLINE void write_array(writer& w, Range& range) {
  using frame_type = array_frame<Range, brackets<'[', ']'>, Owned>;
  if constexpr (inline_array<Range, Owned>) {
    if (w.may_write_inline()) {
      return write_inline<frame_type, Owned, '[', ']'>(w, range, [&w](auto&& element, bool first) ITERJSON_DETAIL_INLINE_LAMBDA {
        return write_if_scalar(element, [&](auto& scalar) ITERJSON_DETAIL_INLINE_LAMBDA {
          w.begin_item(first);
          write_value<false>(w, scalar);
        });
      });
    }
  }
  w.push_and_step<frame_type>(static_cast<std::conditional_t<Owned, Range&&, Range&>>(range));
}

// An object in its own order, as write_array.
template <class Map, bool Owned>
ITERJSON_DETAIL_INLINE void write_object(writer& w, Map& map) {
  using frame_type = object_frame<Map, Owned>;
  if constexpr (inline_object<Map, Owned>) {
    if (w.may_write_inline()) {
      return write_inline<frame_type, Owned, '{', '}'>(w, map, [&w](auto&& member, bool first) ITERJSON_DETAIL_INLINE_LAMBDA {
        auto&& value = member_value(member);
        return write_if_scalar(value, [&](auto& scalar) ITERJSON_DETAIL_INLINE_LAMBDA {
          w.begin_item(first);
          write_key(w, member_key(member));
          w.put_key_separator();
          write_value<false>(w, scalar);
        });
      });
    }
  }
  w.push_and_step<frame_type>(static_cast<std::conditional_t<Owned, Map&&, Map&>>(map));
}

// --- the dispatcher ------------------------------------------------------------------

// Writes `value`. `Owned` says it is a temporary that dies when this returns: unless it
// is self-contained it is first moved into a value_frame, which writes it from there.
template <bool Owned, class T>
ITERJSON_DETAIL_INLINE void write_value(writer& w, T& value) {
  using plain = std::remove_cv_t<T>;
  constexpr value_kind kind = kind_of<T>();
  if constexpr (Owned && movable_view<plain> && kind == value_kind::array) {
    write_array<plain, true>(w, value);
  } else if constexpr (Owned && movable_view<plain> && kind == value_kind::object && ordered_like_python<plain>) {
    write_object<plain, true>(w, value);
  } else if constexpr (Owned && movable_view<plain> && kind == value_kind::object) {
    if (w.sort_keys()) {
      w.push<value_frame<plain>>(std::move(value));  // sorted_members refer to it
    } else {
      write_object<plain, true>(w, value);
    }
  } else if constexpr (Owned && !is_self_contained<plain>()) {
    w.push<value_frame<plain>>(std::move(value));
  } else if constexpr (kind == value_kind::stream) {
    using items = std::remove_reference_t<decltype((value.values))>;
    w.push_and_step<items_frame<items, framed_values<typename plain::format>>>(value.values);
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
  } else if constexpr (kind == value_kind::raw) {
    w.put_json_text(value.text);
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
    write_object<T, false>(w, value);
  } else if constexpr (kind == value_kind::array) {
    write_array<T, false>(w, value);
  } else if constexpr (kind == value_kind::source) {
    w.push_and_step<source_frame<T>>(value);
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
