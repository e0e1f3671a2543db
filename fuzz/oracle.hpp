#pragma once

// What the fuzz targets check about one value encoded with one set of options:
//   (a) the text parses with two independent strict parsers, Boost.JSON and simdjson,
//       whenever it should be JSON (nan_policy::literal and verbatim invalid UTF-8 are
//       checked through a lenient parse instead, see `check_text`);
//   (b) the parsed values equal the input with the options applied (see `model`), and
//       the text is byte for byte what Python's json.dumps writes (`reference_writer`);
//   (c) to_string and one other way, chosen by the options (next(), read() with random
//       sizes, mixed next() and read(), or to_string with an error_code), agree byte for
//       byte, or fail alike;
//   (d) invalid UTF-8, NaN and Infinity, and nesting past max_depth are handled as the
//       options say, errors with the right code and path.
// A failed check prints what differed and aborts, which libFuzzer reports as a crash.
//
// Nothing here uses iterjson's detail code: the UTF-8 decoder, the number formatting and
// the escaping are written anew.

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <pthread.h>

#include <boost/json.hpp>
#include <simdjson.h>

#include "iterjson/iterjson.hpp"
#include "value_tree.hpp"

namespace fuzz {

// --- failing -----------------------------------------------------------------------------

// The ways of encoding one of which runs besides to_string, by fuzz_options::other_way.
inline constexpr const char* other_ways[4] = {"next()", "read()", "next() and read() mixed", "to_string(error_code)"};

inline std::string describe(const fuzz_options& o) {
  const auto& p = o.opts;
  const std::string key_separator = o.key_separator ? "\"" + *o.key_separator + "\"" : "unset";
  std::string text = "indent=" + std::to_string(p.indent) + " indent_char=" +
                     std::to_string(static_cast<unsigned char>(p.indent_char)) + " item_separator=\"" +
                     o.item_separator + "\" key_separator=" + key_separator + " sort_keys=" +
                     std::to_string(p.sort_keys) + " ensure_ascii=" + std::to_string(p.ensure_ascii) +
                     " nan=" + std::to_string(static_cast<int>(p.nan)) +
                     " invalid_utf8=" + std::to_string(static_cast<int>(p.invalid_utf8)) +
                     " chunk_size=" + std::to_string(p.chunk_size) + " max_depth=" + std::to_string(p.max_depth) +
                     " other_way=" + other_ways[o.other_way % 4];
  return text;
}

// Bytes outside printable ASCII as \xHH, so a message shows NULs and invalid UTF-8.
inline std::string printable(std::string_view bytes) {
  constexpr char hex[] = "0123456789abcdef";
  std::string shown;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 0x20 && b < 0x7F) || c == '\n') {
      shown += c;
    } else {
      shown += "\\x";
      shown += hex[b >> 4];
      shown += hex[b & 0xF];
    }
  }
  return shown;
}

inline std::string excerpt(std::string_view text) {
  constexpr std::size_t most = 1500;
  std::string shown = printable(text.substr(0, most));
  if (text.size() > most) shown += "... (" + std::to_string(text.size()) + " bytes)";
  return shown;
}

[[noreturn]] inline void fail(const fuzz_options& o, const std::string& what) {
  std::fprintf(stderr, "\n*** iterjson fuzz check failed: %s\n*** options: %s\n", printable(what).c_str(),
               printable(describe(o)).c_str());
  std::abort();
}

// --- a reference UTF-8 decoder -------------------------------------------------------------

inline void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Calls `emit` with each code point of `bytes`, each maximal subpart of an ill-formed
// sequence decoded as U+FFFD: the decoder of the WHATWG Encoding Standard, byte by byte.
// Returns whether there was none.
template <class Emit>
bool decode_utf8_replacing(std::string_view bytes, Emit&& emit) {
  bool valid = true;
  std::uint32_t code_point = 0;
  int needed = 0;
  int seen = 0;
  unsigned lower = 0x80;
  unsigned upper = 0xBF;
  for (std::size_t i = 0; i < bytes.size();) {
    const unsigned byte = static_cast<unsigned char>(bytes[i]);
    if (needed == 0) {
      ++i;
      if (byte < 0x80) {
        emit(byte);
      } else if (byte >= 0xC2 && byte <= 0xDF) {
        needed = 1;
        code_point = byte & 0x1F;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        if (byte == 0xE0) lower = 0xA0;
        if (byte == 0xED) upper = 0x9F;
        needed = 2;
        code_point = byte & 0x0F;
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        if (byte == 0xF0) lower = 0x90;
        if (byte == 0xF4) upper = 0x8F;
        needed = 3;
        code_point = byte & 0x07;
      } else {
        emit(0xFFFD);
        valid = false;
      }
      continue;
    }
    if (byte < lower || byte > upper) {  // the subpart ends before this byte: decode it again
      code_point = 0;
      needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      emit(0xFFFD);
      valid = false;
      continue;
    }
    ++i;
    lower = 0x80;
    upper = 0xBF;
    code_point = (code_point << 6) | (byte & 0x3F);
    if (++seen == needed) {
      emit(code_point);
      code_point = 0;
      needed = seen = 0;
    }
  }
  if (needed != 0) {
    emit(0xFFFD);
    valid = false;
  }
  return valid;
}

inline bool valid_utf8(std::string_view bytes) {
  return decode_utf8_replacing(bytes, [](std::uint32_t) {});
}

inline std::string replace_invalid_utf8(std::string_view bytes) {
  std::string text;
  decode_utf8_replacing(bytes, [&](std::uint32_t code_point) { append_utf8(text, code_point); });
  return text;
}

// --- what the text must hold: the model ----------------------------------------------------

struct expected_member;

