#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "iterjson/detail/engine.hpp"
#include "iterjson/detail/json_pointer.hpp"
#include "iterjson/detail/object_members.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/detail/writer.hpp"
#include "iterjson/source.hpp"
#include "iterjson/traits.hpp"

// Every value the encoder writes is either written at once (numbers, strings, literals)
// or becomes a frame: an object on the engine's stack that writes its container one
// item at a time and resumes where it stopped. Elements of a container are written in
// a loop inside the container's frame; only a nested container or a temporary that must
// be kept pushes another frame, so the indirect call is per container, not per element.

namespace iterjson::detail {

template <bool Owned, class T>
ITERJSON_DETAIL_INLINE void write_value(writer& w, T& value);  // write_value.hpp

// How a frame holds the value it writes: the one way a frame keeps a value alive. Owned
// when `T` is an object type (a temporary moved in: a conversion's result, a view, a
// DOM adapter's view of an array), referenced when `T` is an lvalue reference.
template <class T>
class held {
 public:
  template <class Arg>
  explicit held(Arg&& value) noexcept(std::is_nothrow_constructible_v<T, Arg&&>) : value_(std::forward<Arg>(value)) {}
  [[nodiscard]] T& get() noexcept { return value_; }
  [[nodiscard]] const T& get() const noexcept { return value_; }

 private:
  T value_;
};

template <class T>
class held<T&> {
 public:
  explicit held(T& value) noexcept : value_(&value) {}
  [[nodiscard]] T& get() const noexcept { return *value_; }

 private:
  T* value_;
};

// Marks the value of a std::shared_ptr open while its frame lives: meeting it again
// below is a cycle.
class open_shared_value {
 public:
  open_shared_value() = default;
  open_shared_value(const open_shared_value&) = delete;
  open_shared_value& operator=(const open_shared_value&) = delete;
  ~open_shared_value() {
    if (open_values_ != nullptr) open_values_->erase(value_);
  }

  // False, the engine failed, when `value` is open already.
  bool enter(engine& e, const void* value) {
    if (!e.open_shared_values.insert(value).second) {
      e.fail(encode_errc::shared_cycle, "cycle through std::shared_ptr");
      return false;
    }
    open_values_ = &e.open_shared_values;
    value_ = value;
    return true;
  }

 private:
  const void* value_ = nullptr;
  std::unordered_set<const void*>* open_values_ = nullptr;
};

struct no_cycle_check {};

// Keeps a value alive, and on the stack below the frames that write it: the root value,
// a temporary (a view's element, a conversion's result) that is more than a scalar, or,
// with `ChecksCycle`, the value of a std::shared_ptr, which must not be open below.
template <class T, bool ChecksCycle = false>
class value_frame : public frame {
 public:
  template <class Arg>
  explicit value_frame(Arg&& value) : value_(std::forward<Arg>(value)) {}

  void step(engine& e) {
    if constexpr (ChecksCycle) {
      if (!open_.enter(e, &value_.get())) return;
    }
    writer w(e);
    write_value<false>(w, value_.get());
    w.finish_keeping_value(*this);
  }
  void append_path(std::string&) const {}

