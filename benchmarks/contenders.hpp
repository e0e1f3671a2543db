#pragma once

// The contenders: each writes the whole text of a tree and hands it to `sink` as
// string_views, slice by slice or in one piece, the way its API gives it out. A contender
// is built once per benchmark run, so what its API lets a caller reuse (Boost's
// serializer, RapidJSON's writer and buffer, a read buffer) is reused; everything else is
// part of what is measured.

#include <array>
#include <cstddef>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bench_support.hpp"
#include "iterjson/adapters/boost_json.hpp"
#include "iterjson/adapters/nlohmann.hpp"
#include "iterjson/adapters/rapidjson.hpp"
#include "iterjson/adapters/yyjson.hpp"
#include "tree_copies.hpp"
#include "iterjson/iterjson.hpp"

namespace bench::contender {

// iterjson's slices from next() are at most options::chunk_size, 4 KiB by default; its
// read() fills a 64 KiB buffer; Boost's serializer fills a 4 KiB one, as next() does.
inline constexpr std::size_t read_buffer_size = 64 * 1024;
inline constexpr std::size_t boost_buffer_size = 4096;

struct iterjson_next {
  static constexpr std::string_view name = "iterjson::encoder::next()";
  iterjson::options options{};
  template <class Tree, class Sink>
  void operator()(const Tree& tree, Sink&& sink) {
    iterjson::encoder encoder(tree, options);
    while (!encoder.done()) sink(encoder.next());
  }
};

struct iterjson_read {
  static constexpr std::string_view name = "iterjson::encoder::read()";
  iterjson::options options{};
  std::vector<char> buffer = std::vector<char>(read_buffer_size);
  template <class Tree, class Sink>
  void operator()(const Tree& tree, Sink&& sink) {
    iterjson::encoder encoder(tree, options);
    std::size_t size = 0;
    do {
      size = encoder.read(buffer.data(), buffer.size());
      sink(std::string_view(buffer.data(), size));
    } while (size == buffer.size());
  }
};

struct iterjson_to_string {
  static constexpr std::string_view name = "iterjson::to_string()";
  iterjson::options options{};
  template <class Tree, class Sink>
  void operator()(const Tree& tree, Sink&& sink) {
    sink(iterjson::to_string(tree, options));
  }
};

// The text appended to one string that is cleared and reused, as a server keeping a
// string per connection does: no allocation once it has grown.
struct iterjson_append_to {
  static constexpr std::string_view name = "iterjson::append_to()";
  iterjson::options options{};
  std::string text;
  template <class Tree, class Sink>
  void operator()(const Tree& tree, Sink&& sink) {
    text.clear();
    iterjson::append_to(text, tree, options);
    sink(std::string_view(text));
  }
};

struct boost_serializer {
  static constexpr std::string_view name = "boost::json::serializer";
  boost::json::serializer serializer;
  std::array<char, boost_buffer_size> buffer;
  template <class Sink>
  void operator()(const boost::json::value& tree, Sink&& sink) {
    serializer.reset(&tree);
    while (!serializer.done()) sink(serializer.read(buffer.data(), buffer.size()));
  }
};

struct boost_serialize {
  static constexpr std::string_view name = "boost::json::serialize()";
  template <class Sink>
  void operator()(const boost::json::value& tree, Sink&& sink) {
    sink(boost::json::serialize(tree));
  }
};

struct nlohmann_dump {
  static constexpr std::string_view name = "nlohmann::json::dump()";
  int indent = -1;
  bool ensure_ascii = false;
  template <class Json, class Sink>
  void operator()(const Json& tree, Sink&& sink) {
    sink(tree.dump(indent, ' ', ensure_ascii));
  }
};

// RapidJSON's Writer (or PrettyWriter, or a Writer to ASCII) into a StringBuffer, both
// reused: Reset() and Clear() keep what they allocated.
template <class Buffer = rapidjson::StringBuffer, class Writer = rapidjson::Writer<Buffer>>
struct rapidjson_writer {
  static constexpr std::string_view name = "rapidjson::Writer";
  Buffer buffer;
  Writer writer{buffer};

  rapidjson_writer() = default;
  explicit rapidjson_writer(unsigned indent) { writer.SetIndent(' ', indent); }

  template <class Tree, class Sink>
  void operator()(const Tree& tree, Sink&& sink) {
    buffer.Clear();
    writer.Reset(buffer);
    if (!tree.Accept(writer)) fail("RapidJSON's writer refused the tree (NaN or infinity?)");
    sink(std::string_view(buffer.GetString(), buffer.GetSize()));
  }
};

// yyjson's one-shot writer on its own immutable document: one malloc'd text, freed after.
struct yyjson_write {
  static constexpr std::string_view name = "yyjson_write()";
  template <class Sink>
  void operator()(const yyjson_document& tree, Sink&& sink) {
    std::size_t size = 0;
    char* text = ::yyjson_write(tree.doc.get(), 0, &size);
    if (text == nullptr) fail("yyjson_write failed");
    sink(std::string_view(text, size));
    std::free(text);
  }
};

using rapidjson_ascii_writer =
    rapidjson_writer<rapidjson::StringBuffer,
                     rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::ASCII<>>>;
using rapidjson_pretty_writer =
    rapidjson_writer<rapidjson::StringBuffer, rapidjson::PrettyWriter<rapidjson::StringBuffer>>;

}  // namespace bench::contender
