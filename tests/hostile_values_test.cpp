// Hostile values (issue 6): NaN and Infinity, invalid UTF-8, nesting past max_depth,
// cycles through shared_ptr, exceptions (std::bad_alloc among them) from every kind of
// user code the encoder calls, a string over 2 GiB, empty and duplicate keys.
//
// Each case has one of two outcomes, stated exactly: the complete text, the same every
// way it is drained; or a failure with its error code, path and message (or the user's
// exception, unchanged), after which the encoder is failed and done and writes nothing.

#include "iterjson/iterjson.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "iterjson/generator.hpp"
#include "iterjson/source.hpp"
#include "test_support.hpp"

namespace {

// --- user code that throws -------------------------------------------------------------

struct user_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Not a std::exception: it must come out as it went in, not wrapped.
struct foreign_error {
  std::string message;
};

// What user code throws: a std::runtime_error of its own, something that is no
// std::exception at all, or std::bad_alloc.
enum class flavor { user_error, foreign_error, bad_alloc };

[[noreturn]] void raise(flavor how, const std::string& message) {
  switch (how) {
    case flavor::user_error:
      throw user_error(message);
    case flavor::foreign_error:
      throw foreign_error{message};
    case flavor::bad_alloc:
      throw std::bad_alloc();
  }
  std::abort();
}

std::string said(const std::exception& error) { return error.what(); }
std::string said(const foreign_error& error) { return error.message; }

std::string fault_message(std::size_t position, std::size_t count) {
  return position == count ? std::string("cannot end") : "no element " + std::to_string(position);
}

// A range of 0, 1, ..., count - 1 whose begin(), dereference of element `at`, or
// increment past element `at` throws.
enum class range_fault { begin, dereference, increment };

struct faulty_range {
  std::size_t count;
  std::size_t at;
  range_fault where;
  flavor how;

  class iterator {
   public:
    using value_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const faulty_range* range, std::size_t index) : range_(range), index_(index) {}
    std::size_t operator*() const {
      if (range_->where == range_fault::dereference && index_ == range_->at) {
        raise(range_->how, "no element " + std::to_string(index_));
      }
      return index_;
    }
    iterator& operator++() {
      if (range_->where == range_fault::increment && index_ == range_->at) {
        raise(range_->how, "cannot step past " + std::to_string(index_));
      }
      ++index_;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return index_ == range_->count; }

   private:
    const faulty_range* range_ = nullptr;
    std::size_t index_ = 0;
  };

  [[nodiscard]] iterator begin() const {
    if (where == range_fault::begin) raise(how, "cannot begin");
    return {this, 0};
  }
  [[nodiscard]] std::default_sentinel_t end() const { return {}; }
};

// The strings a faulty_generator yields: containers the encoder keeps while writing.
std::string element_text(std::size_t i) { return "element " + std::to_string(i) + "\tof a generator"; }

// The text of faulty_generator(count, ...) had it not thrown.
std::string generated_text(std::size_t count) {
  std::string text = "[";
  for (std::size_t i = 0; i < count; ++i)
    text += (i == 0 ? "\"element " : ",\"element ") + std::to_string(i) + "\\tof a generator\"";
  return text + "]";
}

// Yields element_text(0), ..., element_text(count - 1), throwing when about to make
// element `at` (at == count: when about to end).
iterjson::generator<std::string> faulty_generator(std::size_t count, std::size_t at, flavor how) {
  for (std::size_t i = 0; i < count; ++i) {
    if (i == at) raise(how, fault_message(i, count));
    co_yield element_text(i);
  }
  if (at == count) raise(how, fault_message(count, count));
}

// A callable returning std::optional: 0, ..., count - 1, then empty; the call that
// would return element `at` (at == count: the empty end) throws.
struct faulty_puller {
  std::size_t count;
  std::size_t at;
  flavor how;
  std::size_t next = 0;
  std::optional<std::size_t> operator()() {
    if (next == at) raise(how, fault_message(next, count));
    if (next == count) return std::nullopt;
    return next++;
  }
};

// A pollable source, likewise.
struct faulty_source {
  std::size_t count;
  std::size_t at;
  flavor how;
  std::size_t next = 0;
  iterjson::poll_result<std::size_t> poll(const iterjson::waker&) {
    if (next == at) raise(how, fault_message(next, count));
    if (next == count) return iterjson::exhausted;
    return next++;
  }
};

// Converted by encode_as to the string "tN"; an armed one throws instead.
struct tripwire {
  std::size_t value;
  bool armed;
  flavor how;
};

// Converted by encode_as to a faulty_range, which the encoder keeps while writing it.
struct lazy_rows {
  faulty_range rows;
};

// Converted by encode_as to the string "sN", so a temporary one is moved into a frame of
// its own: an armed one throws from its move constructor, while the frame is built.
struct sticky {
  std::size_t value;
  bool armed;
  flavor how;
  sticky(std::size_t v, bool a, flavor h) : value(v), armed(a), how(h) {}
  sticky(const sticky&) = default;
  sticky(sticky&& other) : value(other.value), armed(other.armed), how(other.how) {  // NOLINT: may throw
    if (armed) raise(how, "cannot move " + std::to_string(value));
  }
  sticky& operator=(const sticky&) = default;
  ~sticky() = default;
};

// A range of temporary stickies, made when dereferenced; element `at` is armed.
struct sticky_row {
  std::size_t count;
  std::size_t at;
  flavor how;

  class iterator {
   public:
    using value_type = sticky;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const sticky_row* row, std::size_t index) : row_(row), index_(index) {}
    sticky operator*() const { return {index_, index_ == row_->at, row_->how}; }
    iterator& operator++() {
      ++index_;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return index_ == row_->count; }

   private:
    const sticky_row* row_ = nullptr;
    std::size_t index_ = 0;
  };
  [[nodiscard]] iterator begin() const { return {this, 0}; }
  [[nodiscard]] std::default_sentinel_t end() const { return {}; }
};

// `remaining` arrays around a sticky_row: each level a few frames, so that the frame
// of the armed sticky lands at every offset of the encoder's stack blocks.
struct sticky_nest {
  std::size_t remaining;
  sticky_row row;
};

// A sticky_nest behind `Pad` bytes, held by the root frame: shifts every frame above it
// by whole alignment units.
template <std::size_t Pad>
struct padded_nest {
  sticky_nest nest;
  std::array<char, Pad> pad{};
};

// Its JSON kind chosen at run time by variant_traits; an armed one throws from visit.
struct shape_shifter {
  bool armed;
  flavor how;
};

// An allocator with a budget of allocations, after which it throws std::bad_alloc:
// out of memory in the middle of a stream, without replacing operator new.
template <class T>
struct budget_allocator {
  using value_type = T;
  explicit budget_allocator(std::shared_ptr<std::size_t> allocations_left) : left(std::move(allocations_left)) {}
  template <class U>
  budget_allocator(const budget_allocator<U>& other) noexcept : left(other.left) {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    if (*left == 0) throw std::bad_alloc();
    --*left;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  friend bool operator==(const budget_allocator& a, const budget_allocator& b) noexcept { return a.left == b.left; }

  std::shared_ptr<std::size_t> left;
};

using budget_string = std::basic_string<char, std::char_traits<char>, budget_allocator<char>>;

// --- recursive and self-referencing values ---------------------------------------------

// `remaining` more levels of arrays, each made only when the encoder reaches it: deep
// nesting without a deep structure in memory (or a deep recursion to free it).
struct deep_array {
  std::size_t remaining;
};

// Likewise with objects, each with the one key `key`.
struct deep_object {
  std::size_t remaining;
  std::string key;
};

struct vertex {
  std::vector<std::shared_ptr<vertex>> edges;
};

struct reading {
  std::string label;
  double value;
};

}  // namespace

ITERJSON_FIELDS(reading, label, value);

template <>
struct iterjson::encode_as<tripwire> {
  static std::string convert(const tripwire& t) {
    if (t.armed) raise(t.how, "tripped at " + std::to_string(t.value));
    return "t" + std::to_string(t.value);
  }
};

