// How users bring iterjson in: installed, then found by CMake's find_package, by
// pkg-config and by Meson's dependency(); and as a Meson subproject. tests/packaging/check_consumers.sh builds a
// small program each way; this runs it.

#include <cstdlib>
#include <string>

#include "test_support.hpp"

TEST_CASE("a consumer builds with CMake find_package, pkg-config, Meson on the installed tree and a Meson subproject") {
  char work[] = "/tmp/iterjson-packaging-XXXXXX";
  REQUIRE(::mkdtemp(work) != nullptr);
  const std::string tests = ITERJSON_TESTS_DIR;
  const auto consumers = iterjson::testing::run_command("bash \"" + tests + "/packaging/check_consumers.sh\" \"" + tests +
                                                        "/..\" \"" + work + "/work\" \"" + ITERJSON_CXX + "\"");
  CHECK_MESSAGE(consumers.status == 0, consumers.output);
  CHECK(consumers.output ==
        "cmake: {\"primes\":[2,3,5]}\n"
        "pkg-config: {\"primes\":[2,3,5]}\n"
        "meson, installed: {\"primes\":[2,3,5]}\n"
        "meson subproject: {\"primes\":[2,3,5]}\n");
  CHECK(iterjson::testing::run_command("rm -rf \"" + std::string(work) + "\"").status == 0);
}