// A value as it must come back from a parser: strings with the UTF-8 policy applied,
// NaN and Infinity with the nan policy applied, members in the order written.
struct expected {
  enum class kind : std::uint8_t { null, boolean, integer, float32, float64, non_finite, string, array, object };
  kind type = kind::null;
  bool flag = false;  // boolean: its value; integer: negative
  std::uint64_t magnitude = 0;
  float f32 = 0;
  double f64 = 0;
  std::string text;  // string: its bytes; non_finite: NaN, Infinity or -Infinity
  std::vector<expected> items;
  std::vector<expected_member> members;
};

struct expected_member {
  std::string key;
  expected value;
};

struct expected_error {
  iterjson::encode_errc code;
  std::string path;
};

struct model {
  expected root;
  std::vector<expected_error> errors;  // the error any of which may be raised; none: success
  bool text_is_utf8 = true;            // false when verbatim copies invalid UTF-8 into the text
  bool has_literals = false;           // NaN or Infinity written as literals
};

// An RFC 6901 reference token; written here again, not taken from iterjson's detail code.
inline void append_path_segment(std::string& path, std::string_view key) {
  path += '/';
  for (const char c : key) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path += c;
    }
  }
}

// Works out, from the value and the options alone, the text's content or the error.
class model_builder {
 public:
  explicit model_builder(const iterjson::options& opts) : opts_(opts) {}

  model build(const value& root) {
    model_ = {};
    std::string path;
    if (!visit(root, 0, path, model_.root, model_.errors)) model_.root = {};
    return std::move(model_);
  }

 private:
  // A member to write: its key's bytes as given (integer keys in decimal), and its value.
  struct member_ref {
    std::string key;
    bool checked_key;  // a string key, under the UTF-8 policy; integer keys are ASCII
    const value* member_value;
  };

  bool visit(const value& v, std::size_t depth, std::string& path, expected& out,
             std::vector<expected_error>& errors) {
    return std::visit([&](const auto& alternative) { return visit_as(alternative, depth, path, out, errors); },
                      v.alternative);
  }

  bool visit_as(std::nullptr_t, std::size_t, std::string&, expected& out, std::vector<expected_error>&) {
    out.type = expected::kind::null;
    return true;
  }
  bool visit_as(bool b, std::size_t, std::string&, expected& out, std::vector<expected_error>&) {
    out.type = expected::kind::boolean;
    out.flag = b;
    return true;
  }
  bool visit_as(std::int64_t i, std::size_t, std::string&, expected& out, std::vector<expected_error>&) {
    out.type = expected::kind::integer;
    out.flag = i < 0;
    out.magnitude = i < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
    return true;
  }
  bool visit_as(std::uint64_t u, std::size_t, std::string&, expected& out, std::vector<expected_error>&) {
    out.type = expected::kind::integer;
    out.magnitude = u;
    return true;
  }
  bool visit_as(float f, std::size_t, std::string& path, expected& out, std::vector<expected_error>& errors) {
    if (!std::isfinite(f)) return visit_non_finite(f, path, out, errors);
    out.type = expected::kind::float32;
    out.f32 = f;
    return true;
  }
  bool visit_as(double d, std::size_t, std::string& path, expected& out, std::vector<expected_error>& errors) {
    if (!std::isfinite(d)) return visit_non_finite(d, path, out, errors);
    out.type = expected::kind::float64;
    out.f64 = d;
    return true;
  }
  bool visit_as(const std::string& s, std::size_t, std::string& path, expected& out,
                std::vector<expected_error>& errors) {
    out.type = expected::kind::string;
    return apply_utf8_policy(s, path, out.text, errors);
  }
  bool visit_as(const box& b, std::size_t depth, std::string& path, expected& out,
                std::vector<expected_error>& errors) {
    if (!b) {
      out.type = expected::kind::null;
      return true;
    }
    return visit(*b, depth, path, out, errors);
  }
  bool visit_as(const array& items, std::size_t depth, std::string& path, expected& out,
                std::vector<expected_error>& errors) {
    if (!open_container(depth, path, errors)) return false;
    out.type = expected::kind::array;
    out.items.resize(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::size_t path_size = path.size();
      append_path_segment(path, std::to_string(i));
      const bool ok = visit(items[i], depth + 1, path, out.items[i], errors);
      path.resize(path_size);
      if (!ok) return false;
    }
    return true;
  }
  bool visit_as(const object_map& members, std::size_t depth, std::string& path, expected& out,
                std::vector<expected_error>& errors) {
    std::vector<member_ref> refs;
    refs.reserve(members.size());
    for (const auto& [key, member] : members) refs.push_back({key, true, &member});
    return visit_members(refs, false, depth, path, out, errors);
  }
  bool visit_as(const integer_keyed_map& members, std::size_t depth, std::string& path, expected& out,
                std::vector<expected_error>& errors) {
    std::vector<member_ref> refs;
    refs.reserve(members.size());
    for (const auto& [key, member] : members) refs.push_back({std::to_string(key), false, &member});
    return visit_members(refs, false, depth, path, out, errors);
  }
  bool visit_as(const object_pairs& members, std::size_t depth, std::string& path, expected& out,
                std::vector<expected_error>& errors) {
    std::vector<member_ref> refs;
    refs.reserve(members.size());
    for (const auto& [key, member] : members) refs.push_back({key, true, &member});
    if (opts_.sort_keys) {
      std::stable_sort(refs.begin(), refs.end(), [](const member_ref& a, const member_ref& b) { return a.key < b.key; });
    }
    return visit_members(refs, opts_.sort_keys, depth, path, out, errors);
  }