template <>
struct iterjson::encode_as<lazy_rows> {
  static faulty_range convert(const lazy_rows& rows) { return rows.rows; }
};

template <>
struct iterjson::encode_as<sticky> {
  static std::string convert(const sticky& s) { return "s" + std::to_string(s.value); }
};

template <>
struct iterjson::encode_as<sticky_nest> {
  static std::variant<std::vector<sticky_nest>, sticky_row> convert(const sticky_nest& nest) {
    if (nest.remaining == 0) return nest.row;
    return std::vector<sticky_nest>{{nest.remaining - 1, nest.row}};
  }
};

template <std::size_t Pad>
struct iterjson::encode_as<padded_nest<Pad>> {
  static const sticky_nest& convert(const padded_nest<Pad>& padded) { return padded.nest; }
};

template <>
struct iterjson::variant_traits<shape_shifter> {
  template <class Visitor>
  static void visit(const shape_shifter& s, Visitor&& visitor) {
    if (s.armed) raise(s.how, "no shape");
    visitor(std::vector<int>{1, 2});
  }
};

template <>
struct iterjson::encode_as<deep_array> {
  static std::vector<deep_array> convert(const deep_array& level) {
    if (level.remaining == 0) return {};
    return {deep_array{level.remaining - 1}};
  }
};

template <>
struct iterjson::encode_as<deep_object> {
  static std::map<std::string, deep_object> convert(const deep_object& level) {
    if (level.remaining == 0) return {};
    return {{level.key, deep_object{level.remaining - 1, level.key}}};
  }
};

template <>
struct iterjson::encode_as<vertex> {
  static const std::vector<std::shared_ptr<vertex>>& convert(const vertex& v) { return v.edges; }
};

namespace {

using iterjson::encode_errc;
using iterjson::nan_policy;
using iterjson::options;
using iterjson::utf8_policy;
using iterjson::testing::concat_next;
using iterjson::testing::concat_read;

// --- the two outcomes -------------------------------------------------------------------

// Every way, as encode_every_way_from, and besides next() and read() at every size from
// 1 to 8: the text, the same each way. `make()` gives a fresh value for each way.
template <class Make>
std::string every_way(Make make, const options& opts = {}) {
  const std::string text = iterjson::testing::encode_every_way_from(make, opts);
  for (std::size_t n = 1; n <= 8; ++n) {
    options small = opts;
    small.chunk_size = n;
    CHECK(concat_next(make(), small) == text);
    CHECK(concat_read(make(), n, opts) == text);
  }
  return text;
}

// The sizes failures are drained with: next() with that chunk_size, and read() of that size.
constexpr std::size_t slice_sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 13, 64, 4096};

// Drains `enc` by next() (read_size 0) or read(read_size) until it throws Exception,
// which `inspect` checks; then checks that the encoder is failed and done and gives
// nothing more, by either call. Returns the text handed out before the failure.
template <class Exception, class Inspect>
std::string drain_to_failure(iterjson::encoder& enc, std::size_t read_size, Inspect inspect) {
  std::string out;
  std::string buffer(std::max<std::size_t>(read_size, 16), '\0');
  bool thrown = false;
  try {
    while (!enc.done()) {
      if (read_size == 0) {
        out += enc.next();
      } else {
        out.append(buffer.data(), enc.read(buffer.data(), read_size));
      }
    }
  } catch (const Exception& error) {
    thrown = true;
    inspect(error);
  }
  REQUIRE_MESSAGE(thrown, "finished without the exception: " << out);
  CHECK(enc.failed());
  CHECK(enc.done());
  CHECK(!enc.waiting());
  for (int again = 0; again < 2; ++again) {
    CHECK(enc.next().empty());
    CHECK(enc.read(buffer.data(), buffer.size()) == 0);
  }
  return out;
}

// Checks the text handed out before a failure: whole slices of `size`, a prefix of
// `substitute` (the text with the offending value allowed), ending at or before `at`,
// where the offending value's text begins in it.
void check_text_before(const std::string& out, std::size_t size, std::string_view substitute, std::size_t at) {
  CHECK(out.size() % size == 0);
  CHECK(out.size() <= at);
  CHECK_MESSAGE(substitute.starts_with(out), out);
}

// What an encode_error must carry.
struct refusal {
  encode_errc code;
  std::string path;
  std::string message;  // what(): the reason, then the path
};

void check_refusal(const iterjson::encode_error& error, const refusal& expected) {
  CHECK(error.code() == expected.code);
  CHECK(error.path() == expected.path);
  CHECK(std::string_view(error.what()) == expected.message);
}

// Every way of encoding the value fails with `expected`: to_string (both overloads),
// iterencode, and next() and read() at every slice size.
template <class Make>
void expect_refusal(Make make, const options& opts, const refusal& expected, std::string_view substitute,
                    std::size_t at) {
  CAPTURE(expected.message);
  bool thrown = false;
  try {
    (void)iterjson::to_string(make(), opts);
  } catch (const iterjson::encode_error& error) {
    thrown = true;
    check_refusal(error, expected);
  }
  CHECK(thrown);
  std::error_code code;
  CHECK(iterjson::to_string(make(), opts, code).empty());
  CHECK(code == expected.code);
  thrown = false;
  try {
    for (const std::string_view slice : iterjson::iterencode(make(), opts)) (void)slice;
  } catch (const iterjson::encode_error& error) {
    thrown = true;
    check_refusal(error, expected);
  }
  CHECK(thrown);
  for (const std::size_t size : slice_sizes) {
    for (const bool by_read : {false, true}) {
      CAPTURE(size);
      CAPTURE(by_read);
      options drained = opts;
      if (!by_read) drained.chunk_size = size;
      iterjson::encoder enc(make(), drained);
      const std::string out = drain_to_failure<iterjson::encode_error>(
          enc, by_read ? size : 0, [&](const iterjson::encode_error& error) { check_refusal(error, expected); });
      CHECK(enc.error() == expected.code);
      CHECK(enc.error_path() == expected.path);
      CHECK(enc.error_message() == expected.message);
      check_text_before(out, size, substitute, at);
    }
  }
}

// Every way of encoding the value throws the user's Exception, with `message`,
// unchanged: to_string (both overloads: the error_code one reports only encode_errc
// errors), iterencode, next() and read() at every slice size. The encoder then says
// exception_thrown at `path`. `whole` is the text had nothing thrown.
template <class Exception, class Make>
void expect_propagation(Make make, const options& opts, const std::string& path, const std::string& message,
                        std::string_view whole) {
  CAPTURE(path);
  CAPTURE(message);
  auto inspect = [&](const Exception& error) { CHECK(said(error) == message); };
  int thrown = 0;
  try {
    (void)iterjson::to_string(make(), opts);
  } catch (const Exception& error) {
    ++thrown;
    inspect(error);
  }
  try {
    std::error_code code;
    (void)iterjson::to_string(make(), opts, code);
  } catch (const Exception& error) {
    ++thrown;
    inspect(error);
  }
  try {
    for (const std::string_view slice : iterjson::iterencode(make(), opts)) (void)slice;
  } catch (const Exception& error) {
    ++thrown;
    inspect(error);
  }
  CHECK(thrown == 3);
  for (const std::size_t size : slice_sizes) {
    for (const bool by_read : {false, true}) {
      CAPTURE(size);
      CAPTURE(by_read);
      options drained = opts;
      if (!by_read) drained.chunk_size = size;
      iterjson::encoder enc(make(), drained);
      const std::string out = drain_to_failure<Exception>(enc, by_read ? size : 0, inspect);
      CHECK(enc.error() == encode_errc::exception_thrown);
      CHECK(enc.error().message() == "an exception was thrown while encoding");
      CHECK(enc.error_path() == path);
      CHECK(enc.error_message().empty());  // the user's exception carries the message
      check_text_before(out, size, whole, whole.size() - 1);
    }
  }
}

