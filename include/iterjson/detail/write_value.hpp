#pragma once

#include <cmath>
#include <map>
#include <memory>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "iterjson/detail/container_frames.hpp"
#include "iterjson/detail/engine.hpp"
#include "iterjson/detail/object_members.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/detail/writer.hpp"
#include "iterjson/traits.hpp"

// The dispatcher: how each kind of value is written, at once or by a frame
// (container_frames.hpp), and the containers of scalars written inline, before a frame
// is pushed for them.

namespace iterjson::detail {

template <class T>
struct not_encodable {
  static_assert(sizeof(T) == 0,
                "iterjson: this type is not encodable. Specialize iterjson::encode_as<T> "
                "or iterjson::variant_traits<T>, or list its fields with ITERJSON_FIELDS; "
                "the type is the template argument of not_encodable in this message.");
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
  if (!w.open_container(Open)) return;
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
        w.push<value_frame<alternative_type, true>>(alternative);
      } else {
        write_value<!std::is_lvalue_reference_v<alternative_type>>(w, alternative);
      }
    });
  } else if constexpr (kind == value_kind::fields) {
    if (w.sort_keys()) return w.push_and_step<product_frame<T, true, true>>(value);
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
