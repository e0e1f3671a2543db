// Every C++ sample in README.md, compiled and run. The last test checks that each
// ```cpp block of the README appears in this file word for word, so the two cannot drift.

#include <iterjson/iterjson.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <deque>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if __has_include(<nlohmann/json.hpp>) && __has_include(<boost/json.hpp>)
#include <iterjson/adapters/nlohmann.hpp>    // nlohmann::json, nlohmann::ordered_json
#include <iterjson/adapters/boost_json.hpp>  // boost::json::value
#endif

#include <iterjson/framing.hpp>
#include <iterjson/fmt.hpp>

#include <fmt/format.h>

#if __has_include(<uv.h>)
#define ITERJSON_TEST_LIBUV 1
#include <iterjson/adapters/libuv.hpp>
#endif

#if __has_include(<sqlite3.h>)
#define ITERJSON_TEST_SQLITE 1
#include <iterjson/adapters/sqlite.hpp>
#endif

#if __has_include(<libpq-fe.h>)
#define ITERJSON_TEST_POSTGRES 1
#include <poll.h>

#include <iterjson/adapters/postgres.hpp>

#include "postgres_server.hpp"
#endif

#if __has_include(<boost/beast/http.hpp>)
#define ITERJSON_TEST_BEAST 1
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <iterjson/adapters/beast.hpp>
#endif

#if __has_include(<httplib.h>)
#define ITERJSON_TEST_HTTPLIB 1
#include <thread>

#include <iterjson/adapters/httplib.hpp>
#endif

#if __has_include(<asio.hpp>)
#define ITERJSON_TEST_ASIO 1
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>

#include <iterjson/adapters/asio.hpp>
#endif

#include "test_support.hpp"

namespace {

std::string sent;
void send_when_writable(std::string_view slice) { sent += slice; }
void write_out(std::string_view slice) { sent += slice; }
std::vector<std::map<std::string, int>> load_rows() { return {{{"a", 1}}, {{"b", 2}}}; }
std::string logged;
std::string marked;
void log_line(std::string_view line) { logged = line; }
void mark_bad(std::string_view path) { marked = path; }

}  // namespace

// --- README: Your own types ---
struct user {
  std::string name;
  int age;
};
ITERJSON_FIELDS(user, name, age);  // at global scope: {"name":...,"age":...}

struct money {
  long long cents;
};
template <>
struct iterjson::encode_as<money> {  // write a money as another value
  static std::string convert(const money& m) { return std::to_string(m.cents / 100.0); }
};

struct shape {
  bool round;
  double size;
};
template <>
struct iterjson::variant_traits<shape> {  // the JSON kind is chosen at run time
  template <class Visitor>
  static void visit(const shape& s, Visitor&& visitor) {
    if (s.round) return visitor(std::map<std::string, double>{{"radius", s.size}});
    visitor(std::vector<double>{s.size, s.size});
  }
};
// --- end ---

TEST_CASE("README: why") {
  sent.clear();
  std::vector<std::map<std::string, int>> rows = load_rows();
  iterjson::encoder enc(rows, {.indent = 2});
  while (!enc.done()) {
    std::string_view slice = enc.next();  // at most 4096 bytes by default
    send_when_writable(slice);
  }
  CHECK(sent == "[\n  {\n    \"a\": 1\n  },\n  {\n    \"b\": 2\n  }\n]");
}

TEST_CASE("README: the API") {
  sent.clear();
  const std::map<std::string, int> value{{"b", 2}, {"a", 1}};
  iterjson::options opts{.indent = 2, .sort_keys = true};
  iterjson::encoder enc(value, opts);  // an lvalue is referenced; an rvalue is moved in and owned
  while (!enc.done()) {
    std::string_view piece = enc.next();  // never empty, at most opts.chunk_size bytes
    write_out(piece);                     // valid until the next call on enc
  }
  CHECK(sent == "{\n  \"a\": 1,\n  \"b\": 2\n}");

  sent.clear();
  std::string text = iterjson::to_string(value);
  for (std::string_view slice : iterjson::iterencode(value)) write_out(slice);

  std::string answer = "HTTP/1.1 200 OK\r\n\r\n";  // kept, and cleared, per connection
  iterjson::append_to(answer, value);

  char buffer[65536];
  iterjson::encoder reader(value);
  for (std::size_t n = sizeof buffer; n == sizeof buffer;) {
    n = reader.read(buffer, sizeof buffer);
    write_out({buffer, n});
  }
  CHECK(text == R"({"a":1,"b":2})");
  CHECK(answer == "HTTP/1.1 200 OK\r\n\r\n" + text);
  CHECK(sent == text + text);
}

