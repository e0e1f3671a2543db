#include "orders.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace http_demo {

namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& doing) {
  throw std::runtime_error(doing + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

void run(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, sql);
}

statement_handle prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) fail(db, sql);
  return statement_handle(statement);
}

// Customers, some of them with names outside ASCII, so that the text is not all ASCII.
constexpr std::array<const char*, 12> customers = {
    "Ada Lovelace", "Zoë Ødegaard", "José Muñoz",  "李小龍",         "Grace Hopper", "Ærin Þórsdóttir",
    "Alan Turing",  "Søren Kierkegaard", "Dvořák", "Jürgen Großmann", "Мария Иванова", "Barbara Liskov"};
constexpr std::array<const char*, 4> notes = {"gift wrap", "leave at the door", "call before \"delivery\"",
                                              "fragile: glass"};

// The orders are placed 37 seconds apart from 2024-01-01T00:00:00Z.
constexpr std::time_t first_order_time = 1'704'067'200;

void insert_orders(sqlite3* db, std::uint64_t count) {
  run(db,
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL NOT NULL, "
      "placed_at TEXT NOT NULL, note TEXT)");
  run(db, "BEGIN");
  const statement_handle insert = prepare(db, "INSERT INTO orders VALUES (?, ?, ?, ?, ?)");
  std::uint64_t state = 0x9E3779B97F4A7C15;  // xorshift: the same orders every time
  char placed_at[32];
  for (std::uint64_t id = 1; id <= count; ++id) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const std::time_t when = first_order_time + static_cast<std::time_t>(id * 37);
    std::tm utc{};
    gmtime_r(&when, &utc);
    const std::size_t time_size = std::strftime(placed_at, sizeof placed_at, "%Y-%m-%dT%H:%M:%SZ", &utc);
    sqlite3_stmt* s = insert.get();
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(id));
    sqlite3_bind_text(s, 2, customers[state % customers.size()], -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, static_cast<double>(state % 100'000) / 100);  // cents: 0.00 to 999.99
    sqlite3_bind_text(s, 4, placed_at, static_cast<int>(time_size), SQLITE_TRANSIENT);
    if (state % 3 == 0) {
      sqlite3_bind_text(s, 5, notes[(state >> 8) % notes.size()], -1, SQLITE_STATIC);
    } else {
      sqlite3_bind_null(s, 5);
    }
    if (sqlite3_step(s) != SQLITE_DONE) fail(db, "inserting an order");
    sqlite3_reset(s);
  }
  run(db, "COMMIT");
}

}  // namespace

orders_database::orders_database(const std::string& path) : path_(path) {
  sqlite3* db = nullptr;
  const int status = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  db_.reset(db);
  if (status != SQLITE_OK) fail(db, "cannot open " + path);
  prepare_first_rows(0);  // checks that the table is there, with its columns
}

orders_database orders_database::generate(std::uint64_t count) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/http_server_orders.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  orders_database made;
  made.temporary_dir_.reset(new std::filesystem::path(pattern));
  made.path_ = pattern + "/orders.db";
  sqlite3* db = nullptr;
  const int status = sqlite3_open_v2(made.path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  made.db_.reset(db);
  if (status != SQLITE_OK) fail(db, "cannot create " + made.path_);
  // Made and thrown away with the process: no journal, no waiting for the disk.
  run(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
  insert_orders(db, count);
  return made;
}

void orders_database::remove_directory::operator()(std::filesystem::path* dir) const noexcept {
  std::error_code ignored;
  std::filesystem::remove_all(*dir, ignored);
  delete dir;
}

statement_handle orders_database::prepare_first_rows(std::int64_t limit) const {
  statement_handle statement =
      prepare(db_.get(), "SELECT id, customer, amount, placed_at, note FROM orders ORDER BY id LIMIT ?");
  sqlite3_bind_int64(statement.get(), 1, limit);
  return statement;
}

orders_database::rows_source orders_database::first_rows(std::int64_t limit) const {
  return rows_source(prepare_first_rows(limit));
}

std::vector<order> orders_database::collect_rows(std::int64_t limit) const {
  const statement_handle statement = prepare_first_rows(limit);
  sqlite3_stmt* s = statement.get();
  std::vector<order> rows;
  int status = SQLITE_ROW;
  while ((status = sqlite3_step(s)) == SQLITE_ROW) {
    const auto text = [s](int column) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
    };
    std::optional<std::string> note;
    if (sqlite3_column_type(s, 4) != SQLITE_NULL) note = text(4);
    rows.push_back({sqlite3_column_int64(s, 0), text(1), sqlite3_column_double(s, 2), text(3), std::move(note)});
  }
  if (status != SQLITE_DONE) fail(db_.get(), "reading the orders");
  return rows;
}

}  // namespace http_demo