  bool visit_members(const std::vector<member_ref>& refs, bool equal_keys_tie, std::size_t depth, std::string& path,
                     expected& out, std::vector<expected_error>& errors) {
    if (!open_container(depth, path, errors)) return false;
    out.type = expected::kind::object;
    out.members.resize(refs.size());
    for (std::size_t group = 0; group < refs.size();) {
      std::size_t group_end = group + 1;
      while (equal_keys_tie && group_end < refs.size() && refs[group_end].key == refs[group].key) ++group_end;
      // Equal keys: the same key text, or the same error, whichever member comes first.
      const std::size_t path_size = path.size();
      append_path_segment(path, refs[group].key);
      std::string key_text = refs[group].key;
      if (refs[group].checked_key && !apply_utf8_policy(refs[group].key, path, key_text, errors)) {
        path.resize(path_size);  // every visit leaves `path` as it found it, failed or not
        return false;
      }
      std::vector<expected_error> group_errors;
      for (std::size_t i = group; i < group_end; ++i) {
        out.members[i].key = key_text;
        std::vector<expected_error> member_errors;
        if (!visit(*refs[i].member_value, depth + 1, path, out.members[i].value, member_errors)) {
          // Moved, not copied: an error deep down passes through every level above it.
          group_errors.insert(group_errors.end(), std::make_move_iterator(member_errors.begin()),
                              std::make_move_iterator(member_errors.end()));
        }
      }
      path.resize(path_size);
      if (!group_errors.empty()) {
        errors = std::move(group_errors);
        return false;
      }
      group = group_end;
    }
    return true;
  }

  bool open_container(std::size_t depth, const std::string& path, std::vector<expected_error>& errors) const {
    if (depth + 1 <= opts_.max_depth) return true;
    errors = {{iterjson::encode_errc::too_deep, path}};
    return false;
  }

  bool visit_non_finite(double d, const std::string& path, expected& out, std::vector<expected_error>& errors) {
    switch (opts_.nan) {
      case iterjson::nan_policy::error:
        errors = {{iterjson::encode_errc::non_finite_number, path}};
        return false;
      case iterjson::nan_policy::null:
        out.type = expected::kind::null;
        return true;
      case iterjson::nan_policy::literal:
        out.type = expected::kind::non_finite;
        out.text = std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
        model_.has_literals = true;
        return true;
    }
    return true;
  }

  bool apply_utf8_policy(std::string_view bytes, const std::string& path, std::string& out,
                         std::vector<expected_error>& errors) {
    if (valid_utf8(bytes)) {
      out = bytes;
      return true;
    }
    switch (opts_.invalid_utf8) {
      case iterjson::utf8_policy::replace: out = replace_invalid_utf8(bytes); return true;
      case iterjson::utf8_policy::error: errors = {{iterjson::encode_errc::invalid_utf8, path}}; return false;
      case iterjson::utf8_policy::verbatim:
        if (opts_.ensure_ascii) {  // raw bytes cannot stay in ASCII text: replaced
          out = replace_invalid_utf8(bytes);
        } else {
          out = bytes;
          model_.text_is_utf8 = false;
        }
        return true;
    }
    return true;
  }

  const iterjson::options& opts_;
  model model_;
};

// --- the text Python's json.dumps writes ---------------------------------------------------

// Python's repr of a float: the shortest digits that read back (as std::to_chars gives
// them), positional from 1e-4 up to 1e16 with at least one digit after the point,
// exponent form otherwise, the exponent signed and of two digits at least.
template <class Float>
std::string python_repr(Float f) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, f, std::chars_format::scientific);
  const std::string_view sci(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const bool negative = sci.front() == '-';
  const std::size_t e_at = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(negative ? 1 : 0, e_at - (negative ? 1 : 0))) {
    if (c != '.') digits += c;
  }
  const int exponent = std::atoi(std::string(sci.substr(e_at + 1)).c_str());
  std::string text = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    const int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
      text += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
      text += digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
    } else {
      text += digits.substr(0, static_cast<std::size_t>(point)) + "." + digits.substr(static_cast<std::size_t>(point));
    }
  } else {
    text += digits.substr(0, 1);
    if (digits.size() > 1) text += "." + digits.substr(1);
    text += exponent < 0 ? "e-" : "e+";
    const std::string magnitude = std::to_string(exponent < 0 ? -exponent : exponent);
    if (magnitude.size() < 2) text += '0';
    text += magnitude;
  }
  return text;
}

inline void append_u_escape(std::string& out, std::uint32_t unit) {
  constexpr char hex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex[(unit >> shift) & 0xF];
}