// --- README: With fmt ---
void log_rows() {
  const std::vector<std::map<std::string, int>> rows = load_rows();
  log_line(fmt::format("rows: {}", iterjson::json(rows)));  // rows: [{"a":1},{"b":2}]
  std::string pretty = fmt::format("{:2}", iterjson::json(rows, {.sort_keys = true}));
  fmt::format_to(std::back_inserter(sent), "{}", iterjson::json(rows));  // as it is made
}
// --- end ---

TEST_CASE("README: with fmt") {
  sent.clear();
  log_rows();
  CHECK(logged == R"(rows: [{"a":1},{"b":2}])");
  CHECK(sent == R"([{"a":1},{"b":2}])");
  CHECK(fmt::format("{:2}", iterjson::json(load_rows(), {.sort_keys = true})) ==
        "[\n  {\n    \"a\": 1\n  },\n  {\n    \"b\": 2\n  }\n]");
}

TEST_CASE("README: your own types") {
  CHECK(iterjson::to_string(user{"ann", 41}) == R"({"name":"ann","age":41})");
  CHECK(iterjson::to_string(money{1250}) == R"("12.500000")");
  CHECK(iterjson::to_string(std::vector<shape>{{true, 2}, {false, 3}}) == R"([{"radius":2.0},[3.0,3.0]])");
}

