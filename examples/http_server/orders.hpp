#pragma once

// The rows of /rows: an SQLite table of orders, given with --db or generated at start, and
// streamed a row at a time by iterjson's SQLite adapter.
//
// The table the server reads, whether it made it or was given it:
//   orders(id INTEGER PRIMARY KEY, customer TEXT, amount REAL, placed_at TEXT, note TEXT)
// placed_at is an ISO 8601 time in UTC; note is NULL for most orders.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <iterjson/adapters/sqlite.hpp>

namespace http_demo {

// A row of orders, for the one-shot baseline, which collects the rows before it writes
// them: its fields are named as the columns, so its text is the streamed text.
struct order {
  std::int64_t id;
  std::string customer;
  double amount;
  std::string placed_at;
  std::optional<std::string> note;
};

}  // namespace http_demo

ITERJSON_FIELDS(http_demo::order, id, customer, amount, placed_at, note);

namespace http_demo {

struct close_database {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct finalize_statement {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using database_handle = std::unique_ptr<sqlite3, close_database>;
using statement_handle = std::unique_ptr<sqlite3_stmt, finalize_statement>;

// The orders database, read-only, on one connection that every /rows statement shares. A
// generated one lives in a directory of its own under $TMPDIR, removed when this goes.
class orders_database {
 public:
  // Opens `path`; throws std::runtime_error if it cannot, or has no orders table.
  explicit orders_database(const std::string& path);
  // Generates `count` orders in a new temporary directory, in one transaction with one
  // prepared insert, and opens them. Throws std::runtime_error if it cannot.
  static orders_database generate(std::uint64_t count);


  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // The first `limit` orders by id, as a source for an encoder: the statement is owned by
  // the source, so it lives as long as the stream and is finalized with it.
  class rows_source {
   public:
    explicit rows_source(statement_handle statement)
        : statement_(std::move(statement)), rows_(statement_.get()) {}
    std::optional<iterjson::basic_sqlite_rows<true>::row> operator()() { return rows_(); }

   private:
    statement_handle statement_;
    iterjson::basic_sqlite_rows<true> rows_;
  };
  rows_source first_rows(std::int64_t limit) const;

  // The same rows, collected: the one-shot baseline.
  std::vector<order> collect_rows(std::int64_t limit) const;

 private:
  orders_database() = default;
  statement_handle prepare_first_rows(std::int64_t limit) const;

  struct remove_directory {
    void operator()(std::filesystem::path* dir) const noexcept;
  };
  // Declared first, so removed last: after the database is closed.
  std::unique_ptr<std::filesystem::path, remove_directory> temporary_dir_;
  database_handle db_;
  std::string path_;
};

}  // namespace http_demo
