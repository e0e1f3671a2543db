#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace iterjson {

/// Thrown when a value cannot be encoded under the options in force: NaN or Infinity
/// under `nan_policy::error`, invalid UTF-8 under `utf8_policy::error`, nesting deeper
/// than `options::max_depth`, or a cycle through `std::shared_ptr`.
///
/// `path()` is the RFC 6901 JSON Pointer of the offending value (`/users/3/score`,
/// empty for the root); `what()` ends with it too.
class encode_error : public std::runtime_error {
 public:
  encode_error(const std::string& reason, std::string path)
      : std::runtime_error(reason + " at \"" + path + "\""), path_(std::move(path)) {}

  /// The JSON Pointer of the value that could not be encoded.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace iterjson
