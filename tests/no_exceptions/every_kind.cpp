// Built with -fno-exceptions, by g++ and by clang++ (meson.build beside this file):
// every kind of value, and the adapters that do I/O, compile without exceptions, and an
// error inside each comes back as a state with its code and path. The DOM and loop
// adapters are in where the build found their libraries (ITERJSON_TEST_* macros).
// Prints one line per case, and fails unless each is the line expected.
#include <iterjson/iterjson.hpp>
#include <iterjson/fmt.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "build this file with -fno-exceptions"
#endif

#if ITERJSON_TEST_NLOHMANN
#include <iterjson/adapters/nlohmann.hpp>
#endif
#if ITERJSON_TEST_BOOST_JSON
#include <iterjson/adapters/boost_json.hpp>
#endif
#if ITERJSON_TEST_RAPIDJSON
#include <iterjson/adapters/rapidjson.hpp>
#endif
#if ITERJSON_TEST_YYJSON
#include <iterjson/adapters/yyjson.hpp>
#endif
#if ITERJSON_TEST_LIBUV
#include <iterjson/adapters/libuv.hpp>
// Compiled, not run here: a libuv stream starts like the posix one, which is run below.
[[maybe_unused]] void stream_through_libuv(iterjson::libuv_stream& stream, iterjson::encoder text) {
  stream.driver().start(std::move(text), [](const iterjson::stream_end&) {});
}
#endif
#include <iterjson/adapters/posix.hpp>
#if ITERJSON_TEST_SQLITE
#include <iterjson/adapters/sqlite.hpp>
#endif
#if ITERJSON_TEST_POSTGRES
#include <iterjson/adapters/postgres.hpp>
// Compiled, not run here (that needs a server): an encoder over PostgreSQL's rows, whose
// errors abort without exceptions.
[[maybe_unused]] iterjson::encoder encode_pg_rows(PGconn* connection) {
  return iterjson::encoder(iterjson::pg_rows(connection, "SELECT 1"));
}
#endif
#if ITERJSON_TEST_LIBEVENT
#include <iterjson/adapters/libevent.hpp>
#endif

#if ITERJSON_TEST_BOOST_JSON
// Boost's headers call these instead of throwing when exceptions are off.
namespace boost {
void throw_exception(const std::exception& e) {
  std::fprintf(stderr, "boost: %s\n", e.what());
  std::abort();
}
void throw_exception(const std::exception& e, const boost::source_location&) { throw_exception(e); }
}  // namespace boost
#endif

struct reading {
  std::string sensor;
  double value;
};
ITERJSON_FIELDS(reading, sensor, value);

namespace {

int failures = 0;

// Checks one line: what the case printed against what it must print.
void expect(const std::string& line, std::string_view expected) {
  std::printf("%s\n", line.c_str());
  if (line != expected) {
    std::printf("  expected: %.*s\n", static_cast<int>(expected.size()), expected.data());
    ++failures;
  }
}

// Encodes with next(): the text, the code and the path. A slice that meets an error is
// not handed out, so with the default chunk size the text before the error is empty.
template <class T>
std::string outcome(T&& value) {
  iterjson::encoder enc(std::forward<T>(value));
  std::string text;
  while (!enc.done()) text += enc.next();
  return text + " code=" + std::to_string(enc.error().value()) + " path=" + std::string(enc.error_path());
}

iterjson::generator<double> readings_with_nan() {
  co_yield 1.0;
  co_yield NAN;
}

// Drives a posix_stream over a socket pair until the stream ends; what the peer read.
std::string stream_through_posix(iterjson::encoder text, std::string& ended) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return "socketpair failed";
  std::string received;
  {
    std::error_code error;
    iterjson::posix_stream stream(fds[0], error, {.block_size = 256, .high_water = 1024});
    if (error) return "posix_stream: " + error.message();
    stream.driver().start(std::move(text), [&](const iterjson::stream_end& end) { ended = end.message(); });
    for (int pass = 0; pass < 10000 && stream.driver().active(); ++pass) {
      if (stream.wants_turn()) stream.on_turn();
      if (stream.wants_writable()) stream.on_writable();
      char buffer[4096];
      const ssize_t n = ::recv(fds[1], buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fds[0]);
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fds[1], buffer, sizeof buffer, 0)) > 0;) received.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[1]);
  return received;
}

#if ITERJSON_TEST_LIBEVENT
// The same through a libevent_stream on a bufferevent.
std::string stream_through_libevent(iterjson::encoder text, std::string& ended) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return "socketpair failed";
  event_base* base = event_base_new();
  bufferevent* bev = bufferevent_socket_new(base, fds[0], 0);
  std::string received;
  {
    iterjson::libevent_stream stream(bev, {.block_size = 256, .high_water = 1024});
    stream.driver().start(std::move(text), [&](const iterjson::stream_end& end) { ended = end.message(); });
    for (int pass = 0; pass < 10000 && (stream.driver().active() || evbuffer_get_length(bufferevent_get_output(bev)) != 0);
         ++pass) {
      event_base_loop(base, EVLOOP_NONBLOCK);
      char buffer[4096];
      const ssize_t n = ::recv(fds[1], buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    }
  }
  bufferevent_free(bev);
  event_base_free(base);
  ::close(fds[0]);
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fds[1], buffer, sizeof buffer, 0)) > 0;) received.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[1]);
  return received;
}
#endif

}  // namespace