// A string as json.dumps quotes it. Without ensure_ascii, bytes from 0x80 are copied (the
// model holds them already replaced, or verbatim); with it, the text is valid UTF-8 and
// each code point outside printable ASCII becomes \uXXXX, or a surrogate pair.
inline void append_quoted(std::string& out, std::string_view text, bool ensure_ascii) {
  out += '"';
  auto append = [&](std::uint32_t c) {  // a byte, or with ensure_ascii a code point
    switch (c) {
      case '"': out += "\\\""; return;
      case '\\': out += "\\\\"; return;
      case '\n': out += "\\n"; return;
      case '\r': out += "\\r"; return;
      case '\t': out += "\\t"; return;
      case '\b': out += "\\b"; return;
      case '\f': out += "\\f"; return;
      default: break;
    }
    if (c < 0x20 || (ensure_ascii && c >= 0x7F && c < 0x10000)) {
      append_u_escape(out, c);
    } else if (ensure_ascii && c >= 0x10000) {
      append_u_escape(out, 0xD800 + ((c - 0x10000) >> 10));
      append_u_escape(out, 0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      out += static_cast<char>(c);
    }
  };
  if (ensure_ascii) {
    decode_utf8_replacing(text, append);
  } else {
    for (const char c : text) append(static_cast<unsigned char>(c));
  }
  out += '"';
}

class reference_writer {
 public:
  explicit reference_writer(const iterjson::options& opts) : opts_(opts) {}

  std::string text(const expected& root) {
    std::string out;
    write(root, 0, out);
    return out;
  }

 private:
  void newline_indent(std::size_t depth, std::string& out) const {
    if (opts_.indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(opts_.indent) * depth, opts_.indent_char);
  }

  void write(const expected& x, std::size_t depth, std::string& out) const {
    switch (x.type) {
      case expected::kind::null: out += "null"; return;
      case expected::kind::boolean: out += x.flag ? "true" : "false"; return;
      case expected::kind::integer:
        if (x.flag) out += '-';
        out += std::to_string(x.magnitude);
        return;
      case expected::kind::float32: out += python_repr(x.f32); return;
      case expected::kind::float64: out += python_repr(x.f64); return;
      case expected::kind::non_finite: out += x.text; return;
      case expected::kind::string: append_quoted(out, x.text, opts_.ensure_ascii); return;
      case expected::kind::array:
        out += '[';
        for (std::size_t i = 0; i < x.items.size(); ++i) {
          if (i != 0) out += opts_.item_separator;
          newline_indent(depth + 1, out);
          write(x.items[i], depth + 1, out);
        }
        if (!x.items.empty()) newline_indent(depth, out);
        out += ']';
        return;
      case expected::kind::object:
        out += '{';
        for (std::size_t i = 0; i < x.members.size(); ++i) {
          if (i != 0) out += opts_.item_separator;
          newline_indent(depth + 1, out);
          append_quoted(out, x.members[i].key, opts_.ensure_ascii);
          out += opts_.key_separator.value_or(opts_.indent < 0 ? ":" : ": ");  // Python's under indent
          write(x.members[i].value, depth + 1, out);
        }
        if (!x.members.empty()) newline_indent(depth, out);
        out += '}';
        return;
    }
  }

  const iterjson::options& opts_;
};

// --- parsed values against the model -------------------------------------------------------

// What a NaN or Infinity literal becomes before a strict parser reads the text.
inline constexpr std::string_view non_finite_sentinel_key = "\x01non-finite";

// Replaces each NaN, Infinity and -Infinity outside strings with
// {"\u0001non-finite":"<literal>"}, so strict parsers can read the text.
inline std::string replace_non_finite_literals(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // the text before it is in `out`
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '"') {  // a string, skipped to its closing quote
      for (++i; i < text.size() && text[i] != '"'; ++i) i += text[i] == '\\';
      ++i;
      continue;
    }
    bool replaced = false;
    for (const std::string_view literal : {std::string_view("NaN"), std::string_view("Infinity"), std::string_view("-Infinity")}) {
      if (text[i] == literal.front() && text.substr(i, literal.size()) == literal) {
        out.append(text.substr(copied, i - copied));
        out.append("{\"\\u0001non-finite\":\"").append(literal).append("\"}");
        i += literal.size();
        copied = i;
        replaced = true;
        break;
      }
    }
    if (!replaced) ++i;
  }
  out.append(text.substr(copied));
  return out;
}

inline std::string kind_name(expected::kind k) {
  constexpr const char* names[] = {"null", "boolean", "integer", "float32", "float64", "non-finite", "string", "array", "object"};
  return names[static_cast<int>(k)];
}

// Whether two doubles are within `ulps` units in the last place, with the same sign.
inline bool close_doubles(double a, double b, std::uint64_t ulps) {
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  if ((x >> 63) != (y >> 63)) return false;
  return (x > y ? x - y : y - x) <= ulps;
}

inline bool same_bits(double a, double b) { return close_doubles(a, b, 0); }
inline bool same_float_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// simdjson, exact: every member in order (duplicates kept), doubles bit for bit.
inline std::string diff_simdjson(simdjson::dom::element e, const expected& x, std::string& path) {
  using simdjson::dom::element_type;
  const element_type type = e.type();
  auto mismatch = [&](const std::string& what) {
    return "simdjson at \"" + path + "\": " + what + " (expected " + kind_name(x.type) + ")";
  };
  switch (x.type) {
    case expected::kind::null:
      return type == element_type::NULL_VALUE ? "" : mismatch("not null");
    case expected::kind::boolean:
      return type == element_type::BOOL && bool(e.get_bool().value_unsafe()) == x.flag ? "" : mismatch("wrong boolean");
    case expected::kind::integer:
      if (type == element_type::INT64) {
        const std::int64_t i = e.get_int64().value_unsafe();
        const std::uint64_t magnitude = i < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
        return (i < 0) == x.flag && magnitude == x.magnitude ? "" : mismatch("integer " + std::to_string(i));
      }
      if (type == element_type::UINT64) {
        const std::uint64_t u = e.get_uint64().value_unsafe();
        return !x.flag && u == x.magnitude ? "" : mismatch("integer " + std::to_string(u));
      }
      return mismatch("not an integer");
    case expected::kind::float64:
      if (type != element_type::DOUBLE) return mismatch("not a double");
      return same_bits(e.get_double().value_unsafe(), x.f64) ? "" : mismatch("double " + python_repr(e.get_double().value_unsafe()) + " != " + python_repr(x.f64));
    case expected::kind::float32:
      if (type != element_type::DOUBLE) return mismatch("not a double");
      return same_float_bits(static_cast<float>(e.get_double().value_unsafe()), x.f32) ? "" : mismatch("float differs");
    case expected::kind::non_finite: {
      if (type != element_type::OBJECT) return mismatch("not a non-finite literal");
      const simdjson::dom::object object = e.get_object().value_unsafe();
      if (object.size() != 1) return mismatch("not a non-finite literal");
      const auto field = *object.begin();
      const auto literal = field.value.get_string();
      return field.key == non_finite_sentinel_key && !literal.error() && literal.value_unsafe() == x.text
                 ? ""
                 : mismatch("wrong non-finite literal");
    }
    case expected::kind::string:
      if (type != element_type::STRING) return mismatch("not a string");
      return e.get_string().value_unsafe() == x.text ? "" : mismatch("string differs");
    case expected::kind::array: {
      if (type != element_type::ARRAY) return mismatch("not an array");
      const simdjson::dom::array items = e.get_array().value_unsafe();
      if (items.size() != x.items.size()) return mismatch("array of " + std::to_string(items.size()) + " items");
      std::size_t i = 0;
      const std::size_t path_size = path.size();
      for (const simdjson::dom::element item : items) {
        append_path_segment(path, std::to_string(i));
        std::string d = diff_simdjson(item, x.items[i], path);
        if (!d.empty()) return d;
        path.resize(path_size);
        ++i;
      }
      return "";
    }
    case expected::kind::object: {
      if (type != element_type::OBJECT) return mismatch("not an object");
      const simdjson::dom::object object = e.get_object().value_unsafe();
      const std::size_t size = static_cast<std::size_t>(std::distance(object.begin(), object.end()));
      if (size != x.members.size()) return mismatch("object of " + std::to_string(size) + " members");
      // sort_keys sorts stably: members with equal keys keep the order given.
      std::size_t i = 0;
      for (const auto field : object) {
        if (field.key != x.members[i].key) return mismatch("member key differs at " + std::to_string(i));
        const std::size_t path_size = path.size();
        append_path_segment(path, field.key);
        std::string d = diff_simdjson(field.value, x.members[i].value, path);
        if (!d.empty()) return d;
        path.resize(path_size);
        ++i;
      }
      return "";
    }
  }
  return "";
}