#if ITERJSON_TEST_LIBUV
// --- README: Streaming from an event loop ---
void respond(uv_stream_t* client, std::vector<std::map<std::string, int>> rows) {
  auto* out = new iterjson::libuv_stream(client, {.framing = iterjson::transfer_framing::http_chunked});
  out->driver().start(
      iterjson::encoder(std::move(rows)),  // moved in: the driver owns them now
      [out](const iterjson::stream_end& end) {
        if (!end.ok()) log_line(end.message());
        out->close([out] { delete out; });  // closes the client too
      },
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
}
// --- end ---

TEST_CASE("README: streaming from an event loop") {
  int ends[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_pipe_t client;
  uv_pipe_init(&loop, &client, 0);
  REQUIRE(uv_pipe_open(&client, ends[0]) == 0);
  respond(reinterpret_cast<uv_stream_t*>(&client), load_rows());
  uv_run(&loop, UV_RUN_DEFAULT);  // returns once the response is written and closed
  CHECK(uv_loop_close(&loop) == 0);
  std::string received(4096, '\0');
  received.resize(static_cast<std::size_t>(::read(ends[1], received.data(), received.size())));
  ::close(ends[1]);
  CHECK(received ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "11\r\n[{\"a\":1},{\"b\":2}]\r\n0\r\n\r\n");
}
#endif

TEST_CASE("README: streams of values") {
  std::vector<std::map<std::string, int>> events{{{"id", 1}}, {{"id", 2}}};
  std::string lines = iterjson::to_string(iterjson::ndjson(events));  // {"id":1}\n{"id":2}\n
  std::string sequence = iterjson::to_string(iterjson::json_seq(events));  // \x1E{"id":1}\n\x1E{"id":2}\n
  std::string messages = iterjson::to_string(iterjson::server_sent_events(events));  // data: {"id":1}\n\n...
  CHECK(lines == "{\"id\":1}\n{\"id\":2}\n");
  CHECK(sequence == "\x1E{\"id\":1}\n\x1E{\"id\":2}\n");
  CHECK(messages == "data: {\"id\":1}\n\ndata: {\"id\":2}\n\n");
}

TEST_CASE("README: errors") {
  try {
    iterjson::to_string(std::map<std::string, std::vector<double>>{{"scores", {1.0, NAN}}});
  } catch (const iterjson::encode_error& error) {
    log_line(error.what());   // NaN is not allowed by nan_policy::error at "/scores/1"
    mark_bad(error.path());   // /scores/1
  }
  CHECK(logged == "NaN is not allowed by nan_policy::error at \"/scores/1\"");
  CHECK(marked == "/scores/1");
}

TEST_CASE("README: errors as error codes") {
  logged.clear();
  std::error_code error;
  std::string text = iterjson::to_string(std::vector<double>{1.0, INFINITY}, {}, error);
  if (error == iterjson::encode_errc::non_finite_number) log_line(error.message());
  CHECK(text.empty());
  CHECK(logged == "NaN or Infinity refused by nan_policy::error");
}

// --- README: Sources made on the fly, and sources not ready yet ---
iterjson::generator<int> squares(int count) {
  for (int i = 0; i < count; ++i) co_yield i * i;  // runs only when the encoder asks
}

iterjson::generator<std::pair<std::string, int>> stock() {
  co_yield {"apples", 3};
  co_yield {"pears", 5};
}

void lazy_sources() {
  write_out(iterjson::to_string(squares(4)));                      // [0,1,4,9]
  write_out(iterjson::to_string(iterjson::as_object(stock())));  // {"apples":3,"pears":5}
  auto countdown = [n = 3]() mutable -> std::optional<int> {
    if (n == 0) return std::nullopt;  // empty: the array ends
    return n--;
  };
  write_out(iterjson::to_string(countdown));  // [3,2,1]
}

void feed_rows() {
  iterjson::channel<std::map<std::string, int>> rows;  // copies share one queue
  iterjson::encoder enc(iterjson::ndjson(rows));        // the encoder holds a copy
  enc.on_wake([] { log_line("woken"); });  // in a server: ask the loop for a turn

  rows.push({{"id", 1}});
  write_out(enc.next());  // {"id":1}\n; then enc.waiting() is true
  rows.push({{"id", 2}});  // wakes the encoder: "woken"
  rows.close();
  write_out(enc.next());  // {"id":2}\n; then enc.done() is true
}

struct sensor_readings {
  std::deque<double>* arrived;  // filled by the loop when the sensor answers
  iterjson::waker* wake_when_more;
  iterjson::poll_result<double> poll(const iterjson::waker& w) {
    if (!arrived->empty()) {
      const double reading = arrived->front();
      arrived->pop_front();
      return reading;
    }
    *wake_when_more = w;  // call wake_when_more->wake() when a reading arrives
    return iterjson::pending;  // or iterjson::exhausted: the array ends
  }
};
// --- end ---

TEST_CASE("README: sources made on the fly") {
  sent.clear();
  lazy_sources();
  CHECK(sent == "[0,1,4,9]{\"apples\":3,\"pears\":5}[3,2,1]");
}

TEST_CASE("README: sources not ready yet") {
  sent.clear();
  logged.clear();
  feed_rows();
  CHECK(sent == "{\"id\":1}\n{\"id\":2}\n");
  CHECK(logged == "woken");

  std::deque<double> arrived{1.5};
  iterjson::waker wake_when_more;
  iterjson::encoder enc(sensor_readings{&arrived, &wake_when_more});
  bool woken = false;
  enc.on_wake([&] { woken = true; });
  CHECK(enc.next() == "[1.5");
  CHECK(enc.waiting());
  arrived.push_back(2.0);
  wake_when_more.wake();
  CHECK(woken);
  CHECK(enc.next() == ",2.0");
}

#if ITERJSON_TEST_SQLITE
// --- README: Rows from a database ---
void export_orders(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, customer, note FROM orders ORDER BY id", -1, &stmt, nullptr);
  iterjson::encoder enc(iterjson::sqlite_rows(stmt));  // steps stmt as it writes
  while (!enc.done()) write_out(enc.next());  // [{"id":1,"customer":"Zoë","note":null},...]
  sqlite3_reset(stmt);
  write_out(iterjson::to_string(iterjson::sqlite_row_arrays(stmt)));  // [[1,"Zoë",null],...]
  sqlite3_finalize(stmt);
}
// --- end ---

TEST_CASE("README: rows from SQLite") {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, note TEXT);"
                       "INSERT INTO orders VALUES (2, 'Li', 'gift wrap'), (1, 'Zoë', NULL)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sent.clear();
  export_orders(db);
  sqlite3_close(db);
  CHECK(sent ==
        R"([{"id":1,"customer":"Zoë","note":null},{"id":2,"customer":"Li","note":"gift wrap"}])"
        R"([[1,"Zoë",null],[2,"Li","gift wrap"]])");
}
#endif

#if ITERJSON_TEST_POSTGRES
// --- README: Rows from a database (PostgreSQL) ---
void export_events(PGconn* conn) {
  const char* kind[] = {"click"};  // parameters are bound: $1
  iterjson::pg_rows rows(conn, "SELECT id, payload FROM events WHERE kind = $1 ORDER BY id", kind);
  iterjson::encoder enc(rows);  // a copy: both share the query
  while (!enc.done()) {
    write_out(enc.next());  // [{"id":1,"payload":{"x": 1}},...
    if (enc.waiting()) {    // no row yet: a server's loop watches the socket instead
      pollfd readable{rows.socket(), POLLIN, 0};
      ::poll(&readable, 1, -1);
      rows.on_readable();  // reads what came; wakes the encoder once a row is whole
    }
  }
}
// --- end ---

TEST_CASE("README: rows from PostgreSQL") {
  iterjson::testing::postgres_server& server = iterjson::testing::shared_postgres();
  if (!server.running()) {
    MESSAGE("PostgreSQL could not start, so this test is skipped: " << server.skip_reason());
    return;
  }
  const iterjson::testing::pg_connection c = iterjson::testing::connect_postgres(server);
  PGresult* made = PQexec(c.get(),
                          "CREATE TEMPORARY TABLE events (id int, kind text, payload jsonb);"
                          "INSERT INTO events VALUES (2, 'view', '[]'), (3, 'click', '{\"x\": [2, 3.50]}'),"
                          " (1, 'click', '{\"x\": 1}')");
  REQUIRE_MESSAGE(PQresultStatus(made) == PGRES_COMMAND_OK, PQresultErrorMessage(made));
  PQclear(made);
  sent.clear();
  export_events(c.get());
  CHECK(sent == R"([{"id":1,"payload":{"x": 1}},{"id":3,"payload":{"x": [2, 3.50]}}])");
}
#endif

#if ITERJSON_TEST_BEAST
// --- README: HTTP frameworks, Beast ---
namespace http = boost::beast::http;

boost::asio::awaitable<void> send_rows(boost::beast::tcp_stream& stream, std::vector<std::map<std::string, int>> rows) {
  http::response<iterjson::beast_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = iterjson::encoder(std::move(rows));  // moved in: made as it is written
  res.chunked(true);
  co_await iterjson::beast_async_write(stream, res, boost::asio::use_awaitable);
  if (res.need_eof()) stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send);
}
// --- end ---

