#include "iterjson/adapters/postgres.hpp"

#include <poll.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include "postgres_server.hpp"

namespace {

using iterjson::testing::connect_postgres;
using iterjson::testing::pg_connection;
using iterjson::testing::shared_postgres;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

// No wait of these tests is longer.
constexpr auto wait_limit = std::chrono::seconds(20);

// One turn of a loop driving an encoder over `rows`: the next slice, and while the
// encoder waits, a poll() of the socket then on_readable(). The slice stays valid: the
// encoder is not called again.
template <bool Keyed>
std::string_view next_or_wait(iterjson::encoder& enc, iterjson::basic_pg_rows<Keyed>& rows) {
  const std::string_view slice = enc.next();
  if (enc.waiting()) {
    pollfd watched{rows.socket(), POLLIN, 0};
    ::poll(&watched, 1, 1000);
    rows.on_readable();
  }
  return slice;
}

// The text of an encoder over `rows` (or over `wrap(rows)`), driven as a loop would: next() while there is text,
// and while it waits, a poll() of the socket then on_readable(). `slices` are the slices
// with the time each came, from the start.
struct drained {
  std::string text;
  std::vector<std::pair<milliseconds, std::string>> slices;
  bool failed = false;
  std::string error;
  std::string path;
};

template <bool Keyed, class Wrap = std::identity>
drained drain(iterjson::basic_pg_rows<Keyed> rows, const iterjson::options& opts = {}, Wrap wrap = {}) {
  drained out;
  const auto start = steady::now();
  iterjson::encoder enc(wrap(rows), opts);
  try {
    while (!enc.done()) {
      REQUIRE_MESSAGE(steady::now() - start < wait_limit, "no end after " << out.text);
      const std::string_view slice = next_or_wait(enc, rows);
      if (!slice.empty()) {
        out.text += slice;
        out.slices.emplace_back(std::chrono::duration_cast<milliseconds>(steady::now() - start), std::string(slice));
      }
    }
  } catch (const iterjson::pg_error& error) {
    out.failed = true;
    out.error = std::string(error.what()) + " [" + error.sqlstate() + "]";
    out.path = enc.error_path();
    CHECK(enc.failed());
  } catch (const iterjson::encode_error& error) {
    out.failed = true;
    out.error = error.what();
    out.path = enc.error_path();
    CHECK(enc.failed());
  }
  return out;
}

// The rows of `sql` on `connection`, every way drained, as text.
std::string rows_text(PGconn* connection, const char* sql, const iterjson::options& opts = {}) {
  const drained out = drain(iterjson::pg_rows(connection, sql), opts);
  REQUIRE_MESSAGE(!out.failed, out.error);
  return out.text;
}

#define REQUIRE_POSTGRES()                                                              \
  iterjson::testing::postgres_server& server = shared_postgres();                       \
  if (!server.running()) {                                                              \
    MESSAGE("PostgreSQL could not start, so this test is skipped: " << server.skip_reason()); \
    return;                                                                             \
  }

}  // namespace

TEST_CASE("postgres: each type by its column's OID, with exact text") {
  REQUIRE_POSTGRES();
  const pg_connection c = connect_postgres(server);
  CHECK(rows_text(c.get(),
                  "SELECT 1::int2 AS a, (-2147483648)::int4 AS b, 9223372036854775807::int8 AS c, 1.5::float4 AS d,"
                  " 0.1::float8 AS e, true AS f, false AS g, 12345678901234567890.000000000001::numeric AS h,"
                  " '{\"b\": [1, 2.50], \"a\": null}'::jsonb AS i, '{\"x\" : 1}'::json AS j, 'Zoë \"q\"'::text AS k,"
                  " NULL::int AS l, '2024-01-02'::date AS m, 'NaN'::float8 AS n, 'Infinity'::numeric AS o,"
                  " 26::oid AS p, -0.000100::numeric AS q, 1e300::float8 AS r",
                  {.nan = iterjson::nan_policy::null}) ==
        R"([{"a":1,"b":-2147483648,"c":9223372036854775807,"d":1.5,"e":0.1,"f":true,"g":false,)"
        R"("h":12345678901234567890.000000000001,"i":{"a": null, "b": [1, 2.50]},"j":{"x" : 1},"k":"Zoë \"q\"",)"
        R"("l":null,"m":"2024-01-02","n":null,"o":null,"p":26,"q":-0.000100,"r":1e+300}])");
  CHECK(rows_text(c.get(), "SELECT g, g * 2 AS twice FROM generate_series(1, 3) g") ==
        R"([{"g":1,"twice":2},{"g":2,"twice":4},{"g":3,"twice":6}])");
  CHECK(drain(iterjson::pg_row_arrays(c.get(), "SELECT g, 'x' || g FROM generate_series(1, 3) g")).text ==
        R"([[1,"x1"],[2,"x2"],[3,"x3"]])");
  CHECK(rows_text(c.get(), "SELECT 1 WHERE false") == "[]");
  // json keeps its text, whose line breaks would cut an NDJSON record in two.
  const auto as_ndjson = [](auto& rows) { return iterjson::ndjson(rows); };
  CHECK(drain(iterjson::pg_rows(c.get(), "SELECT '{\"a\":\r\n [1,\n\"\\n\"]}'::json AS j"), {}, as_ndjson).text ==
        "{\"j\":{\"a\":   [1, \"\\n\"]}}\n");
  CHECK(rows_text(c.get(), "SELECT 'NaN'::numeric AS x", {.nan = iterjson::nan_policy::literal}) == R"([{"x":NaN}])");
  const drained refused = drain(iterjson::pg_rows(c.get(), "SELECT 1 AS a, 'NaN'::float8 AS x"));
  CHECK(refused.failed);
  CHECK(refused.error == "NaN is not allowed by nan_policy::error at \"/0/x\"");
  // The query was cut short by the encoder's error; the last copy going cancelled it.
  CHECK(rows_text(c.get(), "SELECT 'after' AS x") == R"([{"x":"after"}])");
}

