// Encodes one corpus, in one form, a given number of times with read() into 64 KiB:
// the program scripts/instructions.sh runs under cachegrind. The difference between the
// instruction counts of two runs that differ only in the count of encodes is the exact
// cost of encoding, without the cost of parsing and copying the corpus.
//
//   encode_repeatedly boost|yyjson|native twitter|citm_catalog|canada COUNT

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench_support.hpp"
#include "corpus_contenders.hpp"

namespace {

template <class Tree>
std::size_t encode(std::string_view file, long count) {
  const Tree& tree = bench::corpus_as<Tree>(file);
  bench::contender::iterjson_read writer;
  std::size_t bytes = 0;
  for (long i = 0; i < count; ++i) writer(tree, [&](std::string_view slice) { bytes += slice.size(); });
  return bytes;
}

int usage() {
  std::fputs("usage: encode_repeatedly boost|yyjson|native twitter|citm_catalog|canada COUNT\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return usage();
  const std::string_view form = argv[1];
  const std::string file = std::string(argv[2]) + ".json";
  const long count = std::strtol(argv[3], nullptr, 10);
  std::size_t bytes = 0;
  if (form == "boost") {
    bytes = encode<boost::json::value>(file, count);
  } else if (form == "yyjson") {
    bytes = encode<bench::yyjson_document>(file, count);
  } else if (form == "native" && file == "twitter.json") {
    bytes = encode<bench::twitter::document>(file, count);
  } else if (form == "native" && file == "citm_catalog.json") {
    bytes = encode<bench::citm::catalog>(file, count);
  } else {
    return usage();
  }
  std::printf("%zu bytes\n", bytes);
}
