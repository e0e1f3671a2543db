// Encodes one corpus, in one form, a given number of times: with read() into 64 KiB, or
// with next() in 4 KiB, to_string, append_to into one reused string, or, on the yyjson
// document, yyjson_write itself, the mark to beat. It is the program
// scripts/instructions.sh runs under cachegrind: the difference between the instruction
// counts of two runs that differ only in the count of encodes is the exact cost of
// encoding, without the cost of parsing and copying the corpus.
//
//   encode_repeatedly boost|yyjson|native twitter|citm_catalog|canada COUNT [read|next|to_string|append_to|yyjson_write]

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>

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

std::string_view writer = "read";

template <class Tree>
std::size_t encode(std::string_view file, long count) {
  const Tree& tree = bench::corpus_as<Tree>(file);
  if constexpr (std::is_same_v<Tree, bench::yyjson_document>) {
    if (writer == "yyjson_write") return encode_with<bench::contender::yyjson_write>(tree, count);
  }
  if (writer == "to_string") return encode_with<bench::contender::iterjson_to_string>(tree, count);
  if (writer == "append_to") return encode_with<bench::contender::iterjson_append_to>(tree, count);
  if (writer == "next") return encode_with<bench::contender::iterjson_next>(tree, count);
  return encode_with<bench::contender::iterjson_read>(tree, count);
}

int usage() {
  std::fputs("usage: encode_repeatedly boost|yyjson|native twitter|citm_catalog|canada COUNT [read|next|to_string|append_to|yyjson_write]\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) return usage();
  const std::string_view form = argv[1];
  if (argc == 5) writer = argv[4];
  if (writer != "read" && writer != "next" && writer != "to_string" && writer != "append_to" &&
      (writer != "yyjson_write" || form != "yyjson")) {
    return usage();
  }
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
