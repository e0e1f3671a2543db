#include "iterjson/adapters/sqlite.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "test_support.hpp"

namespace {

using iterjson::testing::encode_every_way_from;

// An in-memory database, closed at the end of the test.
struct database {
  sqlite3* db = nullptr;
  database() { REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK); }
  ~database() { sqlite3_close_v2(db); }
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  void run(const char* sql) const {
    char* message = nullptr;
    const int status = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    const std::string text = message != nullptr ? message : "";
    sqlite3_free(message);
    REQUIRE_MESSAGE(status == SQLITE_OK, text);
  }
};

// A prepared statement, finalized at the end of the test.
struct statement {
  sqlite3_stmt* stmt = nullptr;
  statement(const database& d, const char* sql) {
    REQUIRE_MESSAGE(sqlite3_prepare_v2(d.db, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(d.db));
  }
  ~statement() { sqlite3_finalize(stmt); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // From the first row again, for one more way of encoding it.
  template <bool Keyed = true>
  iterjson::basic_sqlite_rows<Keyed> fresh() const {
    sqlite3_reset(stmt);
    return iterjson::basic_sqlite_rows<Keyed>(stmt);
  }
};

// 1, 2, ... count, as column `i`, through `counted(i)`: a function that counts the rows
// SQLite has made so far.
constexpr const char* counted_rows_sql =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT counted(i) AS i FROM n";

void count_call(sqlite3_context* context, int, sqlite3_value** arguments) {
  ++*static_cast<int*>(sqlite3_user_data(context));
  sqlite3_result_value(context, arguments[0]);
}

// Fails on the row whose argument is 3; passes the others through.
void fail_at_three(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_int(arguments[0]) == 3) return sqlite3_result_error(context, "no third row today", -1);
  sqlite3_result_value(context, arguments[0]);
}

struct report {
  iterjson::basic_sqlite_rows<true> rows;
};

}  // namespace

ITERJSON_FIELDS(report, rows);

TEST_CASE("sqlite: each storage class, rows as objects and as arrays") {
  database d;
  d.run(
      "CREATE TABLE t (id INTEGER, amount REAL, name TEXT, note TEXT, data BLOB);"
      "INSERT INTO t VALUES (1, 12.5, 'Zoë \"quoted\"\n', NULL, x'');"
      "INSERT INTO t VALUES (-9223372036854775808, -0.1, '東京', 'first', x'00');"
      "INSERT INTO t VALUES (9223372036854775807, 1e300, '', 'x', x'fffe');"
      "INSERT INTO t VALUES (0, 3.0, 'tab\t', NULL, x'4d616e');");
  statement s(d, "SELECT id, amount, name, note, data FROM t ORDER BY rowid");
  CHECK(encode_every_way_from([&] { return s.fresh(); }) ==
        R"([{"id":1,"amount":12.5,"name":"Zoë \"quoted\"\n","note":null,"data":""},)"
        R"({"id":-9223372036854775808,"amount":-0.1,"name":"東京","note":"first","data":"AA=="},)"
        R"({"id":9223372036854775807,"amount":1e+300,"name":"","note":"x","data":"//4="},)"
        R"({"id":0,"amount":3.0,"name":"tab\t","note":null,"data":"TWFu"}])");
  CHECK(encode_every_way_from([&] { return s.fresh<false>(); }) ==
        R"([[1,12.5,"Zoë \"quoted\"\n",null,""],)"
        R"([-9223372036854775808,-0.1,"東京","first","AA=="],)"
        R"([9223372036854775807,1e+300,"","x","//4="],)"
        R"([0,3.0,"tab\t",null,"TWFu"]])");
  CHECK(iterjson::to_string(s.fresh(), {.indent = 1, .sort_keys = true}).starts_with(
      "[\n {\n  \"amount\": 12.5,\n  \"data\": \"\",\n  \"id\": 1,\n  \"name\": "));
  CHECK(iterjson::to_string(s.fresh(), {.ensure_ascii = true}).find(R"("name":"\u6771\u4eac")") != std::string::npos);
}

