// A program of a project that uses an installed iterjson: built by CMake, by a plain
// compiler with pkg-config's flags, and by Meson with iterjson as a subproject.
#include <iterjson/iterjson.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

int main() {
  const std::map<std::string, std::vector<int>> value{{"primes", {2, 3, 5}}};
  // A float too: numbers need nothing but these headers, not fmt.
  std::puts((iterjson::to_string(value) + " " + iterjson::to_string(0.1f)).c_str());
}