// Boost.JSON: duplicate keys collapse (the last value kept), and before Boost 1.83 its
// number parser is not correctly rounded: doubles may be off by 2 units in the last place.
inline std::string diff_boost(const boost::json::value& v, const expected& x, std::string& path) {
  auto mismatch = [&](const std::string& what) {
    return "Boost.JSON at \"" + path + "\": " + what + " (expected " + kind_name(x.type) + ")";
  };
  switch (x.type) {
    case expected::kind::null: return v.is_null() ? "" : mismatch("not null");
    case expected::kind::boolean: return v.is_bool() && v.get_bool() == x.flag ? "" : mismatch("wrong boolean");
    case expected::kind::integer:
      if (v.is_int64()) {
        const std::int64_t i = v.get_int64();
        const std::uint64_t magnitude = i < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
        return (i < 0) == x.flag && magnitude == x.magnitude ? "" : mismatch("integer " + std::to_string(i));
      }
      if (v.is_uint64()) return !x.flag && v.get_uint64() == x.magnitude ? "" : mismatch("wrong integer");
      return mismatch("not an integer");
    case expected::kind::float64:
      return v.is_double() && close_doubles(v.get_double(), x.f64, 2) ? "" : mismatch("double differs");
    case expected::kind::float32: {
      if (!v.is_double()) return mismatch("not a double");
      const float f = static_cast<float>(v.get_double());
      std::uint32_t a = 0;
      std::uint32_t b = 0;
      std::memcpy(&a, &f, sizeof a);
      std::memcpy(&b, &x.f32, sizeof b);
      return (a >> 31) == (b >> 31) && (a > b ? a - b : b - a) <= 1 ? "" : mismatch("float differs");
    }
    case expected::kind::non_finite: {
      if (!v.is_object() || v.get_object().size() != 1) return mismatch("not a non-finite literal");
      const auto& member = *v.get_object().begin();
      return member.key() == non_finite_sentinel_key && member.value().is_string() &&
                     std::string_view(member.value().get_string()) == x.text
                 ? ""
                 : mismatch("wrong non-finite literal");
    }
    case expected::kind::string:
      return v.is_string() && std::string_view(v.get_string()) == x.text ? "" : mismatch("string differs");
    case expected::kind::array: {
      if (!v.is_array()) return mismatch("not an array");
      const boost::json::array& items = v.get_array();
      if (items.size() != x.items.size()) return mismatch("array of " + std::to_string(items.size()) + " items");
      const std::size_t path_size = path.size();
      for (std::size_t i = 0; i < items.size(); ++i) {
        append_path_segment(path, std::to_string(i));
        std::string d = diff_boost(items[i], x.items[i], path);
        if (!d.empty()) return d;
        path.resize(path_size);
      }
      return "";
    }
    case expected::kind::object: {
      if (!v.is_object()) return mismatch("not an object");
      // The members by key; equal keys in the order written, the one Boost.JSON keeps last.
      std::vector<std::pair<std::string_view, const expected*>> by_key;
      by_key.reserve(x.members.size());
      for (const expected_member& m : x.members) by_key.emplace_back(m.key, &m.value);
      std::sort(by_key.begin(), by_key.end());  // equal keys by address: in the order written
      std::size_t keys = 0;
      for (std::size_t i = 0; i < by_key.size(); ++i) keys += i == 0 || by_key[i].first != by_key[i - 1].first;
      const boost::json::object& object = v.get_object();
      if (object.size() != keys) return mismatch("object of " + std::to_string(object.size()) + " keys");
      for (const auto& member : object) {
        const std::string_view key = member.key();
        const auto first = std::lower_bound(by_key.begin(), by_key.end(), key,
                                            [](const auto& entry, std::string_view k) { return entry.first < k; });
        auto last = first;
        while (last != by_key.end() && last->first == key) ++last;
        if (first == last) return mismatch("unexpected key");
        const std::size_t path_size = path.size();
        append_path_segment(path, key);
        std::string first_diff;
        const std::size_t member_path_size = path.size();
        for (auto candidate = last; candidate != first;) {  // the last first: the likeliest
          std::string d = diff_boost(member.value(), *(--candidate)->second, path);
          path.resize(member_path_size);
          if (d.empty()) {
            first_diff.clear();
            break;
          }
          if (first_diff.empty()) first_diff = d;
        }
        if (!first_diff.empty()) return first_diff;
        path.resize(path_size);
      }
      return "";
    }
  }
  return "";
}

