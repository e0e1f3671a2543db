#pragma once

// The contenders on the shared corpora, as bench_corpora times them and bench_memory
// weighs them: each corpus in every form a contender writes (Boost.JSON's tree,
// nlohmann::ordered_json, a rapidjson::Document, a yyjson document, native structs), the
// check of each
// contender's text, and the list of benchmarks, named "<contender>/<corpus>".

#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>

#include <benchmark/benchmark.h>
#include <boost/json/value.hpp>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>

#include "bench_support.hpp"
#include "contenders.hpp"
#include "corpus_structs.hpp"
#include "tree_copies.hpp"

namespace bench {

// One file of the shared corpus, written from a `Tree`.
template <class Tree>
struct corpus {
  std::string_view file;
};

inline void make_tree(const json::value& source, nlohmann::ordered_json& tree) {
  tree = to_nlohmann<nlohmann::ordered_json>(source);
}

inline void make_tree(const json::value& source, rapidjson::Document& tree) { copy_to_rapidjson(source, tree); }

inline void make_tree(const json::value& source, yyjson_document& tree) { copy_to_yyjson(source, tree); }

template <class Native>
void make_tree(const json::value& source, Native& tree) {
  try {
    fill(tree, source);
  } catch (const std::exception& error) {
    fail(std::string("the native structs do not fit the corpus: ") + error.what());
  }
}

// The corpus file as a `Tree`, made from its Boost.JSON tree on first use and kept for
// the run.
template <class Tree>
const Tree& corpus_as(std::string_view file) {
  if constexpr (std::is_same_v<Tree, json::value>) {
    return corpus_tree(file);
  } else {
    static std::map<std::string, Tree, std::less<>> trees;
    if (auto found = trees.find(file); found != trees.end()) return found->second;
    Tree& tree = trees[std::string(file)];
    make_tree(corpus_tree(file), tree);
    return tree;
  }
}

// Aborts unless the text `writer` writes from `tree` parses back to the corpus's tree,
// members in the same order. Returns the size of that text.
template <class Writer, class Tree>
std::size_t checked_text_size(Writer& writer, const Tree& tree, std::string_view file) {
  const std::string text = whole_text(writer, tree);
  if (!parses_to(text, corpus_tree(file))) {
    fail(std::string(Writer::name) + " on " + std::string(file) + ": its text does not parse back to the same tree");
  }
  return text.size();
}

}  // namespace bench

// Registers benchmark `name` once per corpus that `tree` is made for.
#define BENCH_ON_EACH_CORPUS(name, tree)                                           \
  BENCHMARK_CAPTURE(name, twitter, ::bench::corpus<tree>{"twitter.json"});           \
  BENCHMARK_CAPTURE(name, citm_catalog, ::bench::corpus<tree>{"citm_catalog.json"}); \
  BENCHMARK_CAPTURE(name, canada, ::bench::corpus<tree>{"canada.json"})
#define BENCH_ON_NATIVE_CORPORA(name)                                                          \
  BENCHMARK_CAPTURE(name, twitter, ::bench::corpus<::bench::twitter::document>{"twitter.json"}); \
  BENCHMARK_CAPTURE(name, citm_catalog, ::bench::corpus<::bench::citm::catalog>{"citm_catalog.json"})

// A benchmark function `name` that runs `measure<writer>(state, corpus)`: BENCHMARK_CAPTURE
// names each benchmark after the function it runs.
#define BENCH_CORPUS_CONTENDER(measure, name, writer) \
  constexpr auto name = [](benchmark::State& state, auto corpus) { measure<::bench::contender::writer>(state, corpus); }