int main() {
  expect("fmt: " + fmt::format("{} {:1}", iterjson::json(std::vector<int>{1}), iterjson::json(std::vector<int>{2})),
         "fmt: [1] [\n 2\n]");
  // As with next(): the slice that met the error is not handed out.
  expect("fmt error: " + fmt::format("{}", iterjson::json(std::vector<double>{1.5, NAN})), "fmt error: ");
  expect("variant: " + outcome(std::vector<std::variant<int, double>>{1, NAN}), "variant:  code=1 path=/1");
  expect("optional: " + outcome(std::vector<std::optional<double>>{std::nullopt, NAN}),
         "optional:  code=1 path=/1");
  expect("shared_ptr: " + outcome(std::vector<std::shared_ptr<double>>{nullptr, std::make_shared<double>(NAN)}),
         "shared_ptr:  code=1 path=/1");
  expect("struct: " + outcome(std::vector<reading>{{"a", 1.5}, {"b", INFINITY}}),
         "struct:  code=1 path=/1/value");
  expect("tuple: " + outcome(std::tuple<int, std::string, double>{1, "x", NAN}), "tuple:  code=1 path=/2");
  expect("map: " + outcome(std::map<std::string, double>{{"ok", 2.0}, {"bad", NAN}}), "map:  code=1 path=/bad");
  expect("utf8: " + outcome(std::map<std::string, std::string>{{"k", "\xC3"}}), "utf8: {\"k\":\"\xEF\xBF\xBD\"} code=0 path=");
  expect("generator: " + outcome(readings_with_nan()), "generator:  code=1 path=/1");
  iterjson::channel<double> channel;
  channel.push(2.5);
  channel.push(NAN);
  expect("channel: " + outcome(channel), "channel:  code=1 path=/1");
  std::vector<std::vector<int>> deep{{1}};
  iterjson::encoder too_deep(deep, {.max_depth = 1});
  while (!too_deep.done()) (void)too_deep.next();
  expect("max_depth: code=" + std::to_string(too_deep.error().value()) + " path=" + std::string(too_deep.error_path()),
         "max_depth: code=3 path=/0");

#if ITERJSON_TEST_NLOHMANN
  nlohmann::json from_nlohmann = {{"values", {1, NAN}}};
  expect("nlohmann: " + outcome(from_nlohmann), "nlohmann:  code=1 path=/values/1");
#endif
#if ITERJSON_TEST_BOOST_JSON
  boost::json::value from_boost = {{"values", {1, NAN}}};
  expect("boost_json: " + outcome(from_boost), "boost_json:  code=1 path=/values/1");
#endif
#if ITERJSON_TEST_RAPIDJSON
  rapidjson::Document from_rapidjson;
  from_rapidjson.SetObject();
  rapidjson::Value values(rapidjson::kArrayType);
  values.PushBack(1, from_rapidjson.GetAllocator()).PushBack(NAN, from_rapidjson.GetAllocator());
  from_rapidjson.AddMember("values", values, from_rapidjson.GetAllocator());
  expect("rapidjson: " + outcome(from_rapidjson), "rapidjson:  code=1 path=/values/1");
#endif
#if ITERJSON_TEST_YYJSON
  yyjson_mut_doc* from_yyjson = yyjson_mut_doc_new(nullptr);
  yyjson_mut_val* yyjson_values = yyjson_mut_arr(from_yyjson);
  yyjson_mut_doc_set_root(from_yyjson, yyjson_values);
  yyjson_mut_arr_add_int(from_yyjson, yyjson_values, 1);
  yyjson_mut_arr_add_real(from_yyjson, yyjson_values, NAN);
  expect("yyjson: " + outcome(from_yyjson), "yyjson:  code=1 path=/1");
  yyjson_mut_doc_free(from_yyjson);
#endif

#if ITERJSON_TEST_SQLITE
  // A failed step aborts without exceptions; an error of a value is a state, as anywhere.
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_prepare_v2(db, "SELECT 1 AS a UNION ALL SELECT 9e999", -1, &stmt, nullptr);
  expect("sqlite: " + outcome(iterjson::sqlite_rows(stmt)), "sqlite:  code=1 path=/1/a");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
#endif

  std::vector<int> numbers(2000);
  for (int i = 0; i < 2000; ++i) numbers[static_cast<std::size_t>(i)] = i;
  const std::string numbers_text = iterjson::to_string(numbers);
  std::string ended;
  std::string received = stream_through_posix(iterjson::encoder(numbers), ended);
  expect("posix: whole=" + std::to_string(received == numbers_text) + " ended=" + ended, "posix: whole=1 ended=ok");
  // The error comes in the first block: nothing is written, and the stream ends with it.
  received = stream_through_posix(iterjson::encoder(std::vector<double>{1.5, NAN}), ended);
  expect("posix error: " + received + " ended=" + ended,
         "posix error:  ended=NaN is not allowed by nan_policy::error at \"/1\"");
#if ITERJSON_TEST_LIBEVENT
  received = stream_through_libevent(iterjson::encoder(numbers), ended);
  expect("libevent: whole=" + std::to_string(received == numbers_text) + " ended=" + ended,
         "libevent: whole=1 ended=ok");
#endif
  return failures == 0 ? 0 : 1;
}
