#pragma once

// The rows of an SQLite statement as a source: stepped one row each time the encoder
// asks for the next element, and written from SQLite's own buffers, without a copy of
// the row.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <sqlite3.h>

#include "iterjson/detail/column_row.hpp"
#include "iterjson/detail/config.hpp"
#include "iterjson/traits.hpp"

#if !ITERJSON_DETAIL_EXCEPTIONS
#include "iterjson/encoder.hpp"  // detail::abort_on
#endif

namespace iterjson {

/// What `sqlite_rows` throws when `sqlite3_step` fails: SQLite's message, and its
/// extended result code in `code()`. The encoder is then `failed()`, and its
/// `error_path()` (or a driver's `stream_end::path`) is the JSON Pointer of the row that
/// could not be read, `/N` for the (N+1)th row of an array at the root.
class sqlite_error : public std::runtime_error {
 public:
  sqlite_error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

  /// SQLite's extended result code, as `SQLITE_BUSY` or `SQLITE_CORRUPT`.
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace detail {

// One column of the row a statement stands on; written by its storage class.
struct sqlite_value {
  sqlite3_stmt* statement;
  int column;
  [[nodiscard]] std::string_view name() const { return sqlite3_column_name(statement, column); }
};

// A BLOB as RFC 4648 base64, with padding.
inline std::string sqlite_base64(const unsigned char* bytes, std::size_t size) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned group = unsigned{bytes[i]} << 16 | unsigned{bytes[i + 1]} << 8 | bytes[i + 2];
    text += alphabet[group >> 18];
    text += alphabet[group >> 12 & 63];
    text += alphabet[group >> 6 & 63];
    text += alphabet[group & 63];
  }
  if (const std::size_t left = size - i; left != 0) {
    const unsigned group = unsigned{bytes[i]} << 16 | (left == 2 ? unsigned{bytes[i + 1]} << 8 : 0U);
    text += alphabet[group >> 18];
    text += alphabet[group >> 12 & 63];
    text += left == 2 ? alphabet[group >> 6 & 63] : '=';
    text += '=';
  }
  return text;
}

// The columns of the row a statement stands on. Valid until the statement steps again:
// the encoder writes a row whole before it asks for the next one.
template <bool Keyed>
using sqlite_row = column_row<sqlite_value, sqlite3_stmt*, Keyed>;

[[noreturn, gnu::cold]] inline void on_sqlite_step_error(sqlite3_stmt* statement) {
  sqlite3* db = sqlite3_db_handle(statement);
#if ITERJSON_DETAIL_EXCEPTIONS
  throw sqlite_error(sqlite3_extended_errcode(db), sqlite3_errmsg(db));
#else
  abort_on(std::string("sqlite3_step failed: ") + sqlite3_errmsg(db));
#endif
}

}  // namespace detail

/// The rows of an SQLite statement, as an array the encoder pulls a row at a time: each
/// element is what one `sqlite3_step` made, written straight from SQLite's buffers, and
/// nothing is collected. `Keyed`: each row an object keyed by the column names (made by
/// `sqlite_rows`); else an array of the values in column order (`sqlite_row_arrays`),
/// more compact for an export.
///
/// Values are written by their storage class: INTEGER as an integer, REAL as a number
/// (`options::nan` applies to an infinity), TEXT as a string (`options::invalid_utf8`
/// applies), NULL as `null`, BLOB as a base64 string (RFC 4648, padded).
///
/// The statement is the caller's, prepared and with its parameters bound; it must
/// outlive the encoder, which steps it but never resets or finalizes it. A failed step
/// throws `sqlite_error` out of `next()` or `read()` (the encoder's `error_path()` names
/// the row); built without exceptions, it aborts. Keys are the column names as SQLite
/// gives them: give columns distinct names (`AS`), or an object has duplicate keys.
template <bool Keyed>
class basic_sqlite_rows {
 public:
  using row = detail::sqlite_row<Keyed>;

  explicit basic_sqlite_rows(sqlite3_stmt* statement) noexcept : statement_(statement) {}

  /// Steps the statement: its next row, or nothing once it is done.
  std::optional<row> operator()() {
    if (done_) return std::nullopt;
    const int status = sqlite3_step(statement_);
    if (status == SQLITE_ROW) return row(statement_, sqlite3_data_count(statement_));
    done_ = true;  // stepping again would run the statement anew
    if (status != SQLITE_DONE) detail::on_sqlite_step_error(statement_);
    return std::nullopt;
  }

 private:
  sqlite3_stmt* statement_;
  bool done_ = false;
};

/// The rows of `statement` as objects keyed by column name (see `basic_sqlite_rows`):
/// `iterjson::encoder enc(iterjson::sqlite_rows(stmt));`.
inline basic_sqlite_rows<true> sqlite_rows(sqlite3_stmt* statement) noexcept {
  return basic_sqlite_rows<true>(statement);
}

/// The rows of `statement` as arrays of values in column order (see `basic_sqlite_rows`).
inline basic_sqlite_rows<false> sqlite_row_arrays(sqlite3_stmt* statement) noexcept {
  return basic_sqlite_rows<false>(statement);
}

}  // namespace iterjson

/// A column of the current row, written by its storage class (see `basic_sqlite_rows`).
template <>
struct iterjson::variant_traits<iterjson::detail::sqlite_value> {
  template <class Visitor>
  static void visit(const detail::sqlite_value& value, Visitor&& visitor) {
    sqlite3_stmt* const statement = value.statement;
    const int column = value.column;
    switch (sqlite3_column_type(statement, column)) {
      case SQLITE_INTEGER: return visitor(static_cast<long long>(sqlite3_column_int64(statement, column)));
      case SQLITE_FLOAT: return visitor(sqlite3_column_double(statement, column));
      case SQLITE_TEXT: {
        // Text first, then its size, as SQLite advises: the size is then the text's.
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
        return visitor(text == nullptr ? std::string_view() : std::string_view(text, size));
      }
      case SQLITE_BLOB: {
        const auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(statement, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
        return visitor(detail::sqlite_base64(bytes, size));
      }
      default: return visitor(nullptr);
    }
  }
};
