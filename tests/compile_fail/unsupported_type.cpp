// Must not compile: nothing says how to encode a widget. The test compile_fail (in
// meson.build beside this file) checks that the error names the type.
#include <iterjson/iterjson.hpp>

struct widget {
  int parts;
};

int main() { return static_cast<int>(iterjson::to_string(widget{3}).size()); }