TEST_CASE("postgres: rows reach the encoder while the query still runs") {
  REQUIRE_POSTGRES();
  const pg_connection c = connect_postgres(server);
  // The server sends its output in 8 KiB pieces (and at the end of the query): each row
  // is made larger than that, so that each goes out as it is made, 10 ms apart.
  const drained out = drain(iterjson::pg_row_arrays(
      c.get(), "SELECT g, repeat('x', 9000) || pg_sleep(0.01)::text FROM generate_series(1, 200) g"));
  REQUIRE(!out.failed);
  const std::string pad(9000, 'x');
  std::string expected = "[";
  for (int g = 1; g <= 200; ++g) expected += (g == 1 ? "[" : ",[") + std::to_string(g) + ",\"" + pad + "\"]";
  CHECK(out.text == expected + "]");
  // When the first row was out: the first slice is "[", written before any row came.
  std::string so_far;
  milliseconds first{-1};
  for (const auto& [at, slice] : out.slices) {
    so_far += slice;
    if (so_far.size() >= 9) {
      first = at;
      break;
    }
  }
  const milliseconds last = out.slices.back().first;
  MESSAGE("first row after " << first.count() << " ms, the last after " << last.count() << " ms");
  CHECK(last >= milliseconds(1900));  // 200 sleeps of 10 ms
  CHECK(first >= milliseconds(0));
  CHECK(first * 10 < last);
}

TEST_CASE("postgres: an error of the server fails the encoder with the row's path and SQLSTATE") {
  REQUIRE_POSTGRES();
  const pg_connection c = connect_postgres(server);
  const drained out = drain(iterjson::pg_rows(c.get(), "SELECT 10 / (3 - g) AS x FROM generate_series(1, 5) g"),
                            {.chunk_size = 1});
  CHECK(out.failed);
  CHECK(out.error == "ERROR:  division by zero [22012]");
  CHECK(out.path == "/2");
  CHECK(out.text == R"([{"x":5},{"x":10})");
  // The connection serves the next query.
  CHECK(rows_text(c.get(), "SELECT 42 AS answer") == R"([{"answer":42}])");
}