inline simdjson::dom::parser& simdjson_parser() {
  static simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    if (p.allocate(1 << 16, max_tree_depth + 16) != simdjson::SUCCESS) std::abort();
    return p;
  }();
  return parser;
}

// Where Boost.JSON makes its values: one buffer for every parse, not an allocation for
// each container and string (the resource asks for more when a text needs it).
inline constexpr std::size_t boost_buffer_size = std::size_t{1} << 20;
inline unsigned char* boost_buffer() {
  static const std::unique_ptr<unsigned char[]> buffer = std::make_unique_for_overwrite<unsigned char[]>(boost_buffer_size);
  return buffer.get();
}

inline boost::json::parse_options boost_options(bool allow_invalid_utf8) {
  boost::json::parse_options options;
  options.max_depth = max_tree_depth + 16;
  options.allow_invalid_utf8 = allow_invalid_utf8;
  return options;
}

// (a), (b) and (d) on a text that was written without error.
inline void check_text(const fuzz_options& o, const model& m, const std::string& text) {
  const std::string reference = reference_writer(o.opts).text(m.root);
  if (text != reference) {
    std::size_t at = 0;
    while (at < text.size() && at < reference.size() && text[at] == reference[at]) ++at;
    fail(o, "the text differs from json.dumps's at byte " + std::to_string(at) + "\n  text:      " +
                excerpt(text.substr(at > 40 ? at - 40 : 0)) + "\n  reference: " +
                excerpt(reference.substr(at > 40 ? at - 40 : 0)));
  }
  if (o.opts.ensure_ascii && o.layout_is_json()) {
    for (const char c : text) {
      const auto b = static_cast<unsigned char>(c);
      if ((b < 0x20 && c != '\n' && c != '\r' && c != '\t') || b >= 0x7F) {
        fail(o, "ensure_ascii text holds byte " + std::to_string(b) + ": " + excerpt(text));
      }
    }
  }
  if (!o.layout_is_json()) return;  // separators or indent_char that are not JSON: only the reference

  const std::string replaced = m.has_literals ? replace_non_finite_literals(text) : std::string();
  const std::string_view parsable = m.has_literals ? std::string_view(replaced) : std::string_view(text);
  simdjson::dom::element parsed;
  const simdjson::error_code simdjson_error = simdjson_parser().parse(parsable.data(), parsable.size()).get(parsed);
  if (m.text_is_utf8) {
    if (simdjson_error != simdjson::SUCCESS) {
      fail(o, std::string("simdjson rejects the text: ") + simdjson::error_message(simdjson_error) + "\n" + excerpt(parsable));
    }
    std::string path;
    if (std::string d = diff_simdjson(parsed, m.root, path); !d.empty()) fail(o, d + "\n" + excerpt(parsable));
  } else if (simdjson_error != simdjson::UTF8_ERROR) {
    fail(o, std::string("simdjson does not find the verbatim invalid UTF-8: ") + simdjson::error_message(simdjson_error));
  }
  if (m.has_literals) {
    simdjson::dom::element ignored;
    if (simdjson_parser().parse(text.data(), text.size()).get(ignored) == simdjson::SUCCESS) {
      fail(o, "simdjson accepts NaN or Infinity: " + excerpt(text));
    }
  }

  boost::json::error_code boost_error;
  boost::json::monotonic_resource memory(boost_buffer(), boost_buffer_size);  // freed at once, after the value
  const boost::json::value boost_parsed =
      boost::json::parse(parsable, boost_error, &memory, boost_options(!m.text_is_utf8));
  if (boost_error) fail(o, "Boost.JSON rejects the text: " + boost_error.message() + "\n" + excerpt(parsable));
  std::string path;
  if (std::string d = diff_boost(boost_parsed, m.root, path); !d.empty()) fail(o, d + "\n" + excerpt(parsable));
}

// --- every way of encoding -----------------------------------------------------------------

