// Encoding throughput on the shared corpora, iterjson against one-shot writers on the
// same data. Each corpus is parsed once into a Boost.JSON tree; nlohmann::ordered_json
// and rapidjson::Document copies of it, and native structs filled from it (twitter and
// citm_catalog), hold the very same data. Every writer of a tree is measured together
// with iterjson writing that same tree:
//
// - Boost.JSON's tree: iterjson_{next,read,to_string}, boost_serializer, boost_serialize;
// - nlohmann::ordered_json: nlohmann_dump, iterjson_{next,read,to_string}_nlohmann;
// - rapidjson::Document: rapidjson_writer, iterjson_{next,read,to_string}_rapidjson;
// - a yyjson document: yyjson_write, iterjson_{next,read,to_string}_yyjson;
// - native structs (ITERJSON_FIELDS): iterjson_{next,read,to_string}_native.
//
// Each benchmark is named "<contender>/<corpus>" and reports bytes per second of its own
// output, which is not always the same size: Boost writes doubles as 8.7E-2 where
// iterjson writes 0.087 (canada.json: 2,285,629 bytes against 2,063,469).

#include <cstddef>

#include <benchmark/benchmark.h>

#include "bench_support.hpp"
#include "corpus_contenders.hpp"

namespace {

// Times `Writer` writing one corpus from a `Tree`, after checking its text.
template <class Writer, class Tree>
void measure(benchmark::State& state, bench::corpus<Tree> corpus) {
  const Tree& tree = bench::corpus_as<Tree>(corpus.file);
  Writer writer;
  const std::size_t text_size = bench::checked_text_size(writer, tree, corpus.file);
  bench::time_writer(state, writer, tree, text_size, corpus.file);
}

BENCH_CORPUS_CONTENDERS(measure);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks(argc, argv); }
