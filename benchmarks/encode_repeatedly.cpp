// Encodes one corpus, in one form, a given number of times with read() into 64 KiB (or
// with to_string): the program scripts/instructions.sh runs under cachegrind. The difference between the
// instruction counts of two runs that differ only in the count of encodes is the exact
// cost of encoding, without the cost of parsing and copying the corpus.
//
//   encode_repeatedly boost|yyjson|native twitter|citm_catalog|canada COUNT [read|to_string]

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench_support.hpp"
#include "corpus_contenders.hpp"

namespace {

template <class Writer, class Tree>
std::size_t encode_with(const Tree& tree, long count) {
  Writer writer;
  std::size_t bytes = 0;
  for (long i = 0; i < count; ++i) writer(tree, [&](std::string_view text) { bytes += text.size(); });
  return bytes;
}

bool by_to_string = false;

template <class Tree>
std::size_t encode(std::string_view file, long count) {
  const Tree& tree = bench::corpus_as<Tree>(file);
  if (by_to_string) return encode_with<bench::contender::iterjson_to_string>(tree, count);
  return encode_with<bench::contender::iterjson_read>(tree, count);
}

int usage() {
  std::fputs("usage: encode_repeatedly boost|yyjson|native twitter|citm_catalog|canada COUNT [read|to_string]\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) return usage();
  if (argc == 5) {
    if (std::string_view(argv[4]) != "read" && std::string_view(argv[4]) != "to_string") return usage();
    by_to_string = std::string_view(argv[4]) == "to_string";
  }
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