// The same fault thrown as each flavor: `make_with(how)` makes a value that throws `how`.
template <class MakeWith>
void expect_each_flavor(MakeWith make_with, const std::string& path, const std::string& message, std::string_view whole,
                        const options& opts = {}) {
  expect_propagation<user_error>([&] { return make_with(flavor::user_error); }, opts, path, message, whole);
  expect_propagation<foreign_error>([&] { return make_with(flavor::foreign_error); }, opts, path, message, whole);
  expect_propagation<std::bad_alloc>([&] { return make_with(flavor::bad_alloc); }, opts, path, std::bad_alloc().what(),
                                     whole);
}

// "[0,1,...,count-1]"
std::string counting_text(std::size_t count) {
  std::string text = "[";
  for (std::size_t i = 0; i < count; ++i) text += (i == 0 ? "" : ",") + std::to_string(i);
  return text + "]";
}

std::string repeated(std::string_view piece, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += piece;
  return text;
}

// "/0/0/.../0", `count` times: the path of the array at that depth of a chain.
std::string zeros_path(std::size_t count) { return repeated("/0", count); }

// --- NaN and Infinity --------------------------------------------------------------------

template <class Float>
struct non_finite {
  Float value;
  const char* literal;  // as nan_policy::literal writes it, and as a path segment
};

template <class Float>
std::vector<non_finite<Float>> non_finite_values() {
  using limits = std::numeric_limits<Float>;
  return {{limits::quiet_NaN(), "NaN"},
          {-limits::quiet_NaN(), "NaN"},  // the sign of a NaN is not written
          {limits::signaling_NaN(), "NaN"},
          {limits::infinity(), "Infinity"},
          {-limits::infinity(), "-Infinity"}};
}

// One value in each place, written under null and literal and refused under error.
template <class Float>
void check_non_finite() {
  for (const non_finite<Float>& c : non_finite_values<Float>()) {
    CAPTURE(c.literal);
    const std::string word = c.literal;
    const Float v = c.value;
    const auto root = [v] { return v; };
    const auto in_array = [v] { return std::vector<Float>{Float(1.5), v, Float(-2)}; };
    const auto in_object = [v] { return std::map<std::string, Float>{{"a", Float(1.5)}, {"b", v}}; };
    const auto as_key = [v] { return std::map<Float, int>{{v, 1}}; };
    const auto as_key_among_others = [v] {
      return iterjson::as_object(std::vector<std::pair<Float, int>>{{Float(1.5), 1}, {v, 2}, {Float(-0.25), 3}});
    };
    const auto as_nested_key = [v] {
      return std::map<std::string, std::map<Float, std::vector<int>>>{{"outer", {{v, {1}}}}};
    };

    for (const auto policy : {nan_policy::null, nan_policy::literal}) {
      const std::string as = policy == nan_policy::null ? "null" : word;
      const options opts{.nan = policy};
      CHECK(every_way(root, opts) == as);
      CHECK(every_way(in_array, opts) == "[1.5," + as + ",-2.0]");
      CHECK(every_way(in_array, {.indent = 2, .nan = policy}) == "[\n  1.5,\n  " + as + ",\n  -2.0\n]");
      CHECK(every_way(in_object, opts) == R"({"a":1.5,"b":)" + as + "}");
      CHECK(every_way(as_key, opts) == "{\"" + as + "\":1}");
      CHECK(every_way(as_key, {.sort_keys = true, .nan = policy}) == "{\"" + as + "\":1}");
      CHECK(every_way(as_key_among_others, opts) == R"({"1.5":1,")" + as + R"(":2,"-0.25":3})");
      CHECK(every_way(as_nested_key, opts) == R"({"outer":{")" + as + R"(":[1]}})");
    }

    // Refused, with the path of the value, or of the key (written as a path segment).
    const options refuse{.nan = nan_policy::error};
    const options allow{.nan = nan_policy::null};
    const auto expect = [&](auto make, const std::string& path) {
      const std::string substitute = iterjson::to_string(make(), allow);
      const std::size_t at = substitute.find("null");
      expect_refusal(
          make, refuse,
          {encode_errc::non_finite_number, path, word + " is not allowed by nan_policy::error at \"" + path + "\""},
          substitute, at);
    };
    expect(root, "");
    expect(in_array, "/1");
    expect(in_object, "/b");
    expect(as_key, "/" + word);
    expect(as_key_among_others, "/" + word);
    expect(as_nested_key, "/outer/" + word);
  }
}

// --- invalid UTF-8 -----------------------------------------------------------------------

struct invalid_utf8 {
  std::string bytes;
  std::size_t subparts;  // maximal invalid subparts: the U+FFFD written for them
};

std::vector<invalid_utf8> invalid_sequences() {
  std::vector<invalid_utf8> sequences{
      {"\xc0\x80", 2},          // overlong NUL
      {"\xc1\xbf", 2},          // overlong U+007F
      {"\xe0\x80\x80", 3},      // overlong NUL in three bytes
      {"\xe0\x9f\xbf", 3},      // overlong U+07FF
      {"\xf0\x80\x80\x80", 4},  // overlong NUL in four bytes
      {"\xf0\x8f\xbf\xbf", 4},  // overlong U+FFFF
      {"\xed\xa0\x80", 3},      // U+D800, a UTF-16 surrogate
      {"\xed\xbf\xbf", 3},      // U+DFFF
      {"\xf4\x90\x80\x80", 4},  // above U+10FFFF
      {"\xc3", 1},              // truncated two-byte sequence
      {"\xe2\x82", 1},          // truncated three-byte sequence
      {"\xf0\x9f\x98", 1},      // truncated four-byte sequence
      {"\x80", 1},              // lone continuation bytes
      {"\xbf", 1},
      {"\x80\x80\x80\x80\x80", 5},  // a run of them
  };
  for (int byte = 0xF5; byte <= 0xFF; ++byte) sequences.push_back({std::string(1, static_cast<char>(byte)), 1});
  return sequences;
}

std::string hex_byte(char c) {
  constexpr char hex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  return std::string("0x") + hex[byte >> 4] + hex[byte & 0xF];
}

// How a string's invalid bytes are written under each combination of options.
struct utf8_outcomes {
  std::string replaced;  // replace
  std::string ascii;     // ensure_ascii, with replace or verbatim
  std::string verbatim;  // verbatim
};

// The text of `before`, then the bad sequence, then `after`, each way it can be written.
utf8_outcomes outcomes_of(const std::string& before, const invalid_utf8& bad, const std::string& after) {
  return {before + repeated("\xEF\xBF\xBD", bad.subparts) + after, before + repeated("\\ufffd", bad.subparts) + after,
          before + bad.bytes + after};
}

// The value made by `make` holds the bad sequence; `expected` is its text each way.
// Refused under utf8_policy::error, ensure_ascii or not, with `path`.
template <class Make>
void check_utf8_policies(Make make, const invalid_utf8& bad, const utf8_outcomes& expected, const std::string& path) {
  CHECK(every_way(make, {.invalid_utf8 = utf8_policy::replace}) == expected.replaced);
  CHECK(every_way(make, {.invalid_utf8 = utf8_policy::verbatim}) == expected.verbatim);
  CHECK(every_way(make, {.ensure_ascii = true, .invalid_utf8 = utf8_policy::replace}) == expected.ascii);
  CHECK(every_way(make, {.ensure_ascii = true, .invalid_utf8 = utf8_policy::verbatim}) == expected.ascii);
  const std::size_t at = expected.replaced.find("\xEF\xBF\xBD");
  const refusal refused{
      encode_errc::invalid_utf8, path,
      "invalid UTF-8 (byte " + hex_byte(bad.bytes[0]) + ") refused by utf8_policy::error at \"" + path + "\""};
  for (const bool ascii : {false, true}) {
    expect_refusal(make, {.ensure_ascii = ascii, .invalid_utf8 = utf8_policy::error}, refused, expected.replaced, at);
  }
}

}  // namespace

// --- NaN and Infinity --------------------------------------------------------------------

TEST_CASE("hostile: NaN and Infinity as doubles, under each nan_policy, as values and keys") {
  check_non_finite<double>();
}

TEST_CASE("hostile: NaN and Infinity as floats, under each nan_policy, as values and keys") {
  check_non_finite<float>();
}

