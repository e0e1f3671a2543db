#pragma once

// The same data in each library's own tree, copied from a Boost.JSON tree: every
// contender then writes the very same numbers, strings and member order.

#include <cstdlib>
#include <memory>
#include <string>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <yyjson.h>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>

namespace bench {

// A copy of `tree` as an nlohmann tree: `ordered_json` keeps the member order, `json`
// sorts the members by key.
template <class Json>
Json to_nlohmann(const boost::json::value& tree) {
  switch (tree.kind()) {
    case boost::json::kind::null: return nullptr;
    case boost::json::kind::bool_: return tree.get_bool();
    case boost::json::kind::int64: return tree.get_int64();
    case boost::json::kind::uint64: return tree.get_uint64();
    case boost::json::kind::double_: return tree.get_double();
    case boost::json::kind::string: return std::string(tree.get_string());
    case boost::json::kind::array: {
      Json array = Json::array();
      for (const boost::json::value& element : tree.get_array()) array.push_back(to_nlohmann<Json>(element));
      return array;
    }
    case boost::json::kind::object: {
      Json object = Json::object();
      for (const auto& member : tree.get_object()) {
        object.emplace(std::string(member.key()), to_nlohmann<Json>(member.value()));
      }
      return object;
    }
  }
  return nullptr;
}

// Makes `out`, which allocates from `allocator`, a copy of `tree`.
inline void copy_to_rapidjson(const boost::json::value& tree, rapidjson::Value& out,
                              rapidjson::Document::AllocatorType& allocator) {
  switch (tree.kind()) {
    case boost::json::kind::null: out.SetNull(); return;
    case boost::json::kind::bool_: out.SetBool(tree.get_bool()); return;
    case boost::json::kind::int64: out.SetInt64(tree.get_int64()); return;
    case boost::json::kind::uint64: out.SetUint64(tree.get_uint64()); return;
    case boost::json::kind::double_: out.SetDouble(tree.get_double()); return;
    case boost::json::kind::string: {
      const boost::json::string& text = tree.get_string();
      out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
      return;
    }
    case boost::json::kind::array: {
      out.SetArray();
      out.Reserve(static_cast<rapidjson::SizeType>(tree.get_array().size()), allocator);
      for (const boost::json::value& element : tree.get_array()) {
        rapidjson::Value copy;
        copy_to_rapidjson(element, copy, allocator);
        out.PushBack(copy, allocator);
      }
      return;
    }
    case boost::json::kind::object: {
      out.SetObject();
      for (const auto& member : tree.get_object()) {
        rapidjson::Value key(member.key().data(), static_cast<rapidjson::SizeType>(member.key().size()), allocator);
        rapidjson::Value copy;
        copy_to_rapidjson(member.value(), copy, allocator);
        out.AddMember(key, copy, allocator);
      }
      return;
    }
  }
}

// Makes `document` a copy of `tree`.
inline void copy_to_rapidjson(const boost::json::value& tree, rapidjson::Document& document) {
  copy_to_rapidjson(tree, document, document.GetAllocator());
}

// An immutable yyjson document, as yyjson's reader makes it: read from Boost's text of the
// tree, whose doubles round-trip, so that it holds the very same numbers.
struct yyjson_document {
  struct deleter {
    void operator()(yyjson_doc* doc) const { yyjson_doc_free(doc); }
  };
  std::unique_ptr<yyjson_doc, deleter> doc;
};

inline void copy_to_yyjson(const boost::json::value& source, yyjson_document& tree) {
  const std::string text = boost::json::serialize(source);
  tree.doc.reset(yyjson_read(text.data(), text.size(), 0));
  if (tree.doc == nullptr) std::abort();
}

}  // namespace bench

// iterjson writes a bench::yyjson_document as its root value, through the yyjson adapter.
template <>
struct iterjson::encode_as<bench::yyjson_document> {
  static const yyjson_val& convert(const bench::yyjson_document& tree) { return *yyjson_doc_get_root(tree.doc.get()); }
};
