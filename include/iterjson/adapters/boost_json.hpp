#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/traits.hpp"

/// Makes `boost::json::value` encodable; `boost::json::array`, `object` and `string` are
/// already encodable as a range, a map and a string. Objects keep their insertion order
/// unless `options::sort_keys` is set.
template <>
struct iterjson::variant_traits<boost::json::value> {
  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit(const boost::json::value& value, Visitor&& visitor) {
    switch (value.kind()) {
      case boost::json::kind::null: return visitor(nullptr);
      case boost::json::kind::bool_: return visitor(value.get_bool());
      case boost::json::kind::int64: return visitor(value.get_int64());
      case boost::json::kind::uint64: return visitor(value.get_uint64());
      case boost::json::kind::double_: return visitor(value.get_double());
      case boost::json::kind::string: return visitor(std::string_view(value.get_string()));
      case boost::json::kind::array: return visitor(value.get_array());
      case boost::json::kind::object: return visitor(value.get_object());
    }
  }
};

template <>
inline constexpr bool iterjson::detail::trusted_dom_value<boost::json::value> = true;