 private:
  held<T> value_;
  [[no_unique_address]] std::conditional_t<ChecksCycle, open_shared_value, no_cycle_check> open_;
};

// How a container is delimited: brackets around items set apart by the item separator,
// or, for a stream of top-level values (framing.hpp), a prefix and a suffix per value.
// open() is false when the engine failed there; end_item runs as soon as an item is
// complete, before the next is fetched.
template <char Open, char Close>
struct brackets {
  ITERJSON_DETAIL_INLINE static bool open(writer& w) { return w.open_container(Open); }
  ITERJSON_DETAIL_INLINE static void begin_item(writer& w, bool first) { w.begin_item(first); }
  ITERJSON_DETAIL_INLINE static void end_item(writer&) {}
  ITERJSON_DETAIL_INLINE static void close(writer& w, bool had_items) { w.close_container(Close, had_items); }
};

template <class Format>
struct framed_values {
  static bool open(writer& w) {
    if (!w.at_top_level()) {
      w.fail(encode_errc::misplaced_stream, "a stream of values must be the encoder's root value");
      return false;
    }
    if (w.indenting()) {
      w.fail(encode_errc::misplaced_stream, "a stream of values is written compactly: options::indent must be negative");
      return false;
    }
    return true;
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

// Where a container's items stand after a run of them: all written; stopped after one
// (the window is full, a child frame was pushed, or the engine failed); or, for a
// source, nothing yet.
enum class items_status : std::uint8_t { end, stopped, pending };

// Whether an item is its container's first, when the items do not know it at compile
// time as a struct's or a tuple's members do: the loop then tracks it.
struct first_unknown {};

// The one item loop of every container: open, write items one at a time, stopping after
// any of them when the writer says so, close, pop. `Kind` supplies the items:
// begin_items() starts on them once the container is open; write_items(w, item) calls
// `item(write, first)` for each item from its cursor on, where `write()` writes the
// item's value and `first` is first_unknown{} or a compile-time bool, until `item`
// returns false or the items end; advance() moves past the item the last run stopped at. A range loops over its iterators, a struct or tuple over its
// members at compile time, a source polls. The cursor stays on the item being written
// until the next step, so an error's path names it. A source may answer pending: the
// frame stops, the engine waits, and the next step polls again.
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
      if (!Layout::open(w)) return;  // failed: the path ends at this value
      phase_ = phase::awaiting_first;
      kind.begin_items();  // a generator runs to its first element: the path names it
    } else if (phase_ == phase::after_item) {
      Layout::end_item(w);
      kind.advance();
    }
    bool first = phase_ == phase::awaiting_first;
    const items_status status = kind.write_items(w, [&](auto&& write, auto first_item) ITERJSON_DETAIL_INLINE_LAMBDA {
      if constexpr (!std::is_same_v<decltype(first_item), first_unknown>) first = first_item;
      Layout::begin_item(w, first);
      first = false;
      write();
      if (w.stopped(*this)) return false;
      Layout::end_item(w);
      return true;
    });
    switch (status) {
      case items_status::end: return close(w, !first);
      case items_status::stopped: phase_ = phase::after_item; return;
      case items_status::pending: phase_ = first ? phase::awaiting_first : phase::awaiting_next; return;
    }
  }

 protected:
  // The container is open: an item is being fetched or written.
  [[nodiscard]] bool opened() const noexcept { return phase_ != phase::unopened; }

 private:
  enum class phase : std::uint8_t { unopened, awaiting_first, awaiting_next, after_item };

  ITERJSON_DETAIL_INLINE void close(writer& w, bool had_items) {
    Layout::close(w, had_items);
    w.pop(static_cast<Kind&>(*this));
  }

  phase phase_ = phase::unopened;
};

// A temporary a container frame holds itself: a view is cheap to move, and needs no
// frame of its own to keep it.
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
  template <class Item>
  ITERJSON_DETAIL_INLINE items_status write_items(writer& w, Item&& item) {
    for (; *it_ != *end_; advance()) {
      if (!item([&]() ITERJSON_DETAIL_INLINE_LAMBDA {
            reference element = **it_;
            write_value<!std::is_reference_v<reference>>(w, element);
          }, first_unknown{})) {
        return items_status::stopped;
      }
    }
    return items_status::end;
  }
  void advance() {
    ++index_;  // first: an exception from a generator's increment has the next one's path
    ++*it_;
  }

  held<std::conditional_t<OwnsRange, Range, Range&>> range_;
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
  template <class Item>
  items_status write_items(writer& w, Item&& item) {
    for (;; advance()) {
      if (const items_status status = pull(w); status != items_status::stopped) return status;
      if (!item([&]() ITERJSON_DETAIL_INLINE_LAMBDA { write_value<false>(w, *current_); }, first_unknown{})) {
        return items_status::stopped;
      }
    }
  }
  void advance() {
    current_.reset();
    ++index_;
  }
  // Pulls the next element into current_ (`stopped`: there is one), or says why not.
  items_status pull(writer& w) {
    if constexpr (pollable_source<std::remove_cv_t<Source>>) {
      poll_result<element> result = source_->poll(w.source_waker());
      if (result.ready()) {
        current_.emplace(std::move(result.value()));
        return items_status::stopped;
      }
      if (result.is_exhausted()) return items_status::end;
      w.wait();
      return items_status::pending;
    } else {
      current_ = (*source_)();
      return current_ ? items_status::stopped : items_status::end;
    }
  }

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
  template <class Item>
  ITERJSON_DETAIL_INLINE items_status write_items(writer& w, Item&& item) {
    for (; *it_ != *end_; advance()) {
      if (!item([&]() ITERJSON_DETAIL_INLINE_LAMBDA {
            if constexpr (holds_member) {
              write_member(w, member_.emplace(**it_));  // a temporary member is kept while written
            } else {
              write_member(w, **it_);
            }
          }, first_unknown{})) {
        return items_status::stopped;
      }
    }
    return items_status::end;
  }
  void advance() { ++*it_; }
  template <class Member>
  ITERJSON_DETAIL_INLINE void write_member(writer& w, Member& member) {
    write_key(w, member_key(member));
    w.put_key_separator();
    auto&& value = member_value(member);
    write_value<!std::is_reference_v<decltype(member_value(member))>>(w, value);
  }

  held<std::conditional_t<OwnsMap, Map, Map&>> map_;
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
// with ITERJSON_FIELDS as an object; `Sorted` for sort_keys. Its cursor is a position
// known at compile time: a step writes the members in one unrolled pass, from the first
// not yet written, rather than dispatching on the position at each.
template <bool AsObject>
using product_brackets = std::conditional_t<AsObject, brackets<'{', '}'>, brackets<'[', ']'>>;