class random_sizes {
 public:
  explicit random_sizes(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  static constexpr std::size_t largest_read = 70000;
  // A read() size: often tiny, sometimes past any chunk.
  std::size_t read_size() {
    const std::uint64_t r = next();
    switch (r % 4) {
      case 0: return 1 + (r >> 8) % 8;
      case 1: return 1 + (r >> 8) % 128;
      case 2: return 1 + (r >> 8) % 5000;
      default: return 1 + (r >> 8) % largest_read;
    }
  }

 private:
  std::uint64_t state_;
};

// One way's result: the whole text, or the error and what came before it.
struct outcome {
  std::string way;
  std::string text;
  bool failed = false;
  std::error_code code;
  std::string path;
  bool path_known = true;
};

inline void record_error(const fuzz_options& o, outcome& out, const iterjson::encode_error& error) {
  out.failed = true;
  out.code = error.code();
  out.path = error.path();
  // what() is a C string: a path with a NUL in it is cut there.
  const std::string suffix = "at \"" + error.path() + "\"";
  if (error.path().find('\0') == std::string::npos && !std::string_view(error.what()).ends_with(suffix)) {
    fail(o, out.way + ": what() does not end with the path: " + printable(error.what()));
  }
}

// After an error the encoder says so, keeps it, and writes nothing more.
inline void check_failed_encoder(const fuzz_options& o, iterjson::encoder& enc, const outcome& out,
                                 const iterjson::encode_error& error) {
  if (!enc.failed() || !enc.done()) fail(o, out.way + ": encoder not failed() and done() after an error");
  // what() is a C string, cut at a NUL in the path; error_message() is the whole message.
  const std::string_view message = enc.error_message();
  if (enc.error() != error.code() || enc.error_path() != error.path() ||
      message.substr(0, message.find('\0')) != error.what()) {
    fail(o, out.way + ": the encoder's error differs from the exception's: encoder " + enc.error().message() + " at " +
                printable(std::string(enc.error_path())) + ", " + printable(std::string(enc.error_message())) +
                "; exception " + error.code().message() + " at " + printable(error.path()) + ", " +
                printable(error.what()));
  }
  char byte = 0;
  if (!enc.next().empty() || enc.read(&byte, 1) != 0) fail(o, out.way + ": the encoder writes after an error");
}

inline void check_finished_encoder(const fuzz_options& o, iterjson::encoder& enc, const std::string& way) {
  char byte = 0;
  if (!enc.done() || enc.failed() || enc.error()) fail(o, way + ": the encoder is not done, or failed, at the end");
  if (!enc.next().empty() || enc.read(&byte, 1) != 0) fail(o, way + ": the encoder writes after the end");
}

inline outcome encode_to_string(const value& v, const fuzz_options& o) {
  outcome out{.way = "to_string"};
  try {
    out.text = iterjson::to_string(v, o.opts);
  } catch (const iterjson::encode_error& error) {
    record_error(o, out, error);
  }
  return out;
}

inline outcome encode_to_string_with_code(const value& v, const fuzz_options& o) {
  outcome out{.way = "to_string(error_code)"};
  out.path_known = false;
  out.text = iterjson::to_string(v, o.opts, out.code);
  out.failed = static_cast<bool>(out.code);
  if (out.failed && !out.text.empty()) fail(o, "to_string(error_code) failed with a text");
  return out;
}

inline outcome encode_by_next(const value& v, const fuzz_options& o) {
  outcome out{.way = "next()"};
  iterjson::encoder enc(v, o.opts);
  try {
    while (!enc.done()) {
      const std::string_view slice = enc.next();
      if (slice.size() > o.opts.chunk_size) fail(o, "next() returned more than chunk_size");
      if (slice.empty() && !enc.done()) fail(o, "next() returned an empty slice before the end");
      out.text += slice;
    }
    check_finished_encoder(o, enc, out.way);
  } catch (const iterjson::encode_error& error) {
    record_error(o, out, error);
    check_failed_encoder(o, enc, out, error);
  }
  return out;
}

// Where read() writes `size` bytes: the end of a heap block, so that AddressSanitizer
// sees a byte written past `size`. One block serves every read: a new one for each
// encoding would be fresh memory, kept from reuse by AddressSanitizer's quarantine.
inline char* read_window(std::size_t size) {
  static const std::unique_ptr<char[]> block = std::make_unique_for_overwrite<char[]>(random_sizes::largest_read);
  return block.get() + random_sizes::largest_read - size;
}

// read() with random sizes; the encoder is moved now and then, as a connection would
// park it.
inline outcome encode_by_read(const value& v, const fuzz_options& o, random_sizes& sizes) {
  outcome out{.way = "read()"};
  iterjson::encoder enc(v, o.opts);
  try {
    for (;;) {
      const std::size_t size = sizes.read_size();
      char* const buffer = read_window(size);
      const std::size_t n = enc.read(buffer, size);
      if (n > size) fail(o, "read() returned more than its size");
      out.text.append(buffer, n);
      if (n < size) {
        if (!enc.done()) fail(o, "read() came up short before the end");
        break;
      }
      if (sizes.next() % 16 == 0) {
        iterjson::encoder parked(std::move(enc));
        enc = std::move(parked);
      }
    }
    check_finished_encoder(o, enc, out.way);
  } catch (const iterjson::encode_error& error) {
    record_error(o, out, error);
    check_failed_encoder(o, enc, out, error);
  }
  return out;
}

// next() and read() on the same encoder, in random turns.
inline outcome encode_mixed(const value& v, const fuzz_options& o, random_sizes& sizes) {
  outcome out{.way = "next() and read() mixed"};
  iterjson::encoder enc(v, o.opts);
  try {
    while (!enc.done()) {
      if (sizes.next() % 2 == 0) {
        out.text += enc.next();
      } else {
        const std::size_t size = sizes.read_size();
        char* const buffer = read_window(size);
        const std::size_t n = enc.read(buffer, size);
        if (n < size && !enc.done()) fail(o, "read() came up short before the end, after next()");
        out.text.append(buffer, n);
      }
    }
    check_finished_encoder(o, enc, out.way);
  } catch (const iterjson::encode_error& error) {
    record_error(o, out, error);
    check_failed_encoder(o, enc, out, error);
  }
  return out;
}

// The way the options choose to run besides to_string.
inline outcome encode_other_way(const value& v, const fuzz_options& o, random_sizes& sizes) {
  switch (o.other_way) {
    case 0: return encode_by_next(v, o);
    case 1: return encode_by_read(v, o, sizes);
    case 2: return encode_mixed(v, o, sizes);
    default: return encode_to_string_with_code(v, o);
  }
}

// chunk_size 0 is refused up front, by every entry point.
inline void check_refused_options(const value& v, const fuzz_options& o) {
  auto refused = [](auto&& call) {
    try {
      call();
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  std::error_code code;
  if (!refused([&] { iterjson::encoder enc(v, o.opts); }) || !refused([&] { (void)iterjson::to_string(v, o.opts); }) ||
      !refused([&] { (void)iterjson::to_string(v, o.opts, code); })) {
    fail(o, "chunk_size 0 is not refused with std::invalid_argument");
  }
}

// Everything, for one value and one set of options: to_string and the other way the
// options choose (across inputs, every way runs). `seed` drives the read() sizes.
inline void check(const value& v, const fuzz_options& o, std::uint64_t seed) {
  if (o.opts.chunk_size == 0) return check_refused_options(v, o);

  const model m = model_builder(o.opts).build(v);
  random_sizes sizes(seed);
  const outcome outcomes[] = {encode_to_string(v, o), encode_other_way(v, o, sizes)};
  const outcome& first = outcomes[0];
  static const bool trace = std::getenv("ITERJSON_FUZZ_TRACE") != nullptr;  // to see what a reproducer does
  if (trace) {
    std::fprintf(stderr, "options: %s\n%s\n", printable(describe(o)).c_str(),
                 first.failed ? printable(first.code.message() + " at \"" + first.path + "\"").c_str()
                              : excerpt(first.text).c_str());
  }

  auto foreseen = [&](const outcome& out) {
    return std::any_of(m.errors.begin(), m.errors.end(), [&](const expected_error& e) {
      return out.code == e.code && (!out.path_known || out.path == e.path);
    });
  };

  // (c) every way agrees.
  for (const outcome& other : outcomes) {
    if (other.failed != first.failed) {
      fail(o, other.way + (other.failed ? " failed" : " succeeded") + " where " + first.way + " did not");
    }
    if (first.failed) {
      if (other.code != first.code || (other.path_known && other.path != first.path)) {
        fail(o, other.way + " failed with " + other.code.message() + " at \"" + other.path + "\", " + first.way +
                    " with " + first.code.message() + " at \"" + first.path + "\"");
      }
    } else if (other.text != first.text) {
      std::size_t at = 0;
      while (at < other.text.size() && at < first.text.size() && other.text[at] == first.text[at]) ++at;
      fail(o, other.way + " and " + first.way + " differ at byte " + std::to_string(at) + " of " +
                  std::to_string(first.text.size()) + "\n  " + other.way + ": " + excerpt(other.text.substr(at > 40 ? at - 40 : 0)) +
                  "\n  " + first.way + ": " + excerpt(first.text.substr(at > 40 ? at - 40 : 0)));
    }
  }

  // (d) the error, if any, is the one the options call for, at its path.
  if (first.failed) {
    for (const outcome& other : outcomes) {
      if (foreseen(other)) continue;
      std::string foreseen_errors;
      for (const expected_error& e : m.errors) foreseen_errors += " " + make_error_code(e.code).message() + " at \"" + e.path + "\";";
      fail(o, other.way + " failed with " + other.code.message() + " at \"" + other.path + "\"; expected:" +
                  (foreseen_errors.empty() ? std::string(" no error") : foreseen_errors));
    }
    // What came out before the error is the start of the text that options without
    // errors write: nothing before the error depends on them. (Only next() and read()
    // write before an error.)
    if (std::all_of(std::begin(outcomes), std::end(outcomes), [](const outcome& out) { return out.text.empty(); })) return;
    fuzz_options relaxed = o;
    if (relaxed.opts.nan == iterjson::nan_policy::error) relaxed.opts.nan = iterjson::nan_policy::literal;
    if (relaxed.opts.invalid_utf8 == iterjson::utf8_policy::error) relaxed.opts.invalid_utf8 = iterjson::utf8_policy::replace;
    relaxed.opts.max_depth = std::numeric_limits<std::size_t>::max();
    const outcome whole = encode_to_string(v, relaxed);
    if (whole.failed) fail(o, "failed without error policies: " + whole.code.message());
    for (const outcome& other : outcomes) {
      if (!std::string_view(whole.text).starts_with(other.text)) {
        fail(o, other.way + ": the text before the error is not the start of the text: " + excerpt(other.text));
      }
    }
    return;
  }
  if (!m.errors.empty()) {
    fail(o, "succeeded where " + make_error_code(m.errors.front().code).message() + " at \"" + m.errors.front().path +
                "\" was expected");
  }

  // (a), (b), (d) on the text.
  check_text(o, m, first.text);
}

// Runs `f` on a thread with a 512 MiB stack (reserved, touched only as used): the value
// trees, the checks, Boost.JSON's values and their destructors recurse once per level,
// and a tree may be max_tree_depth deep. One thread serves every input, so its stack is
// made once.
class large_stack_thread {
 public:
  static large_stack_thread& instance() {
    // Never destroyed: the thread waits for work until the process ends, on a condition
    // variable that must outlive it.
    static large_stack_thread& thread = *new large_stack_thread;
    return thread;
  }

  void run(const std::function<void()>& job) {
    std::unique_lock lock(mutex_);
    job_ = &job;
    changed_.notify_all();
    changed_.wait(lock, [&] { return job_ == nullptr; });
  }

 private:
  large_stack_thread() {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, std::size_t{512} << 20);
    pthread_t thread;
    if (pthread_create(&thread, &attributes, &serve, this) != 0) std::abort();
    pthread_detach(thread);
    pthread_attr_destroy(&attributes);
  }

  static void* serve(void* self) {
    auto& me = *static_cast<large_stack_thread*>(self);
    std::unique_lock lock(me.mutex_);
    for (;;) {
      me.changed_.wait(lock, [&] { return me.job_ != nullptr; });
      (*me.job_)();
      me.job_ = nullptr;
      me.changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  const std::function<void()>* job_ = nullptr;
};

template <class F>
void on_large_stack(F&& f) {
  large_stack_thread::instance().run(std::function<void()>(std::forward<F>(f)));
}

// FNV-1a of the input: the seed of the read() sizes.
inline std::uint64_t input_hash(const std::uint8_t* data, std::size_t size) {
  std::uint64_t hash = 0xCBF29CE484222325ull;
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001B3ull;
  return hash;
}

}  // namespace fuzz
