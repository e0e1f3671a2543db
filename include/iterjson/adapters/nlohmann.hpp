#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include <nlohmann/json.hpp>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/traits.hpp"

namespace iterjson::detail {

// nlohmann's binary values, written as its own dump() writes them.
struct nlohmann_binary {
  std::span<const std::uint8_t> bytes;
  std::optional<std::uint64_t> subtype;
};

}  // namespace iterjson::detail

ITERJSON_FIELDS(iterjson::detail::nlohmann_binary, bytes, subtype);

/// Makes every `nlohmann::basic_json` encodable, `nlohmann::json` and
/// `nlohmann::ordered_json` included. Objects keep their own order (sorted for `json`,
/// insertion order for `ordered_json`) unless `options::sort_keys` is set.
/// A discarded value is written as `null`.
template <template <typename, typename, typename...> class ObjectType,
          template <typename, typename...> class ArrayType, class StringType, class BooleanType,
          class NumberIntegerType, class NumberUnsignedType, class NumberFloatType,
          template <typename> class AllocatorType,
          template <typename, typename = void> class JSONSerializer, class BinaryType>
struct iterjson::variant_traits<
    nlohmann::basic_json<ObjectType, ArrayType, StringType, BooleanType, NumberIntegerType,
                         NumberUnsignedType, NumberFloatType, AllocatorType, JSONSerializer, BinaryType>> {
  using json = nlohmann::basic_json<ObjectType, ArrayType, StringType, BooleanType, NumberIntegerType,
                                    NumberUnsignedType, NumberFloatType, AllocatorType,
                                    JSONSerializer, BinaryType>;

  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit(const json& value, Visitor&& visitor) {
    using nlohmann::detail::value_t;
    switch (value.type()) {
      case value_t::null:
      case value_t::discarded: return visitor(nullptr);
      case value_t::boolean: return visitor(value.template get_ref<const typename json::boolean_t&>());
      case value_t::number_integer:
        return visitor(value.template get_ref<const typename json::number_integer_t&>());
      case value_t::number_unsigned:
        return visitor(value.template get_ref<const typename json::number_unsigned_t&>());
      case value_t::number_float:
        return visitor(value.template get_ref<const typename json::number_float_t&>());
      case value_t::string: return visitor(value.template get_ref<const typename json::string_t&>());
      case value_t::array: return visitor(value.template get_ref<const typename json::array_t&>());
      case value_t::object: return visitor(value.template get_ref<const typename json::object_t&>());
      case value_t::binary: {
        const auto& binary = value.template get_ref<const typename json::binary_t&>();
        std::optional<std::uint64_t> subtype;
        if (binary.has_subtype()) subtype = binary.subtype();
        return visitor(detail::nlohmann_binary{{binary.data(), binary.size()}, subtype});
      }
    }
  }
};

template <template <typename, typename, typename...> class ObjectType,
          template <typename, typename...> class ArrayType, class StringType, class BooleanType,
          class NumberIntegerType, class NumberUnsignedType, class NumberFloatType,
          template <typename> class AllocatorType,
          template <typename, typename = void> class JSONSerializer, class BinaryType>
inline constexpr bool iterjson::detail::trusted_dom_value<
    nlohmann::basic_json<ObjectType, ArrayType, StringType, BooleanType, NumberIntegerType, NumberUnsignedType,
                         NumberFloatType, AllocatorType, JSONSerializer, BinaryType>> = true;