template <class T, bool AsObject, bool Sorted = false>
class product_frame : public container_frame<product_frame<T, AsObject, Sorted>, product_brackets<AsObject>> {
  using plain = std::remove_cv_t<T>;
  friend class container_frame<product_frame, product_brackets<AsObject>>;
  static constexpr std::size_t count = [] {
    if constexpr (AsObject) {
      return std::tuple_size_v<std::remove_cvref_t<decltype(struct_fields<plain>::members)>>;
    } else {
      return std::tuple_size_v<plain>;
    }
  }();

  // The member written at position P: in declared order, or in key order.
  template <std::size_t P>
  static constexpr std::size_t member_at = [] {
    if constexpr (Sorted) {
      return sorted_field_order<plain>[P];
    } else {
      return P;
    }
  }();

 public:
  explicit product_frame(T& value) : value_(value) {}

  void append_path(std::string& path) const {
    if (!this->opened()) return;
    if constexpr (AsObject) {
      const std::size_t member = Sorted ? sorted_field_order<plain>[position_] : position_;
      with_index<count>(member, [&](auto i) { append_path_segment(path, std::get<i()>(struct_fields<plain>::members).name); });
    } else {
      append_key_segment(path, position_);
    }
  }

 private:
  void begin_items() noexcept {}
  template <class Item>
  ITERJSON_DETAIL_INLINE items_status write_items(writer& w, Item&& item) {
    return write_from(w, item, std::make_index_sequence<count>{}) ? items_status::end : items_status::stopped;
  }
  void advance() noexcept { ++position_; }

  // The members from position_ on; false if `item` stopped after one, position_ then
  // naming it. In declared order the members are written inline, one straight pass
  // whose writer stays in registers; in key order each is a call, so that the order
  // used less often does not double the code of every struct.
  template <class Item, std::size_t... P>
  ITERJSON_DETAIL_INLINE bool write_from(writer& w, Item& item, std::index_sequence<P...>) {
    if constexpr (Sorted) {
      return ((P < position_ || (position_ = P, item([&]() ITERJSON_DETAIL_INLINE_LAMBDA { write_member_apart<member_at<P>>(w); },
                                                      std::bool_constant<P == 0>{}))) &&
              ...);
    } else {
      return ((P < position_ || (position_ = P, item([&]() ITERJSON_DETAIL_INLINE_LAMBDA { write_member<P>(w); },
                                                      std::bool_constant<P == 0>{}))) &&
              ...);
    }
  }

  template <std::size_t Member>
  [[gnu::noinline]] void write_member_apart(writer& w) {
    write_member<Member>(w);
  }

  template <std::size_t Member>
  ITERJSON_DETAIL_INLINE void write_member(writer& w) {
    if constexpr (AsObject) {
      const auto& field = std::get<Member>(struct_fields<plain>::members);
      if (field.quoted_name.empty()) {
        w.put_string(field.name);
      } else {
        w.put_json_text(field.quoted_name);
      }
      w.put_key_separator();
      write_value<false>(w, value_.get().*field.pointer);
    } else {
      using std::get;
      auto&& member = get<Member>(value_.get());
      write_value<!std::is_lvalue_reference_v<decltype(get<Member>(value_.get()))>>(w, member);
    }
  }

  held<T&> value_;
  std::size_t position_ = 0;  // of the member being written
};

}  // namespace iterjson::detail