TEST_CASE("hostile: NaN in a struct's field, and in the middle of a long array") {
  const auto make = [] { return std::vector<reading>{{"x", 1.0}, {"y", std::nan("")}}; };
  CHECK(every_way(make, {.nan = nan_policy::literal}) == R"([{"label":"x","value":1.0},{"label":"y","value":NaN}])");
  const std::string substitute = iterjson::to_string(make(), {.nan = nan_policy::null});
  expect_refusal(
      make, {}, {encode_errc::non_finite_number, "/1/value", "NaN is not allowed by nan_policy::error at \"/1/value\""},
      substitute, substitute.find("null"));

  const auto long_array = [] {
    std::vector<double> values(1000, 0.5);
    values[777] = -INFINITY;
    return values;
  };
  const std::string allowed = iterjson::to_string(long_array(), {.nan = nan_policy::null});
  expect_refusal(long_array, {},
                 {encode_errc::non_finite_number, "/777", "-Infinity is not allowed by nan_policy::error at \"/777\""},
                 allowed, allowed.find("null"));
}

TEST_CASE("hostile: sort_keys with a NaN key writes every member once, and refuses it with its path") {
  const auto make = [] {
    return iterjson::as_object(std::vector<std::pair<double, int>>{{2.0, 1}, {std::nan(""), 2}, {1.0, 3}});
  };
  // NaN compares neither less nor greater than anything, so Python's order around it is
  // an accident of its sort; iterjson puts NaN keys after every number (see key_less).
  CHECK(every_way(make, {.sort_keys = true, .nan = nan_policy::literal}) == R"({"1.0":3,"2.0":1,"NaN":2})");
  const std::string substitute = iterjson::to_string(make(), {.sort_keys = true, .nan = nan_policy::null});
  expect_refusal(make, {.sort_keys = true},
                 {encode_errc::non_finite_number, "/NaN", "NaN is not allowed by nan_policy::error at \"/NaN\""},
                 substitute, substitute.find("null"));
}

TEST_CASE("hostile: sort_keys over many members with NaN keys among them stays in bounds") {
  // A comparison that is no strict weak order must not make the sort run off the
  // members (std::sort may, on a large enough input); every member is still written once.
  std::vector<std::pair<double, int>> members;
  for (int i = 0; i < 2000; ++i) members.emplace_back(i % 7 == 0 ? std::nan("") : (i * 7919) % 1000 / 8.0, i);
  const std::string text =
      iterjson::to_string(iterjson::as_object(members), {.sort_keys = true, .nan = nan_policy::literal});
  std::size_t written = 0;
  for (std::size_t at = text.find("\":"); at != std::string::npos; at = text.find("\":", at + 1)) ++written;
  CHECK(written == members.size());
  CHECK(text.front() == '{');
  CHECK(text.back() == '}');
}

// --- invalid UTF-8 -----------------------------------------------------------------------

TEST_CASE("hostile: invalid UTF-8 in values and keys, under each utf8_policy, ensure_ascii on and off") {
  for (const invalid_utf8& bad : invalid_sequences()) {
    CAPTURE(hex_byte(bad.bytes[0]));
    CAPTURE(bad.bytes.size());
    const std::string inside = "ab" + bad.bytes + "cd";
    const std::string at_end = "ab" + bad.bytes;  // truncated sequences: at the very end

    check_utf8_policies([&] { return inside; }, bad, outcomes_of("\"ab", bad, "cd\""), "");
    check_utf8_policies([&] { return at_end; }, bad, outcomes_of("\"ab", bad, "\""), "");
    check_utf8_policies(
        [&] {
          return std::vector<std::string>{"ok", at_end, "after"};
        },
        bad, outcomes_of(R"(["ok","ab)", bad, R"(","after"])"), "/1");
    check_utf8_policies(
        [&] {
          return std::map<std::string, std::string>{{"k", inside}};
        },
        bad, outcomes_of(R"({"k":"ab)", bad, R"(cd"})"), "/k");
    // Keys: the path segment is the key's bytes as they are.
    check_utf8_policies(
        [&] {
          return std::map<std::string, int>{{inside, 1}};
        },
        bad, outcomes_of(R"({"ab)", bad, R"(cd":1})"), "/" + inside);
    check_utf8_policies(
        [&] {
          return std::map<std::string, int>{{"a", 0}, {at_end, 1}};
        },
        bad, outcomes_of(R"({"a":0,"ab)", bad, R"(":1})"), "/" + at_end);
    check_utf8_policies(
        [&] {
          return iterjson::as_object(std::vector<std::pair<std::string, int>>{{"b", 1}, {"a" + bad.bytes, 2}});
        },
        bad, outcomes_of(R"({"b":1,"a)", bad, R"(":2})"), "/a" + bad.bytes);
  }
}

TEST_CASE("hostile: invalid UTF-8 in keys under sort_keys") {
  for (const invalid_utf8& bad : invalid_sequences()) {
    CAPTURE(hex_byte(bad.bytes[0]));
    // Sorted by bytes: "a" and a high byte sorts after "z".
    const auto make = [&] {
      return iterjson::as_object(std::vector<std::pair<std::string, int>>{{"z", 1}, {"a" + bad.bytes, 2}});
    };
    CHECK(every_way(make, {.sort_keys = true}) == outcomes_of(R"({"a)", bad, R"(":2,"z":1})").replaced);
    CHECK(every_way(make, {.sort_keys = true, .ensure_ascii = true}) ==
          outcomes_of(R"({"a)", bad, R"(":2,"z":1})").ascii);
    const std::string substitute = iterjson::to_string(make(), {.sort_keys = true});
    expect_refusal(make, {.sort_keys = true, .invalid_utf8 = utf8_policy::error},
                   {encode_errc::invalid_utf8, "/a" + bad.bytes,
                    "invalid UTF-8 (byte " + hex_byte(bad.bytes[0]) + ") refused by utf8_policy::error at \"/a" +
                        bad.bytes + "\""},
                   substitute, substitute.find("\xEF\xBF\xBD"));
  }
}

TEST_CASE("hostile: an invalid key is refused before its value's own error, however small the slices") {
  // The key comes first in the text, so its error comes first, even when the key is
  // still queued behind a full slice as its value fails (found by fuzz/tree_fuzzer).
  for (const invalid_utf8& bad : invalid_sequences()) {
    CAPTURE(hex_byte(bad.bytes[0]));
    const std::string key = "key" + bad.bytes;
    const auto make = [&] { return std::map<std::string, double>{{key, std::nan("")}}; };
    const std::string substitute = iterjson::to_string(make(), {.nan = nan_policy::null});
    expect_refusal(make, {.invalid_utf8 = utf8_policy::error},
                   {encode_errc::invalid_utf8, "/" + key,
                    "invalid UTF-8 (byte " + hex_byte(bad.bytes[0]) + ") refused by utf8_policy::error at \"/" + key +
                        "\""},
                   substitute, substitute.find("\xEF\xBF\xBD"));
  }
}

TEST_CASE("hostile: invalid UTF-8 straddling every slice boundary, chunk and read sizes 1 to 8") {
  // Valid sequences placed the same way are the control: they must come out whole.
  for (const invalid_utf8& bad : invalid_sequences()) {
    CAPTURE(hex_byte(bad.bytes[0]));
    CAPTURE(bad.bytes.size());
    for (const std::size_t lead : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 31}) {
      CAPTURE(lead);
      const std::string before = std::string(lead, 'x');
      const std::string followed = before + bad.bytes + "yz";
      const std::string ending = before + bad.bytes;
      check_utf8_policies([&] { return followed; }, bad, outcomes_of("\"" + before, bad, "yz\""), "");
      check_utf8_policies(
          [&] {
            return std::map<std::string, std::string>{{"k", ending}};
          },
          bad, outcomes_of(R"({"k":")" + before, bad, "\"}"), "/k");
    }
  }
  for (const std::size_t lead : {0, 1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16}) {
    const std::string valid = std::string(lead, 'x') + "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" + "yz";
    CHECK(every_way([&] { return valid; }) == "\"" + valid + "\"");
    CHECK(every_way([&] { return valid; }, {.ensure_ascii = true}) ==
          "\"" + std::string(lead, 'x') + "\\u00e9\\u20ac\\ud83d\\ude00yz\"");
    CHECK(every_way([&] { return valid; }, {.invalid_utf8 = utf8_policy::error}) == "\"" + valid + "\"");
  }
}