TEST_CASE("postgres: cancelling mid-query ends it at once, and the connection serves the next query") {
  REQUIRE_POSTGRES();
  const pg_connection c = connect_postgres(server);
  std::string text;
  steady::duration cancel_time{};
  {
    iterjson::pg_rows rows(c.get(), "SELECT g, repeat('x', 9000), pg_sleep(0.01) FROM generate_series(1, 2000) g");
    iterjson::encoder enc(rows);
    const auto deadline = steady::now() + wait_limit;
    while (text.size() < 20'000 && steady::now() < deadline) {
      text += next_or_wait(enc, rows);
    }
    REQUIRE(text.size() >= 20'000);
    CHECK(!rows.finished());
    const auto before = steady::now();
    rows.cancel();  // as the last copy going would: a client that left
    cancel_time = steady::now() - before;
    CHECK(rows.finished());
  }
  CHECK(text.starts_with(R"([{"g":1,"repeat":"xxx)"));
  // The query had about 20 s to go.
  MESSAGE("cancel took " << std::chrono::duration_cast<std::chrono::microseconds>(cancel_time).count() << " us");
  CHECK(cancel_time < std::chrono::seconds(5));
  CHECK(PQtransactionStatus(c.get()) == PQTRANS_IDLE);
  CHECK(rows_text(c.get(), "SELECT 'again' AS next") == R"([{"next":"again"}])");

  // Dropping the last copy cancels too.
  {
    iterjson::pg_rows rows(c.get(), "SELECT pg_sleep(20)");
    iterjson::encoder enc(rows);
    CHECK(enc.next() == "[");
  }
  const auto before = steady::now();
  CHECK(rows_text(c.get(), "SELECT 1 AS one") == R"([{"one":1}])");
  CHECK(steady::now() - before < std::chrono::seconds(5));
}

TEST_CASE("postgres: a cancel request sent from another thread; the loop drops the rest, then the connection serves the next query") {
  REQUIRE_POSTGRES();
  const pg_connection c = connect_postgres(server);
  iterjson::pg_rows rows(c.get(), "SELECT g, repeat('x', 9000), pg_sleep(0.01) FROM generate_series(1, 2000) g");
  std::thread sender;  // as libuv's uv_queue_work would
  bool sent = false;
  {
    iterjson::encoder enc(rows);
    std::string text;
    const auto deadline = steady::now() + wait_limit;
    while (text.size() < 20'000 && steady::now() < deadline) {
      text += next_or_wait(enc, rows);
    }
    REQUIRE(text.size() >= 20'000);
    const auto before = steady::now();
    sender = std::thread([&sent, request = rows.cancel_request()]() mutable { sent = request.send(); });
    const auto asked = steady::now() - before;
    MESSAGE("cancel_request took " << std::chrono::duration_cast<std::chrono::microseconds>(asked).count() << " us");
    CHECK(asked < std::chrono::milliseconds(100));
    // An encoder that polls on fails, rather than end its array as if it were complete.
    try {
      while (!enc.done()) text += enc.next();
      FAIL("the encoder went on after the cancel");
    } catch (const iterjson::pg_error& error) {
      CHECK(error.sqlstate() == "57014");
    }
    CHECK(!text.ends_with("]"));
  }
  const auto deadline = steady::now() + wait_limit;
  int wakeups = 0;
  while (!rows.finished() && steady::now() < deadline) {
    pollfd watched{rows.socket(), POLLIN, 0};
    ::poll(&watched, 1, 1000);
    ++wakeups;
    if (rows.on_readable()) CHECK(rows.finished());
  }
  sender.join();
  CHECK(sent);
  CHECK(rows.finished());
  MESSAGE("the rest was dropped in " << wakeups << " wake-ups of the loop");
  CHECK(PQtransactionStatus(c.get()) == PQTRANS_IDLE);
  CHECK(rows_text(c.get(), "SELECT 'next' AS x") == R"([{"x":"next"}])");
}

TEST_CASE("postgres: a connection cut mid-stream fails the encoder; the text lacks its end") {
  REQUIRE_POSTGRES();
  const pg_connection c = connect_postgres(server);
  const pg_connection killer = connect_postgres(server);
  iterjson::pg_rows rows(c.get(), "SELECT g, repeat('x', 9000), pg_sleep(0.01) FROM generate_series(1, 2000) g");
  iterjson::encoder enc(rows);
  std::string text;
  bool terminated = false;
  std::optional<iterjson::pg_error> failure;
  const auto deadline = steady::now() + wait_limit;
  try {
    while (!enc.done() && steady::now() < deadline) {
      text += enc.next();
      if (!terminated && text.size() > 20'000) {
        // The server ends this connection's backend, as when it shuts down.
        const std::string kill = "SELECT pg_terminate_backend(" + std::to_string(PQbackendPID(c.get())) + ")";
        PQclear(PQexec(killer.get(), kill.c_str()));
        terminated = true;
      }
      if (enc.waiting()) {
        pollfd watched{rows.socket(), POLLIN, 0};
        ::poll(&watched, 1, 1000);
        rows.on_readable();
      }
    }
  } catch (const iterjson::pg_error& error) {
    failure = error;
  }
  REQUIRE(failure.has_value());
  CHECK(std::string(failure->what()).find("terminating connection due to administrator command") != std::string::npos);
  CHECK(enc.failed());
  CHECK(enc.error_path().starts_with("/"));
  CHECK(!text.ends_with("]"));
  CHECK(PQstatus(c.get()) == CONNECTION_BAD);
}
