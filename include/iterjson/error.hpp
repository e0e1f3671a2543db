#pragma once

#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace iterjson {

/// Why a value could not be encoded: the `std::error_code` of an `encode_error`, and of
/// an encoder's `error()`, where code built without exceptions reads it.
enum class encode_errc {
  non_finite_number = 1,  ///< NaN or Infinity under `nan_policy::error`
  invalid_utf8,           ///< invalid UTF-8 under `utf8_policy::error`
  too_deep,               ///< nesting deeper than `options::max_depth`
  shared_cycle,           ///< a cycle through `std::shared_ptr`
  misplaced_stream,       ///< a stream of values (`framing.hpp`) not at the root, or indented
  cannot_wait,            ///< `to_string` or `iterencode` met a source with nothing yet
  invalid_options,        ///< `options::chunk_size` is 0
  exception_thrown,       ///< a user's range, source or conversion threw (rethrown as it is)
};

/// The category of `encode_errc`: "iterjson.encode".
inline const std::error_category& encode_category() noexcept {
  struct category final : std::error_category {
    [[nodiscard]] const char* name() const noexcept override { return "iterjson.encode"; }
    [[nodiscard]] std::string message(int code) const override {
      switch (static_cast<encode_errc>(code)) {
        case encode_errc::non_finite_number: return "NaN or Infinity refused by nan_policy::error";
        case encode_errc::invalid_utf8: return "invalid UTF-8 refused by utf8_policy::error";
        case encode_errc::too_deep: return "nesting deeper than options::max_depth";
        case encode_errc::shared_cycle: return "cycle through std::shared_ptr";
        case encode_errc::misplaced_stream: return "a stream of values must be the compact root value";
        case encode_errc::cannot_wait: return "a source has nothing yet, and this call cannot wait";
        case encode_errc::invalid_options: return "invalid options";
        case encode_errc::exception_thrown: return "an exception was thrown while encoding";
      }
      return "unknown encode error";
    }
  };
  static const category instance;
  return instance;
}

/// Makes a `std::error_code` of an `encode_errc`.
inline std::error_code make_error_code(encode_errc code) noexcept { return {static_cast<int>(code), encode_category()}; }

/// Thrown when a value cannot be encoded under the options in force: NaN or Infinity
/// under `nan_policy::error`, invalid UTF-8 under `utf8_policy::error`, nesting deeper
/// than `options::max_depth`, or a cycle through `std::shared_ptr`.
///
/// `path()` is the RFC 6901 JSON Pointer of the offending value (`/users/3/score`,
/// empty for the root); `what()` ends with it too. `code()` says which error it is.
class encode_error : public std::runtime_error {
 public:
  encode_error(const std::string& reason, std::string path, std::error_code code = {})
      : std::runtime_error(reason + " at \"" + path + "\""), path_(std::move(path)), code_(code) {}

  /// The JSON Pointer of the value that could not be encoded.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// Which error it is, an `encode_errc`.
  [[nodiscard]] std::error_code code() const noexcept { return code_; }

 private:
  std::string path_;
  std::error_code code_;
};

}  // namespace iterjson

template <>
struct std::is_error_code_enum<iterjson::encode_errc> : std::true_type {};