TEST_CASE(
    "hostile: a truncated sequence at the very end of a string's memory, or before bytes that would complete it") {
  // The string ends where its heap block ends (a sanitizer sees any read past it); or
  // the bytes right after the string would complete the sequence: neither is read.
  const std::string completions[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  for (const std::string& whole : completions) {
    for (std::size_t cut = 1; cut < whole.size(); ++cut) {
      for (std::size_t lead = 0; lead <= 20; ++lead) {
        CAPTURE(cut);
        CAPTURE(lead);
        const std::string text = std::string(lead, 'x') + whole.substr(0, cut);
        auto exact = std::make_unique<char[]>(text.size());
        std::copy(text.begin(), text.end(), exact.get());
        const std::string_view at_block_end(exact.get(), text.size());
        const std::string with_completion = text + whole.substr(cut);
        const std::string_view before_completion(with_completion.data(), text.size());
        const std::string replaced = "\"" + std::string(lead, 'x') + "\xEF\xBF\xBD\"";
        const std::string ascii = "\"" + std::string(lead, 'x') + "\\ufffd\"";
        for (const std::string_view view : {at_block_end, before_completion}) {
          CHECK(every_way([&] { return view; }) == replaced);
          CHECK(every_way([&] { return view; }, {.ensure_ascii = true}) == ascii);
          CHECK(every_way([&] {
                  return std::vector<std::string_view>{view, view};
                }) == "[" + replaced + "," + replaced + "]");
          expect_refusal([&] { return view; }, {.invalid_utf8 = utf8_policy::error},
                         {encode_errc::invalid_utf8, "",
                          "invalid UTF-8 (byte " + hex_byte(whole[0]) + ") refused by utf8_policy::error at \"\""},
                         replaced, lead + 1);
        }
      }
    }
  }
}

TEST_CASE("hostile: invalid UTF-8 around offset 4096 of a string longer than 4 KiB") {
  // The default chunk is 4096 bytes, handed out in place while the text is clean.
  const invalid_utf8 chosen[] = {{"\xc0\x80", 2},     {"\xe0\x80\x80", 3}, {"\xf0\x80\x80\x80", 4},
                                 {"\xed\xa0\x80", 3}, {"\xed\xbf\xbf", 3}, {"\xe2\x82", 1},
                                 {"\xf0\x9f\x98", 1}, {"\xff", 1},         {"\x80", 1}};
  for (const invalid_utf8& bad : chosen) {
    for (const std::size_t offset : {4094, 4095, 4096, 4097, 4098}) {
      CAPTURE(hex_byte(bad.bytes[0]));
      CAPTURE(offset);
      // The string's text starts after its quote: offset + 1 in the output.
      const std::string before(offset, 'x');
      const std::string after(300, 'y');
      const std::string followed = before + bad.bytes + after;
      const std::string ending = before + bad.bytes;
      check_utf8_policies([&] { return followed; }, bad, outcomes_of("\"" + before, bad, after + "\""), "");
      check_utf8_policies([&] { return ending; }, bad, outcomes_of("\"" + before, bad, "\""), "");
      for (const std::size_t chunk : {4095, 4096, 4097}) {
        const options opts{.chunk_size = chunk};
        CHECK(concat_next(followed, opts) == outcomes_of("\"" + before, bad, after + "\"").replaced);
        CHECK(concat_read(followed, chunk, {}) == outcomes_of("\"" + before, bad, after + "\"").replaced);
      }
    }
  }
}

// --- nesting past max_depth ----------------------------------------------------------------

TEST_CASE("hostile: nesting at max_depth is written, one level more is refused with its path") {
  for (const std::size_t depth : {1, 2, 3, 17, 1000}) {
    CAPTURE(depth);
    // deep_array{n} is n + 1 arrays.
    const auto arrays = [depth] { return deep_array{depth - 1}; };
    const std::string text = repeated("[", depth) + repeated("]", depth);
    CHECK(every_way(arrays, {.max_depth = depth}) == text);
    expect_refusal(arrays, {.max_depth = depth - 1},
                   {encode_errc::too_deep, zeros_path(depth - 1),
                    "nesting deeper than options::max_depth (" + std::to_string(depth - 1) + ") at \"" +
                        zeros_path(depth - 1) + "\""},
                   text, depth - 1);

    const auto objects = [depth] { return deep_object{depth - 1, "a/b~"}; };
    const std::string object_text = repeated("{\"a/b~\":", depth - 1) + "{}" + repeated("}", depth - 1);
    CHECK(every_way(objects, {.max_depth = depth}) == object_text);
    const std::string object_path = repeated("/a~1b~0", depth - 1);
    expect_refusal(
        objects, {.max_depth = depth - 1},
        {encode_errc::too_deep, object_path,
         "nesting deeper than options::max_depth (" + std::to_string(depth - 1) + ") at \"" + object_path + "\""},
        object_text, (depth - 1) * 8);
  }
}

TEST_CASE("hostile: empty keys nested past max_depth have the path of empty segments") {
  const auto objects = [] { return deep_object{3, ""}; };
  CHECK(every_way(objects) == R"({"":{"":{"":{}}}})");
  expect_refusal(objects, {.max_depth = 3},
                 {encode_errc::too_deep, "///", "nesting deeper than options::max_depth (3) at \"///\""},
                 R"({"":{"":{"":{}}}})", 12);
}

TEST_CASE("hostile: max_depth 0 takes scalars only; empty containers, sources and structs count as levels") {
  CHECK(every_way([] { return 7; }, {.max_depth = 0}) == "7");
  CHECK(every_way([] { return std::string("x"); }, {.max_depth = 0}) == R"("x")");
  const auto refused_at_root = [](auto make, std::string_view text) {
    expect_refusal(make, {.max_depth = 0},
                   {encode_errc::too_deep, "", "nesting deeper than options::max_depth (0) at \"\""}, text, 0);
  };
  refused_at_root([] { return std::vector<int>{}; }, "[]");
  refused_at_root([] { return std::map<std::string, int>{}; }, "{}");
  refused_at_root([] { return reading{"r", 1.0}; }, R"({"label":"r","value":1.0})");
  refused_at_root([] { return std::tuple<>{}; }, "[]");
  refused_at_root([] { return faulty_puller{0, 99, flavor::user_error}; }, "[]");

  const auto nested_empty = [] { return std::vector<std::vector<int>>{{1}, {}}; };
  CHECK(every_way(nested_empty, {.max_depth = 2}) == "[[1],[]]");
  expect_refusal(nested_empty, {.max_depth = 1},
                 {encode_errc::too_deep, "/0", "nesting deeper than options::max_depth (1) at \"/0\""}, "[[1],[]]", 1);
  const auto from_generator = [] { return faulty_generator(3, 99, flavor::user_error); };
  CHECK(every_way(from_generator, {.max_depth = 1}) == generated_text(3));
  const auto generated_arrays = [] {
    return iterjson::testing::generated(3, [](std::size_t i) { return std::vector<std::size_t>{i}; });
  };
  expect_refusal(generated_arrays, {.max_depth = 1},
                 {encode_errc::too_deep, "/0", "nesting deeper than options::max_depth (1) at \"/0\""}, "[[0],[1],[2]]",
                 1);
}

TEST_CASE("hostile: 100000 levels at max_depth exactly, and one more") {
  const std::size_t depth = 100000;
  const auto arrays = [] { return deep_array{depth - 1}; };
  const std::string text = repeated("[", depth) + repeated("]", depth);
  CHECK(iterjson::to_string(arrays(), {.max_depth = depth}) == text);
  CHECK(concat_next(arrays(), {.chunk_size = 7, .max_depth = depth}) == text);
  CHECK(concat_read(arrays(), 3, {.max_depth = depth}) == text);
  iterjson::encoder enc(deep_array{depth}, {.max_depth = depth});
  const std::string out = drain_to_failure<iterjson::encode_error>(enc, 0, [&](const iterjson::encode_error& error) {
    CHECK(error.code() == encode_errc::too_deep);
    CHECK(error.path() == zeros_path(depth));
  });
  CHECK(out == repeated("[", depth / 4096 * 4096));  // the slice that failed is not handed out
  CHECK(enc.error_message() == "nesting deeper than options::max_depth (100000) at \"" + zeros_path(depth) + "\"");
}

// --- cycles through shared_ptr -----------------------------------------------------------------

TEST_CASE("hostile: a vertex that holds itself is refused") {
  auto self = std::make_shared<vertex>();
  self->edges = {self};
  expect_refusal([&] { return self; }, {}, {encode_errc::shared_cycle, "/0", "cycle through std::shared_ptr at \"/0\""},
                 "[", 1);
  expect_refusal(
      [&] {
        return std::map<std::string, std::shared_ptr<vertex>>{{"me", self}};
      },
      {}, {encode_errc::shared_cycle, "/me/0", "cycle through std::shared_ptr at \"/me/0\""}, R"({"me":[)", 7);
  self->edges.clear();  // break the cycle, so the vertex is freed
}

TEST_CASE("hostile: a two-step cycle, and one behind a sibling, are refused with their paths") {
  auto a = std::make_shared<vertex>();
  auto b = std::make_shared<vertex>();
  auto leaf = std::make_shared<vertex>();
  a->edges = {b};
  b->edges = {a};
  expect_refusal([&] { return a; }, {},
                 {encode_errc::shared_cycle, "/0/0", "cycle through std::shared_ptr at \"/0/0\""}, "[[", 2);
  b->edges = {leaf, a};
  const std::string_view before_cycle = "[\n [],\n [\n  [\n   [],\n   ";
  expect_refusal(
      [&] {
        return std::vector<std::shared_ptr<vertex>>{leaf, a};
      },
      {.indent = 1}, {encode_errc::shared_cycle, "/1/0/1", "cycle through std::shared_ptr at \"/1/0/1\""}, before_cycle,
      before_cycle.size());
  b->edges.clear();
}

TEST_CASE("hostile: the same shared value many times, without a cycle, is written each time") {
  auto leaf = std::make_shared<vertex>();
  auto middle = std::make_shared<vertex>();
  middle->edges = {leaf, leaf};
  auto root = std::make_shared<vertex>();
  root->edges = {middle, leaf, middle};
  CHECK(every_way([&] { return root; }) == "[[[],[]],[],[[],[]]]");
  CHECK(every_way([&] {
          return std::vector<std::shared_ptr<vertex>>{root, root};
        }) == "[[[[],[]],[],[[],[]]],[[[],[]],[],[[],[]]]]");

  // A shared string cut at every chunk boundary: its frame stays until it is written.
  const auto text = std::make_shared<std::string>("shared \"text\"\twith escapes");
  const std::string quoted = R"("shared \"text\"\twith escapes")";
  CHECK(every_way([&] {
          return std::vector<std::shared_ptr<std::string>>{text, text, text};
        }) == "[" + quoted + "," + quoted + "," + quoted + "]");
  CHECK(every_way([&] {
          return std::map<std::string, std::shared_ptr<std::string>>{{"a", text}, {"b", text}};
        }) == R"({"a":)" + quoted + R"(,"b":)" + quoted + "}");
}