TEST_CASE("sqlite: base64 of every length modulo three") {
  CHECK(iterjson::detail::sqlite_base64(nullptr, 0).empty());
  const auto* man = reinterpret_cast<const unsigned char*>("Many hands");
  CHECK(iterjson::detail::sqlite_base64(man, 1) == "TQ==");
  CHECK(iterjson::detail::sqlite_base64(man, 2) == "TWE=");
  CHECK(iterjson::detail::sqlite_base64(man, 3) == "TWFu");
  CHECK(iterjson::detail::sqlite_base64(man, 10) == "TWFueSBoYW5kcw==");
}

TEST_CASE("sqlite: an empty result is an empty array") {
  database d;
  d.run("CREATE TABLE t (a INTEGER)");
  statement s(d, "SELECT a FROM t");
  CHECK(encode_every_way_from([&] { return s.fresh(); }) == "[]");
  CHECK(encode_every_way_from([&] { return s.fresh<false>(); }) == "[]");
}

TEST_CASE("sqlite: rows are stepped as the encoder asks for them, not before") {
  database d;
  int made = 0;
  REQUIRE(sqlite3_create_function(d.db, "counted", 1, SQLITE_UTF8, &made, count_call, nullptr, nullptr) == SQLITE_OK);
  statement s(d, counted_rows_sql);
  iterjson::encoder enc(iterjson::sqlite_rows(s.stmt), {.chunk_size = 32});
  CHECK(enc.next() == R"([{"i":1},{"i":2},{"i":3},{"i":4})");
  CHECK(made <= 5);  // the rows written, and the one under way
  std::string text = "[";
  while (!enc.done()) text += enc.next();
  CHECK(made == 1000);
  CHECK(text.ends_with(R"(,{"i":999},{"i":1000}])"));
}

TEST_CASE("sqlite: the NaN and UTF-8 policies apply") {
  database d;
  d.run("CREATE TABLE t (x REAL, s TEXT); INSERT INTO t VALUES (9e999, CAST(x'61ff62' AS TEXT))");
  statement s(d, "SELECT x, s FROM t");
  CHECK(iterjson::to_string(s.fresh(), {.nan = iterjson::nan_policy::null}) == "[{\"x\":null,\"s\":\"a\xEF\xBF\xBD" "b\"}]");
  CHECK(iterjson::to_string(s.fresh(), {.nan = iterjson::nan_policy::literal}) == "[{\"x\":Infinity,\"s\":\"a\xEF\xBF\xBD" "b\"}]");
  try {
    iterjson::to_string(s.fresh());
    FAIL("an infinity passed nan_policy::error");
  } catch (const iterjson::encode_error& error) {
    CHECK(error.path() == "/0/x");
  }
  try {
    iterjson::to_string(s.fresh(), {.nan = iterjson::nan_policy::null, .invalid_utf8 = iterjson::utf8_policy::error});
    FAIL("invalid UTF-8 passed utf8_policy::error");
  } catch (const iterjson::encode_error& error) {
    CHECK(error.path() == "/0/s");
  }
}

TEST_CASE("sqlite: a failed step fails the encoder with the row's path and SQLite's message") {
  database d;
  REQUIRE(sqlite3_create_function(d.db, "fail_at_three", 1, SQLITE_UTF8, nullptr, fail_at_three, nullptr, nullptr) ==
          SQLITE_OK);
  statement s(d, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT fail_at_three(i) AS i FROM n");
  iterjson::encoder enc(report{iterjson::sqlite_rows(s.stmt)});
  std::string text;
  try {
    // A byte at a time, so that all the text before the failure is out.
    for (char byte = 0; enc.read(&byte, 1) == 1;) text += byte;
    FAIL("the third row was written");
  } catch (const iterjson::sqlite_error& error) {
    CHECK(std::string_view(error.what()) == "no third row today");
    CHECK(error.code() == SQLITE_ERROR);
  }
  CHECK(enc.failed());
  CHECK(enc.done());
  CHECK(enc.error() == iterjson::encode_errc::exception_thrown);
  CHECK(enc.error_path() == "/rows/2");
  CHECK(text == R"({"rows":[{"i":1},{"i":2})");
  CHECK(enc.next().empty());
}