TEST_CASE("README: Boost.Beast") {
  using boost::asio::ip::tcp;
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  http::response<http::string_body> received;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        boost::beast::tcp_stream stream(co_await acceptor.async_accept(boost::asio::use_awaitable));
        co_await send_rows(stream, load_rows());
      },
      boost::asio::detached);
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        tcp::socket socket(io);
        co_await socket.async_connect(acceptor.local_endpoint(), boost::asio::use_awaitable);
        boost::beast::flat_buffer buffer;
        co_await http::async_read(socket, buffer, received, boost::asio::use_awaitable);
      },
      boost::asio::detached);
  io.run();
  CHECK(received.chunked());
  CHECK(received.body() == R"([{"a":1},{"b":2}])");
}
#endif

#if ITERJSON_TEST_HTTPLIB
// --- README: HTTP frameworks, cpp-httplib ---
void add_routes(httplib::Server& svr) {
  svr.Get("/rows", [](const httplib::Request&, httplib::Response& res) {
    iterjson::set_content(res, iterjson::encoder(load_rows()), "application/json");
  });
}
// --- end ---

TEST_CASE("README: cpp-httplib") {
  httplib::Server svr;
  add_routes(svr);
  const int port = svr.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread listening([&svr] { svr.listen_after_bind(); });
  httplib::Client client("127.0.0.1", port);
  const httplib::Result result = client.Get("/rows");
  svr.stop();
  listening.join();
  REQUIRE(result);
  CHECK(result->get_header_value("Transfer-Encoding") == "chunked");
  CHECK(result->body == R"([{"a":1},{"b":2}])");
}
#endif

#if ITERJSON_TEST_ASIO && defined(ASIO_HAS_CO_AWAIT)  // Asio 1.22 has C++20 coroutines on GCC only
// --- README: Asio with C++20 coroutines ---
asio::awaitable<void> serve(asio::ip::tcp::socket socket, std::vector<std::map<std::string, int>> rows) {
  const std::string_view head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(head), asio::use_awaitable);
  co_await iterjson::async_write(socket, iterjson::encoder(std::move(rows)), asio::use_awaitable,
                                 {.framing = iterjson::transfer_framing::http_chunked});
}
// --- end ---

TEST_CASE("README: Asio with C++20 coroutines") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  asio::co_spawn(io, serve(acceptor.accept(), load_rows()), asio::detached);  // the socket closes at the end
  std::string received;
  std::error_code error;
  io.run();
  asio::read(client, asio::dynamic_buffer(received), error);
  CHECK(error == asio::error::eof);
  CHECK(received.ends_with("\r\n\r\n11\r\n[{\"a\":1},{\"b\":2}]\r\n0\r\n\r\n"));
}
#endif

namespace {

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (!space) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("every C++ sample of the README is in this file") {
  const std::string readme = iterjson::testing::read_file(std::string(ITERJSON_TESTS_DIR) + "/../README.md");
  const std::string self = collapse_whitespace(iterjson::testing::read_file(std::string(ITERJSON_TESTS_DIR) + "/doc_readme_test.cpp"));
  int blocks = 0;
  for (std::size_t open = readme.find("```cpp\n"); open != std::string::npos; open = readme.find("```cpp\n", open)) {
    const std::size_t start = open + 7;
    const std::size_t close = readme.find("```", start);
    REQUIRE(close != std::string::npos);
    ++blocks;
    std::string sample;
    std::istringstream lines(readme.substr(start, close - start));
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("#include")) {
        CHECK_MESSAGE(self.find(collapse_whitespace(line)) != std::string::npos, "README include not in this test: " << line);
      } else {
        sample += line + "\n";
      }
    }
    sample = collapse_whitespace(sample);
    CHECK_MESSAGE(self.find(sample) != std::string::npos, "README sample not compiled by this test:\n" << sample);
    open = close + 3;
  }
  CHECK(blocks == 18);
}