// --- exceptions from user code ------------------------------------------------------------------

TEST_CASE("hostile: a range throwing from begin(), a dereference or an increment") {
  const std::string whole = counting_text(5);
  struct fault_case {
    range_fault where;
    std::size_t at;
    std::string path;
    std::string message;
  };
  const fault_case cases[] = {
      {range_fault::begin, 0, "/0", "cannot begin"},
      {range_fault::dereference, 0, "/0", "no element 0"},
      {range_fault::dereference, 2, "/2", "no element 2"},
      {range_fault::dereference, 4, "/4", "no element 4"},
      // An increment's exception has the path of the element it was moving to.
      {range_fault::increment, 0, "/1", "cannot step past 0"},
      {range_fault::increment, 2, "/3", "cannot step past 2"},
      {range_fault::increment, 4, "/5", "cannot step past 4"},
  };
  for (const fault_case& c : cases) {
    expect_each_flavor([&](flavor how) { return faulty_range{5, c.at, c.where, how}; }, c.path, c.message, whole);
    expect_each_flavor(
        [&](flavor how) {
          return std::map<std::string, faulty_range>{{"rows", faulty_range{5, c.at, c.where, how}}};
        },
        "/rows" + c.path, c.message, R"({"rows":)" + whole + "}");
  }
}

TEST_CASE("hostile: a generator throwing at its first, middle and last element, and at its end") {
  const std::string whole = generated_text(4);
  CHECK(every_way([] { return faulty_generator(4, 99, flavor::user_error); }) == whole);
  for (const std::size_t at : {0, 1, 3, 4}) {
    expect_each_flavor([&](flavor how) { return faulty_generator(4, at, how); }, "/" + std::to_string(at),
                       fault_message(at, 4), whole);
  }
  expect_each_flavor(
      [](flavor how) {
        std::map<std::string, iterjson::generator<std::string>> value;
        value.emplace("made", faulty_generator(4, 3, how));
        return value;
      },
      "/made/3", "no element 3", R"({"made":)" + whole + "}");
}

TEST_CASE(
    "hostile: a callable returning std::optional throwing at its first, middle and last element, and at its end") {
  const std::string whole = counting_text(4);
  CHECK(every_way([] { return faulty_puller{4, 99, flavor::user_error}; }) == whole);
  for (const std::size_t at : {0, 2, 3, 4}) {
    expect_each_flavor(
        [&](flavor how) {
          return faulty_puller{4, at, how};
        },
        "/" + std::to_string(at), fault_message(at, 4), whole);
  }
  expect_each_flavor(
      [](flavor how) {
        return std::vector<faulty_puller>{{1, 99, how}, {4, 2, how}};
      },
      "/1/2", "no element 2", "[[0]," + whole + "]");
}

TEST_CASE("hostile: a pollable source throwing at its first, middle and last element, and at its end") {
  const std::string whole = counting_text(4);
  CHECK(every_way([] { return faulty_source{4, 99, flavor::user_error}; }) == whole);
  for (const std::size_t at : {0, 2, 3, 4}) {
    expect_each_flavor(
        [&](flavor how) {
          return faulty_source{4, at, how};
        },
        "/" + std::to_string(at), fault_message(at, 4), whole);
  }
  expect_each_flavor(
      [](flavor how) {
        return iterjson::ndjson(faulty_source{4, 2, how});
      },
      "/2", "no element 2", "0\n1\n2\n3\n");
}

TEST_CASE("hostile: a source that throws after the encoder waited for it") {
  struct late_failure {
    int* polls;
    iterjson::waker* kept;
    iterjson::poll_result<int> poll(const iterjson::waker& w) {
      switch ((*polls)++) {
        case 0:
          return 1;
        case 1:
          *kept = w;
          return iterjson::pending;
        default:
          throw user_error("gone while waiting");
      }
    }
  };
  int polls = 0;
  iterjson::waker kept;
  iterjson::encoder enc(std::map<std::string, late_failure>{{"feed", {&polls, &kept}}});
  int wakes = 0;
  enc.on_wake([&] { ++wakes; });
  CHECK(enc.next() == R"({"feed":[1)");
  CHECK(enc.waiting());
  kept.wake();
  CHECK(wakes == 1);
  const std::string out = drain_to_failure<user_error>(
      enc, 0, [](const user_error& error) { CHECK(std::string(error.what()) == "gone while waiting"); });
  CHECK(out.empty());
  CHECK(enc.error() == encode_errc::exception_thrown);
  CHECK(enc.error_path() == "/feed/1");
  kept.wake();  // a failed encoder is not waiting: nobody is called
  CHECK(wakes == 1);
  CHECK(enc.next().empty());
}