// Every contender on every corpus it has a form for, each run by `measure<Writer>`.
#define BENCH_CORPUS_CONTENDERS(measure)                                  \
  BENCH_CORPUS_CONTENDER(measure, iterjson_next, iterjson_next);          \
  BENCH_CORPUS_CONTENDER(measure, iterjson_read, iterjson_read);          \
  BENCH_CORPUS_CONTENDER(measure, iterjson_to_string, iterjson_to_string); \
  BENCH_CORPUS_CONTENDER(measure, iterjson_append_to, iterjson_append_to); \
  BENCH_CORPUS_CONTENDER(measure, boost_serializer, boost_serializer);    \
  BENCH_CORPUS_CONTENDER(measure, boost_serialize, boost_serialize);      \
  BENCH_ON_EACH_CORPUS(iterjson_next, ::boost::json::value);              \
  BENCH_ON_EACH_CORPUS(iterjson_read, ::boost::json::value);              \
  BENCH_ON_EACH_CORPUS(iterjson_to_string, ::boost::json::value);         \
  BENCH_ON_EACH_CORPUS(iterjson_append_to, ::boost::json::value);         \
  BENCH_ON_EACH_CORPUS(boost_serializer, ::boost::json::value);           \
  BENCH_ON_EACH_CORPUS(boost_serialize, ::boost::json::value);            \
                                                                          \
  BENCH_CORPUS_CONTENDER(measure, nlohmann_dump, nlohmann_dump);                   \
  BENCH_CORPUS_CONTENDER(measure, iterjson_next_nlohmann, iterjson_next);          \
  BENCH_CORPUS_CONTENDER(measure, iterjson_read_nlohmann, iterjson_read);          \
  BENCH_CORPUS_CONTENDER(measure, iterjson_to_string_nlohmann, iterjson_to_string); \
  BENCH_ON_EACH_CORPUS(nlohmann_dump, ::nlohmann::ordered_json);                   \
  BENCH_ON_EACH_CORPUS(iterjson_next_nlohmann, ::nlohmann::ordered_json);          \
  BENCH_ON_EACH_CORPUS(iterjson_read_nlohmann, ::nlohmann::ordered_json);          \
  BENCH_ON_EACH_CORPUS(iterjson_to_string_nlohmann, ::nlohmann::ordered_json);     \
                                                                                   \
  BENCH_CORPUS_CONTENDER(measure, rapidjson_writer, rapidjson_writer<>);             \
  BENCH_CORPUS_CONTENDER(measure, iterjson_next_rapidjson, iterjson_next);           \
  BENCH_CORPUS_CONTENDER(measure, iterjson_read_rapidjson, iterjson_read);           \
  BENCH_CORPUS_CONTENDER(measure, iterjson_to_string_rapidjson, iterjson_to_string); \
  BENCH_ON_EACH_CORPUS(rapidjson_writer, ::rapidjson::Document);                     \
  BENCH_ON_EACH_CORPUS(iterjson_next_rapidjson, ::rapidjson::Document);              \
  BENCH_ON_EACH_CORPUS(iterjson_read_rapidjson, ::rapidjson::Document);              \
  BENCH_ON_EACH_CORPUS(iterjson_to_string_rapidjson, ::rapidjson::Document);         \
                                                                                     \
  BENCH_CORPUS_CONTENDER(measure, yyjson_write, yyjson_write);                        \
  BENCH_CORPUS_CONTENDER(measure, iterjson_next_yyjson, iterjson_next);               \
  BENCH_CORPUS_CONTENDER(measure, iterjson_read_yyjson, iterjson_read);               \
  BENCH_CORPUS_CONTENDER(measure, iterjson_to_string_yyjson, iterjson_to_string);     \
  BENCH_CORPUS_CONTENDER(measure, iterjson_append_to_yyjson, iterjson_append_to);     \
  BENCH_ON_EACH_CORPUS(yyjson_write, ::bench::yyjson_document);                       \
  BENCH_ON_EACH_CORPUS(iterjson_next_yyjson, ::bench::yyjson_document);               \
  BENCH_ON_EACH_CORPUS(iterjson_read_yyjson, ::bench::yyjson_document);               \
  BENCH_ON_EACH_CORPUS(iterjson_to_string_yyjson, ::bench::yyjson_document);          \
  BENCH_ON_EACH_CORPUS(iterjson_append_to_yyjson, ::bench::yyjson_document);          \
                                                                                      \
  BENCH_CORPUS_CONTENDER(measure, iterjson_next_native, iterjson_next);              \
  BENCH_CORPUS_CONTENDER(measure, iterjson_read_native, iterjson_read);              \
  BENCH_CORPUS_CONTENDER(measure, iterjson_to_string_native, iterjson_to_string);    \
  BENCH_CORPUS_CONTENDER(measure, iterjson_append_to_native, iterjson_append_to);    \
  BENCH_ON_NATIVE_CORPORA(iterjson_next_native);                                     \
  BENCH_ON_NATIVE_CORPORA(iterjson_read_native);                                     \
  BENCH_ON_NATIVE_CORPORA(iterjson_to_string_native);                                \
  BENCH_ON_NATIVE_CORPORA(iterjson_append_to_native)
