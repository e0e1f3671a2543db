// Must not compile: nothing says how to encode a widget. traits_test.cpp compiles this
// file and checks that the error names the type.
#include <iterjson/iterjson.hpp>

struct widget {
  int parts;
};

int main() { return static_cast<int>(iterjson::to_string(widget{3}).size()); }
