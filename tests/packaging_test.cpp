// How users bring iterjson in: installed, then found by CMake's find_package and by
// pkg-config, and as a Meson subproject. tests/packaging/check_consumers.sh builds a
// small program each way; this runs it.

#include <cstdio>
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

TEST_CASE("a consumer builds with CMake find_package, pkg-config and a Meson subproject") {
  char work[] = "/tmp/iterjson-packaging-XXXXXX";
  REQUIRE(::mkdtemp(work) != nullptr);
  const std::string tests = ITERJSON_TESTS_DIR;
  const std::string command = "bash \"" + tests + "/packaging/check_consumers.sh\" \"" + tests + "/..\" \"" +
                              work + "/work\" \"" + ITERJSON_CXX + "\" 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) != 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  CHECK_MESSAGE(status == 0, output);
  CHECK(output ==
        "cmake: {\"primes\":[2,3,5]}\n"
        "pkg-config: {\"primes\":[2,3,5]}\n"
        "meson subproject: {\"primes\":[2,3,5]}\n");
  CHECK(std::system(("rm -rf \"" + std::string(work) + "\"").c_str()) == 0);
}