TEST_CASE("hostile: an encode_as conversion throwing at the root, first, middle and last element, and in a map") {
  const auto wires = [](std::size_t armed, flavor how) {
    std::vector<tripwire> values;
    for (std::size_t i = 0; i < 5; ++i) values.push_back({i, i == armed, how});
    return values;
  };
  const std::string whole = R"(["t0","t1","t2","t3","t4"])";
  CHECK(every_way([&] { return wires(99, flavor::user_error); }) == whole);
  for (const std::size_t at : {0, 2, 4}) {
    expect_each_flavor([&](flavor how) { return wires(at, how); }, "/" + std::to_string(at),
                       "tripped at " + std::to_string(at), whole);
  }
  expect_each_flavor([](flavor how) { return tripwire{7, true, how}; }, "", "tripped at 7", R"("t7")");
  expect_each_flavor(
      [](flavor how) {
        return std::map<std::string, tripwire>{{"a", {1, false, how}}, {"b", {2, true, how}}};
      },
      "/b", "tripped at 2", R"({"a":"t1","b":"t2"})");
  // The conversion's result is a range that throws while it is written.
  expect_each_flavor(
      [](flavor how) {
        return lazy_rows{{5, 3, range_fault::dereference, how}};
      },
      "/3", "no element 3", counting_text(5));
  expect_each_flavor(
      [](flavor how) {
        return std::vector<lazy_rows>{{{2, 9, range_fault::dereference, how}}, {{5, 0, range_fault::begin, how}}};
      },
      "/1/0", "cannot begin", "[[0,1]," + counting_text(5) + "]");
}

TEST_CASE("hostile: std::bad_alloc from an allocator running out in the middle of a stream") {
  // Each element is a string too long for the small-string buffer: one allocation each.
  const auto row = [](std::size_t i) { return "row " + std::to_string(i) + " is longer than small strings"; };
  const auto rows = [&](std::size_t count, std::size_t budget) {
    auto left = std::make_shared<std::size_t>(budget);
    return iterjson::testing::generated(count, [left, row](std::size_t i) {
      const std::string text = row(i);
      return budget_string(text.data(), text.size(), budget_allocator<char>(left));
    });
  };
  std::string whole = "[";
  for (std::size_t i = 0; i < 6; ++i) whole += (i == 0 ? "\"" : ",\"") + row(i) + "\"";
  whole += "]";
  CHECK(every_way([&] { return rows(6, 6); }) == whole);
  for (const std::size_t budget : {0, 3, 5}) {
    expect_propagation<std::bad_alloc>([&] { return rows(6, budget); }, {}, "/" + std::to_string(budget),
                                       std::bad_alloc().what(), whole);
    expect_propagation<std::bad_alloc>(
        [&] {
          return std::map<std::string, decltype(rows(6, budget))>{{"rows", rows(6, budget)}};
        },
        {.indent = 2}, "/rows/" + std::to_string(budget), std::bad_alloc().what(),
        iterjson::to_string(std::map<std::string, decltype(rows(6, 6))>{{"rows", rows(6, 6)}}, {.indent = 2}));
  }
}

namespace {

// The armed sticky's frame is built at depth `depth`, Pad bytes further up the stack.
template <std::size_t Pad>
void check_throwing_move_at_each_depth() {
  for (std::size_t depth = 0; depth <= 48; ++depth) {
    CAPTURE(Pad);
    CAPTURE(depth);
    const std::string whole = repeated("[", depth) + R"(["s0","s1","s2"])" + repeated("]", depth);
    CHECK(iterjson::to_string(padded_nest<Pad>{{depth, {3, 99, flavor::user_error}}}) == whole);
    for (const std::size_t at : {0, 2}) {
      for (const std::size_t size : {1, 4096}) {
        iterjson::encoder enc(padded_nest<Pad>{{depth, {3, at, flavor::user_error}}}, {.chunk_size = size});
        const std::string out = drain_to_failure<user_error>(enc, 0, [&](const user_error& error) {
          CHECK(std::string(error.what()) == "cannot move " + std::to_string(at));
        });
        CHECK(enc.error() == encode_errc::exception_thrown);
        CHECK(enc.error_path() == zeros_path(depth) + "/" + std::to_string(at));
        CHECK(whole.starts_with(out));
      }
    }
  }
}

}  // namespace

TEST_CASE("hostile: a temporary whose move throws while its frame is built, at every offset of the stack's blocks") {
  // Depths and paddings put the armed sticky's frame at every offset around the first
  // block boundaries of the encoder's stack (2 KiB, then 4 KiB more), the first frame
  // of a new block among them: the stack must stay whole, and the encoder failed.
  [&]<std::size_t... Units>(std::index_sequence<Units...>) {
    (check_throwing_move_at_each_depth<Units * alignof(std::max_align_t)>(), ...);
  }(std::make_index_sequence<9>{});
  expect_each_flavor(
      [](flavor how) {
        return sticky_row{4, 3, how};
      },
      "/3", "cannot move 3", R"(["s0","s1","s2","s3"])");
}

TEST_CASE("hostile: variant_traits visit throwing, at the root and at the first, middle and last element") {
  expect_each_flavor([](flavor how) { return shape_shifter{true, how}; }, "", "no shape", "[1,2]");
  for (const std::size_t at : {0, 2, 4}) {
    expect_each_flavor(
        [at](flavor how) {
          std::vector<shape_shifter> shapes;
          for (std::size_t i = 0; i < 5; ++i) shapes.push_back({i == at, how});
          return shapes;
        },
        "/" + std::to_string(at), "no shape", "[[1,2],[1,2],[1,2],[1,2],[1,2]]");
  }
}

namespace {

iterjson::generator<std::pair<std::string, int>> faulty_pairs(std::size_t count, std::size_t at, flavor how) {
  for (std::size_t i = 0; i < count; ++i) {
    if (i == at) raise(how, fault_message(i, count));
    co_yield {"k" + std::to_string(count - i), static_cast<int>(i)};
  }
}

}  // namespace

TEST_CASE("hostile: a generator of members throwing while sort_keys gathers them") {
  // sort_keys gathers an object's members before its first byte: the exception has the
  // path of the object. Without sort_keys, the path of the member being fetched.
  CHECK(every_way([] { return iterjson::as_object(faulty_pairs(3, 99, flavor::user_error)); }, {.sort_keys = true}) ==
        R"({"k1":2,"k2":1,"k3":0})");
  for (const std::size_t at : {0, 1, 2}) {
    expect_each_flavor([&](flavor how) { return iterjson::as_object(faulty_pairs(3, at, how)); }, "",
                       fault_message(at, 3), R"({"k1":2,"k2":1,"k3":0})", {.sort_keys = true});
    expect_each_flavor(
        [&](flavor how) {
          std::vector<iterjson::object_of_pairs<iterjson::generator<std::pair<std::string, int>>>> objects;
          objects.push_back(iterjson::as_object(faulty_pairs(1, 99, how)));
          objects.push_back(iterjson::as_object(faulty_pairs(3, at, how)));
          return objects;
        },
        "/1", fault_message(at, 3), R"([{"k1":0},{"k1":2,"k2":1,"k3":0}])", {.sort_keys = true});
  }
}

// --- a string over 2 GiB --------------------------------------------------------------------------

namespace {

// What came out of a stream too large to keep: its size, first and last bytes, how many
// of its bytes are 'a', and how many slices were handed out in place.
struct stream_tally {
  std::uint64_t bytes = 0;
  std::uint64_t letters = 0;
  std::uint64_t in_place = 0;
  std::string head;
  std::string tail;

  void add(std::string_view slice, const std::string& source) {
    bytes += slice.size();
    letters += static_cast<std::uint64_t>(std::count(slice.begin(), slice.end(), 'a'));
    if (slice.data() >= source.data() && slice.data() < source.data() + source.size()) ++in_place;
    if (head.size() < 16) head += slice.substr(0, 16 - head.size());
    tail += slice.substr(slice.size() - std::min<std::size_t>(slice.size(), 16));
    if (tail.size() > 16) tail.erase(0, tail.size() - 16);
  }
};

}  // namespace

// About 7 s in a debugoptimized build and 17 s under ASan and UBSan, on 2 cores; 2.2 GB
// of memory for the string, none for the text.
TEST_CASE("hostile: a string over 2 GiB, streamed by next() and read(), with an escape or invalid byte near its end") {
  constexpr std::size_t size = (std::size_t{1} << 31) + (std::size_t{1} << 27) + 5;  // 2^31 + 128 MiB + 5
  constexpr std::size_t slice = std::size_t{1} << 20;
  std::string big(size, 'a');
  big[size - 7] = '\n';
  const std::map<std::string, std::string_view> value{{"big", big}};

  {
    iterjson::encoder enc(value, {.chunk_size = slice});
    stream_tally tally;
    while (!enc.done()) tally.add(enc.next(), big);
    CHECK(!enc.failed());
    CHECK(tally.bytes == size + 11);  // {"big":" and "} around it, and \n for the newline
    CHECK(tally.letters == size - 1);
    CHECK(tally.head == R"({"big":"aaaaaaaa)");
    CHECK(tally.tail == R"(aaaaaa\naaaaaa"})");
    CHECK(tally.in_place >= size / slice - 2);  // clean chunks are not copied
  }
  {
    iterjson::encoder enc(value);
    std::vector<char> buffer(slice);
    stream_tally tally;
    for (std::size_t n = buffer.size(); n == buffer.size();) {
      n = enc.read(buffer.data(), buffer.size());
      tally.add({buffer.data(), n}, big);
    }
    CHECK(enc.done());
    CHECK(tally.bytes == size + 11);
    CHECK(tally.letters == size - 1);
    CHECK(tally.tail == R"(aaaaaa\naaaaaa"})");
  }

  big[size - 7] = '\xff';
  {
    iterjson::encoder enc(value, {.chunk_size = slice});
    stream_tally tally;
    while (!enc.done()) tally.add(enc.next(), big);
    CHECK(tally.bytes == size + 12);  // U+FFFD is three bytes for one
    CHECK(tally.letters == size - 1);
    CHECK(tally.tail ==
          "aaaaa\xEF\xBF\xBD"
          "aaaaaa\"}");
  }
  {
    iterjson::encoder enc(value, {.invalid_utf8 = utf8_policy::error, .chunk_size = slice});
    std::uint64_t before = 0;
    bool thrown = false;
    try {
      while (!enc.done()) before += enc.next().size();
    } catch (const iterjson::encode_error& error) {
      thrown = true;
      CHECK(std::string(error.what()) == "invalid UTF-8 (byte 0xff) refused by utf8_policy::error at \"/big\"");
    }
    CHECK(thrown);
    CHECK(before % slice == 0);
    CHECK(before <= size - 7 + 8);
    CHECK(before + 2 * slice > size - 7 + 8);
    CHECK(enc.error() == encode_errc::invalid_utf8);
    CHECK(enc.error_path() == "/big");
    CHECK(enc.next().empty());
  }
}

// --- empty and duplicate keys -----------------------------------------------------------------------

TEST_CASE("hostile: empty keys are keys") {
  CHECK(every_way([] { return std::map<std::string, int>{{"", 1}}; }) == R"({"":1})");
  CHECK(every_way([] {
          return std::map<std::string, std::map<std::string, std::vector<std::string>>>{{"", {{"", {""}}}}};
        }) == R"({"":{"":[""]}})");
  CHECK(every_way(
            [] {
              return std::map<std::string, int>{{"", 1}};
            },
            {.indent = 2, .key_separator = ": "}) == "{\n  \"\": 1\n}");
  CHECK(every_way(
            [] {
              return std::map<std::string, int>{{"", 1}, {"a", 2}};
            },
            {.sort_keys = true}) == R"({"":1,"a":2})");
  // The JSON Pointer of an empty key is "/"; of an empty key in it, "//".
  expect_refusal(
      [] {
        return std::map<std::string, double>{{"", NAN}};
      },
      {}, {encode_errc::non_finite_number, "/", "NaN is not allowed by nan_policy::error at \"/\""}, R"({"":null})", 4);
  expect_refusal(
      [] {
        return std::map<std::string, std::map<std::string, double>>{{"", {{"", INFINITY}}}};
      },
      {}, {encode_errc::non_finite_number, "//", "Infinity is not allowed by nan_policy::error at \"//\""},
      R"({"":{"":null}})", 8);
}

TEST_CASE("hostile: duplicate keys are written as given, in order") {
  const std::vector<std::pair<std::string, int>> members{{"a", 1}, {"b", 2}, {"a", 3}, {"", 4}, {"a", 5}, {"", 6}};
  const auto as_given = [&] { return iterjson::as_object(members); };
  CHECK(every_way(as_given) == R"({"a":1,"b":2,"a":3,"":4,"a":5,"":6})");
  // sort_keys orders by key; members with equal keys keep the order they were given in.
  CHECK(every_way(as_given, {.sort_keys = true}) == R"({"":4,"":6,"a":1,"a":3,"a":5,"b":2})");

  // A multimap iterates equal keys in insertion order, and is already in key order.
  const std::multimap<std::string, int> multimap{{"a", 1}, {"b", 2}, {"a", 3}, {"", 4}, {"a", 5}, {"", 6}};
  CHECK(every_way([&] { return multimap; }) == R"({"":4,"":6,"a":1,"a":3,"a":5,"b":2})");
  CHECK(every_way([&] { return multimap; }, {.sort_keys = true}) == R"({"":4,"":6,"a":1,"a":3,"a":5,"b":2})");

  // Numbers as keys: 1 and 1.0 are different keys that read alike, each written as given.
  CHECK(every_way([] {
          return iterjson::as_object(std::vector<std::pair<int, int>>{{1, 1}, {1, 2}});
        }) == R"({"1":1,"1":2})");
}

namespace {

// 300 members with the keys a to e, each many times; the values count up.
std::vector<std::pair<std::string, int>> many_duplicates() {
  std::vector<std::pair<std::string, int>> members;
  for (int i = 0; i < 300; ++i) members.emplace_back(std::string(1, static_cast<char>('a' + (i * 7) % 5)), i);
  return members;
}

}  // namespace

TEST_CASE("hostile: sort_keys over many duplicate keys writes every member once, in key order") {
  const auto members = many_duplicates();
  const std::string text = every_way([&] { return iterjson::as_object(members); }, {.sort_keys = true});
  // Parse the flat {"k":v,...} back: keys in order, and each key with the values given.
  std::map<std::string, std::vector<int>> given;
  for (const auto& [key, value] : members) given[key].push_back(value);
  std::map<std::string, std::vector<int>> written;
  std::string previous;
  REQUIRE(text.front() == '{');
  for (std::size_t at = 1; at < text.size() && text[at] == '"';) {
    const std::size_t key_end = text.find('"', at + 1);
    const std::string key = text.substr(at + 1, key_end - at - 1);
    CHECK(previous <= key);
    previous = key;
    const std::size_t value_end = text.find_first_of(",}", key_end);
    written[key].push_back(std::stoi(text.substr(key_end + 2, value_end - key_end - 2)));
    at = value_end + 1;
  }
  for (auto& [key, values] : written) std::sort(values.begin(), values.end());
  CHECK(written == given);
}

// Equal keys keep the order given however many members there are: the sort is stable.
TEST_CASE("hostile: sort_keys over many duplicate keys keeps each key's members in the order given") {
  const auto members = many_duplicates();
  std::string expected = "{";
  for (const char key : std::string("abcde")) {
    for (const auto& [k, v] : members) {
      if (k[0] != key) continue;
      expected += (expected.size() == 1 ? "\"" : ",\"") + k + "\":" + std::to_string(v);
    }
  }
  expected += "}";
  const std::string text = iterjson::to_string(iterjson::as_object(members), {.sort_keys = true});
  const auto differ = std::ranges::mismatch(text, expected).in1 - text.begin();
  const bool stable = text == expected;
  CHECK_MESSAGE(stable, "from byte " << differ << ": " << text.substr(static_cast<std::size_t>(differ), 40)
                                     << " instead of " << expected.substr(static_cast<std::size_t>(differ), 40));
}
