// Measures the demo server, examples/http_server/, streamed against one-shot: how fast a large
// /numbers body arrives, how long /ping waits meanwhile, and what the server spends on it in
// memory and write syscalls, with a fast reader and with a slow one; then the same, with a
// fast reader, for the rows of an SQLite table, /rows.
//
//   http_bench [--server PATH] [--length N] [--slow-seconds S] [--ping-interval-ms M] [--rows N]
//
// Four phases: (streamed, fast reader), (oneshot, fast), (streamed, slow), (oneshot, slow);
// then two of /rows?limit=N (--rows, 1,000,000 by default; 0 leaves them out): (streamed,
// fast), (oneshot, fast), each server generating its N orders before it listens. A server
// built without SQLite answers /rows with 404, and those two phases are skipped.
// Each one starts a fresh server, so no phase inherits another's heap, and stops it at the
// end. The server's memory and write syscalls come from /proc/PID/status and /proc/PID/io.
// Every wait has a deadline: a server that stops answering fails the phase, it never hangs.
// Exit status: 0 when every phase ran (missed targets included), 1 when a phase failed,
// 2 on bad arguments.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;
using time_point = steady::time_point;
using std::chrono::milliseconds;

// Far more than a healthy phase needs (about a second), so only a stuck server reaches it.
constexpr auto phase_time_limit = std::chrono::seconds(60);
constexpr auto stop_grace = std::chrono::seconds(5);
constexpr std::size_t download_buffer_size = 256 * 1024;
constexpr std::size_t slow_read_size = 64 * 1024;
constexpr auto slow_read_period = milliseconds(10);
constexpr std::size_t max_head_size = 64 * 1024;
constexpr std::string_view listening_prefix = "listening on 127.0.0.1:";

// A phase that could not be measured: the server did not start, did not answer in time,
// or answered wrongly.
struct phase_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& problem) { throw phase_failure(problem); }

[[noreturn]] void fail_errno(const std::string& doing) { fail(doing + ": " + std::strerror(errno)); }

struct settings {
  std::string server = "build/examples/http_server";
  long long length = 30'000'000;  // about 259 MB of JSON
  long long slow_seconds = 3;
  long long ping_interval_ms = 2;
  long long rows = 1'000'000;
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "http_bench: %s\nusage: http_bench [--server PATH] [--length N] [--slow-seconds S] "
               "[--ping-interval-ms M] [--rows N]\n",
               problem);
  std::exit(2);
}

// The whole of text as a non-negative decimal, or nothing.
std::optional<long long> decimal(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

long long parse_number(std::string_view text, long long max) {
  const std::optional<long long> value = decimal(text);
  if (!value || *value > max) usage("not a number in range");
  return *value;
}

settings parse_arguments(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 == argc) usage("missing value");
    const std::string_view value = argv[++i];
    if (flag == "--server") {
      s.server = value;
    } else if (flag == "--length") {
      // Bounded so that the expected size, about 16 bytes per number, fits a long long.
      s.length = parse_number(value, 1'000'000'000'000'000);
    } else if (flag == "--slow-seconds") {
      s.slow_seconds = parse_number(value, 3600);
    } else if (flag == "--ping-interval-ms") {
      s.ping_interval_ms = parse_number(value, 60'000);
    } else if (flag == "--rows") {
      s.rows = parse_number(value, 100'000'000);
    } else {
      usage("unknown flag");
    }
  }
  return s;
}

double ms_since(time_point start) { return std::chrono::duration<double, std::milli>(steady::now() - start).count(); }

// Size of "[0,1,...,n-1]": two brackets, n-1 commas, and the digits, counted a decade at a
// time (10 numbers of one digit, 90 of two, 900 of three...).
long long expected_body_size(long long n) {
  long long size = 2 + (n > 0 ? n - 1 : 0);
  long long decade_start = 0;
  long long decade_end = 10;
  for (long long digits = 1; decade_start < n; ++digits) {
    size += (std::min(n, decade_end) - decade_start) * digits;
    decade_start = decade_end;
    decade_end *= 10;
  }
  return size;
}

std::string numbers_request(long long length) {
  return "GET /numbers?length=" + std::to_string(length) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

std::string printable(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned char>(c));
  return text;
}

// ---------------------------------------------------------------------------------------------
// The body check

// Checks a body against [0,1,...,n-1] as it arrives, cut anywhere, without keeping it: it
// holds only the decimal text of the number due next. Comparing every byte covers the
// required prefix "[0,1,2," and suffix ",n-1]" and rejects anything else, leading zeros
// included.
class sequence_checker {
 public:
  explicit sequence_checker(long long count) : count_(count) {}

  void feed(std::string_view piece) {
    std::size_t used = 0;
    while (used < piece.size() && problem_.empty()) {
      const std::size_t step = due_ == due::digits ? match_digits(piece.substr(used)) : match_punctuation(piece[used]);
      used += step;
      offset_ += static_cast<long long>(step);
    }
  }

  bool complete() const { return due_ == due::nothing && problem_.empty(); }
  const std::string& problem() const { return problem_; }

 private:
  enum class due { open_bracket, digits, comma, close_bracket, nothing };

  std::size_t match_digits(std::string_view piece) {
    const std::size_t size = std::min(piece.size(), digit_count_ - matched_);
    const std::string_view wanted(digits_.data() + matched_, size);
    if (piece.substr(0, size) != wanted) return mismatch(piece, wanted);
    matched_ += size;
    if (matched_ == digit_count_) due_ = value_ + 1 < count_ ? due::comma : due::close_bracket;
    return size;
  }

  std::size_t match_punctuation(char c) {
    static constexpr std::array<char, 5> wanted = {'[', 0, ',', ']', 0};
    const char due_char = wanted[static_cast<std::size_t>(due_)];
    if (c != due_char) {
      describe_problem(offset_, c, due_ == due::nothing ? "the end of the body" : printable(due_char));
      return 0;
    }
    if (due_ == due::open_bracket) {
      due_ = count_ > 0 ? due::digits : due::close_bracket;
    } else if (due_ == due::comma) {
      next_number();
      due_ = due::digits;
    } else {
      due_ = due::nothing;
    }
    return 1;
  }

  // Adds one to the decimal text in place: cheaper than formatting each number afresh.
  void next_number() {
    ++value_;
    matched_ = 0;
    std::size_t at = digit_count_;
    while (at > 0 && digits_[at - 1] == '9') digits_[--at] = '0';
    if (at > 0) {
      ++digits_[at - 1];
    } else {
      digits_[0] = '1';
      digits_[digit_count_++] = '0';
    }
  }

  std::size_t mismatch(std::string_view piece, std::string_view wanted) {
    std::size_t at = 0;
    while (piece[at] == wanted[at]) ++at;
    describe_problem(offset_ + static_cast<long long>(at), piece[at], "the number " + std::to_string(value_));
    return at;
  }

  void describe_problem(long long position, char got, const std::string& wanted) {
    problem_ = "body byte " + std::to_string(position) + " is " + printable(got) + " where " + wanted + " was due";
  }

  long long count_;
  long long value_ = 0;
  std::array<char, 24> digits_ = {'0'};
  std::size_t digit_count_ = 1;
  std::size_t matched_ = 0;
  due due_ = due::open_bracket;
  long long offset_ = 0;
  std::string problem_;
};

// ---------------------------------------------------------------------------------------------
// HTTP responses

struct response_head {
  int status = 0;
  long long content_length = -1;
  bool chunked = false;
};

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

long long parse_decimal(std::string_view text, const char* what) {
  const std::optional<long long> value = decimal(text);
  if (!value) fail(std::string("bad ") + what + ": \"" + std::string(text) + "\"");
  return *value;
}

// The status line and the two headers that say where the body ends.
response_head parse_head(std::string_view text) {
  std::size_t line_end = text.find("\r\n");
  const std::string_view status_line = text.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    fail("not an HTTP/1.x response: \"" + std::string(status_line) + "\"");
  }
  response_head head;
  head.status = static_cast<int>(parse_decimal(status_line.substr(9, 3), "status code"));
  for (std::size_t at = line_end + 2; at < text.size(); at = line_end + 2) {
    line_end = text.find("\r\n", at);
    const std::string_view line = text.substr(at, line_end - at);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lowercase(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-length") head.content_length = parse_decimal(value, "Content-Length");
    if (name == "transfer-encoding") head.chunked = lowercase(value).find("chunked") != std::string::npos;
  }
  return head;
}

// Reads one HTTP/1.1 response from bytes fed in pieces cut anywhere, handing body bytes to a
// sink as they arrive, so a 100 MB body costs no memory. The chunked decoder is a state
// machine over the framing bytes; chunk data passes through in bulk.
class response_parser {
 public:
  using body_sink = std::function<void(std::string_view)>;

  explicit response_parser(body_sink on_body) : on_body_(std::move(on_body)) {}

  // Returns how many bytes belong to this response; it stops at the response's end.
  std::size_t feed(std::string_view bytes) {
    std::size_t used = 0;
    while (used < bytes.size() && state_ != state::complete) {
      const std::string_view rest = bytes.substr(used);
      if (state_ == state::head) {
        used += take_head(rest);
      } else if (state_ == state::sized_body || state_ == state::chunk_data) {
        used += take_body(rest);
      } else {
        take_framing(rest.front());
        ++used;
      }
    }
    wire_bytes_ += static_cast<long long>(used);
    return used;
  }

  bool head_complete() const { return state_ != state::head; }
  bool complete() const { return state_ == state::complete; }
  const response_head& head() const { return head_; }
  // Everything the server wrote for this response: head, framing and body.
  long long wire_bytes() const { return wire_bytes_; }
  long long chunks() const { return chunks_; }

 private:
  enum class state {
    head,
    sized_body,
    chunk_size,
    chunk_extension,
    chunk_size_lf,
    chunk_data,
    chunk_data_cr,
    chunk_data_lf,
    trailer_start,
    trailer_line,
    final_lf,
    complete
  };

  std::size_t take_head(std::string_view bytes) {
    const std::size_t before = head_text_.size();
    head_text_.append(bytes.substr(0, max_head_size));
    const std::size_t end = head_text_.find("\r\n\r\n", before < 3 ? 0 : before - 3);
    if (end == std::string::npos) {
      if (head_text_.size() > max_head_size) fail("response head longer than 64 KiB");
      return bytes.size();
    }
    head_text_.resize(end + 4);
    start_body(parse_head(head_text_));
    return end + 4 - before;
  }

  void start_body(const response_head& head) {
    head_ = head;
    if (head.chunked) {
      state_ = state::chunk_size;
    } else if (head.content_length >= 0) {
      body_left_ = head.content_length;
      state_ = body_left_ == 0 ? state::complete : state::sized_body;
    } else {
      fail("response has neither Content-Length nor chunked encoding");
    }
  }

  std::size_t take_body(std::string_view bytes) {
    const auto size = static_cast<std::size_t>(std::min(body_left_, static_cast<long long>(bytes.size())));
    on_body_(bytes.substr(0, size));
    body_left_ -= static_cast<long long>(size);
    if (body_left_ == 0) state_ = state_ == state::sized_body ? state::complete : state::chunk_data_cr;
    return size;
  }

  void take_framing(char c) {
    switch (state_) {
      case state::chunk_size:
        take_chunk_size(c);
        break;
      case state::chunk_extension:
        if (c == '\r') state_ = state::chunk_size_lf;
        break;
      case state::chunk_size_lf:
        expect('\n', c);
        size_digits_ = 0;
        state_ = body_left_ == 0 ? state::trailer_start : state::chunk_data;
        if (body_left_ > 0) ++chunks_;
        break;
      case state::chunk_data_cr:
        expect('\r', c);
        state_ = state::chunk_data_lf;
        break;
      case state::chunk_data_lf:
        expect('\n', c);
        state_ = state::chunk_size;
        break;
      case state::trailer_start:
        state_ = c == '\r' ? state::final_lf : state::trailer_line;
        break;
      case state::trailer_line:
        if (c == '\n') state_ = state::trailer_start;
        break;
      case state::final_lf:
        expect('\n', c);
        state_ = state::complete;
        break;
      default:
        break;
    }
  }

  void take_chunk_size(char c) {
    const int digit = hex_value(c);
    if (digit >= 0 && size_digits_ < 15) {
      body_left_ = body_left_ * 16 + digit;
      ++size_digits_;
    } else if (size_digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
      state_ = state::chunk_extension;
    } else if (size_digits_ > 0 && c == '\r') {
      state_ = state::chunk_size_lf;
    } else {
      fail("malformed chunk size: byte " + printable(c));
    }
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static void expect(char wanted, char got) {
    if (got != wanted)
      fail("malformed chunked framing: " + printable(got) + " where " + printable(wanted) + " was due");
  }

  body_sink on_body_;
  state state_ = state::head;
  std::string head_text_;
  response_head head_;
  long long body_left_ = 0;
  int size_digits_ = 0;
  long long chunks_ = 0;
  long long wire_bytes_ = 0;
};

// Reads a /numbers answer as it arrives: decodes the framing, checks every body byte, and
// fails at the first wrong one; it keeps nothing of the body.
class numbers_reader {
 public:
  explicit numbers_reader(long long length)
      : length_(length), checker_(length), parser_([this](std::string_view piece) {
          checker_.feed(piece);
          body_bytes_ += static_cast<long long>(piece.size());
        }) {}
  numbers_reader(const numbers_reader&) = delete;
  numbers_reader& operator=(const numbers_reader&) = delete;

  void take(std::string_view bytes) {
    const std::size_t used = parser_.feed(bytes);
    if (parser_.head_complete() && parser_.head().status != 200) {
      fail("GET /numbers answered status " + std::to_string(parser_.head().status));
    }
    if (!checker_.problem().empty()) fail(checker_.problem());
    if (used != bytes.size()) fail("the server sent bytes after the end of the /numbers answer");
    if (parser_.complete()) check_whole_body();
  }

  bool complete() const { return parser_.complete(); }
  long long body_bytes() const { return body_bytes_; }
  long long chunks() const { return parser_.chunks(); }
  bool chunked() const { return parser_.head().chunked; }

 private:
  void check_whole_body() const {
    const long long expected = expected_body_size(length_);
    if (!checker_.complete() || body_bytes_ != expected) {
      fail("the body ended after " + std::to_string(body_bytes_) + " bytes; [0,...," + std::to_string(length_ - 1) +
           "] is " + std::to_string(expected) + " bytes");
    }
  }

  long long length_;
  sequence_checker checker_;
  long long body_bytes_ = 0;
  response_parser parser_;
};

// Reads a /rows?format=ndjson answer as it arrives: decodes the framing, and checks that it
// is `rows` lines, the first the order with id 1 and the last the one with id `rows`. It
// keeps only the line being read. (A JSON string cannot hold a raw newline, so each
// newline ends a row.)
class rows_reader {
 public:
  explicit rows_reader(long long rows)
      : rows_(rows), parser_([this](std::string_view piece) {
          body_bytes_ += static_cast<long long>(piece.size());
          for (std::size_t at = 0; at < piece.size();) {
            const std::size_t newline = piece.find('\n', at);
            line_.append(piece.substr(at, newline == std::string_view::npos ? std::string_view::npos : newline - at));
            if (newline == std::string_view::npos) break;
            end_line();
            at = newline + 1;
          }
        }) {}
  rows_reader(const rows_reader&) = delete;
  rows_reader& operator=(const rows_reader&) = delete;

  void take(std::string_view bytes) {
    const std::size_t used = parser_.feed(bytes);
    if (parser_.head_complete() && parser_.head().status != 200) {
      fail("GET /rows answered status " + std::to_string(parser_.head().status));
    }
    if (used != bytes.size()) fail("the server sent bytes after the end of the /rows answer");
    if (parser_.complete() && (lines_ != rows_ || !line_.empty())) {
      fail("the body ended after " + std::to_string(lines_) + " whole rows; " + std::to_string(rows_) + " were asked for");
    }
  }

  bool complete() const { return parser_.complete(); }
  long long body_bytes() const { return body_bytes_; }
  long long chunks() const { return parser_.chunks(); }
  bool chunked() const { return parser_.head().chunked; }

 private:
  void end_line() {
    ++lines_;
    const bool ends = lines_ == 1 || lines_ == rows_;
    if (ends && !line_.starts_with("{\"id\":" + std::to_string(lines_) + ",")) {
      fail("row " + std::to_string(lines_) + " is not the order of that id: " + line_.substr(0, 200));
    }
    if (lines_ > rows_) fail("more than " + std::to_string(rows_) + " rows");
    line_.clear();
  }

  long long rows_;
  long long lines_ = 0;
  long long body_bytes_ = 0;
  std::string line_;
  response_parser parser_;
};

std::string rows_request(long long rows) {
  return "GET /rows?limit=" + std::to_string(rows) + "&format=ndjson HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

// ---------------------------------------------------------------------------------------------
// Sockets

// Owns a file descriptor and closes it once.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~unique_fd() { reset(); }

  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Waits until fd is ready for `events`; fails once the deadline has passed, so no wait in
// this program can hang on a server that stopped answering.
void wait_ready(int fd, short events, time_point deadline, const char* waiting_for) {
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now()).count();
    if (left < 0) fail(std::string("timed out waiting for ") + waiting_for);
    pollfd ready_fd{fd, events, 0};
    const int ready = ::poll(&ready_fd, 1, static_cast<int>(std::min<long long>(left + 1, INT_MAX)));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) fail_errno("poll");
  }
}

// A non-blocking TCP connection to the server, whose every wait is bounded by a deadline.
class connection {
 public:
  connection(int port, time_point deadline)
      : socket_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    if (socket_.get() < 0) fail_errno("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) return;
    if (errno != EINPROGRESS) fail_errno("connect");
    wait_ready(socket_.get(), POLLOUT, deadline, "the connection to the server");
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) fail(std::string("connect: ") + std::strerror(error));
  }

  // Small requests must not wait for Nagle's algorithm, or the latency measured is its delay.
  void set_no_delay() {
    const int on = 1;
    ::setsockopt(socket_.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }

  void send_all(std::string_view bytes, time_point deadline) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(socket_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent >= 0) {
        bytes.remove_prefix(static_cast<std::size_t>(sent));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_ready(socket_.get(), POLLOUT, deadline, "the server to take a request");
      } else if (errno != EINTR) {
        fail_errno("send");
      }
    }
  }

  // Waits for bytes; returns 0 when the server closed the connection.
  std::size_t receive(std::span<char> buffer, time_point deadline) {
    for (;;) {
      if (const std::optional<std::size_t> size = receive_now(buffer)) return *size;
      wait_ready(socket_.get(), POLLIN, deadline, "the server to answer");
    }
  }

  // Takes what has arrived without waiting; nullopt when nothing has (yet), 0 at the end.
  std::optional<std::size_t> receive_now(std::span<char> buffer) {
    for (;;) {
      const ssize_t size = ::recv(socket_.get(), buffer.data(), buffer.size(), 0);
      if (size >= 0) return static_cast<std::size_t>(size);
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      if (errno != EINTR) fail_errno("recv");
    }
  }

 private:
  unique_fd socket_;
};

struct small_response {
  int status = 0;
  std::string body;
  long long wire_bytes = 0;
};

// One request on a keep-alive connection, one at a time, as /ping and /stats are used here.
// The server answers in order and nothing is pipelined, so bytes past the answer are a fault.
small_response fetch(connection& server, const std::string& path, time_point deadline) {
  small_response response;
  response_parser parser([&response](std::string_view piece) { response.body.append(piece); });
  server.send_all("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", deadline);
  std::array<char, 4096> buffer;
  while (!parser.complete()) {
    const std::size_t size = server.receive(buffer, deadline);
    if (size == 0) fail("the server closed the connection instead of answering " + path);
    if (parser.feed({buffer.data(), size}) != size) fail("the server sent bytes past its answer to " + path);
  }
  response.status = parser.head().status;
  response.wire_bytes = parser.wire_bytes();
  return response;
}

// ---------------------------------------------------------------------------------------------
// The server process

std::string read_proc_file(pid_t pid, const char* name) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  const unique_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) fail_errno("cannot open " + path);
  std::string text;
  std::array<char, 4096> buffer;
  ssize_t size = 0;
  while ((size = ::read(file.get(), buffer.data(), buffer.size())) > 0)
    text.append(buffer.data(), static_cast<std::size_t>(size));
  return text;
}

// The value of a "Name: value" line: VmRSS in /proc/PID/status is in kB, wchar in
// /proc/PID/io in bytes.
long long proc_field(std::string_view text, std::string_view name) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t line_end = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, line_end - at);
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':') {
      std::string_view value = trim(line.substr(name.size() + 1));
      return parse_decimal(value.substr(0, value.find(' ')), "value in /proc");
    }
    at = line_end + 1;
  }
  fail("no " + std::string(name) + " in /proc");
}

long long rss_kib(pid_t pid) { return proc_field(read_proc_file(pid, "status"), "VmRSS"); }
long long peak_rss_kib(pid_t pid) { return proc_field(read_proc_file(pid, "status"), "VmHWM"); }

struct io_counters {
  long long written_bytes = 0;
  long long write_syscalls = 0;
};

io_counters read_io(pid_t pid) {
  const std::string text = read_proc_file(pid, "io");
  return {proc_field(text, "wchar"), proc_field(text, "syscw")};
}

// Time the server's loop thread (its main thread) spent runnable but waiting for a CPU: the
// second field of /proc/PID/schedstat. On a busy machine this, not the server, can explain
// a late ping or a loop stall.
long long cpu_wait_ns(pid_t pid) {
  const std::string text = read_proc_file(pid, "schedstat");
  const std::size_t second = text.find(' ');
  return second == std::string::npos
             ? 0
             : parse_decimal(text.substr(second + 1, text.find(' ', second + 1) - second - 1), "schedstat");
}

// The server's memory at the start of a phase. Writing 5 to clear_refs resets the kernel's
// peak (VmHWM) to the current RSS, so the peak read at the end belongs to this phase alone;
// where that is refused, the RSS sampled during the phase stands in for it.
struct memory_baseline {
  long long rss_kib = 0;
  long long startup_peak_kib = 0;
  bool peak_reset = false;
};

memory_baseline take_memory_baseline(pid_t pid) {
  memory_baseline baseline;
  baseline.startup_peak_kib = peak_rss_kib(pid);
  const std::string path = "/proc/" + std::to_string(pid) + "/clear_refs";
  const unique_fd clear_refs(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  baseline.peak_reset = clear_refs.get() >= 0 && ::write(clear_refs.get(), "5", 1) == 1;
  baseline.rss_kib = rss_kib(pid);
  return baseline;
}

long long phase_peak_kib(pid_t pid, const memory_baseline& baseline, long long sampled_peak_kib) {
  return baseline.peak_reset ? std::max(peak_rss_kib(pid), sampled_peak_kib) : sampled_peak_kib;
}

// The CPUs of the server and of this client. Given two or more, the server has the first
// one to itself and the client the others: the client then stands in for one on another
// host, and its download, which reads as fast as it can, never takes the server's CPU.
// Given one, both share it, as they would without this.
struct cpu_split {
  cpu_set_t server;
  cpu_set_t client;
  bool split = false;
  int server_cpu = -1;
};

cpu_split split_cpus() {
  cpu_split cpus{};
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) return cpus;
  CPU_ZERO(&cpus.server);
  CPU_ZERO(&cpus.client);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (cpus.server_cpu < 0) {
      cpus.server_cpu = cpu;
      CPU_SET(cpu, &cpus.server);
    } else {
      CPU_SET(cpu, &cpus.client);
    }
  }
  cpus.split = ::sched_setaffinity(0, sizeof cpus.client, &cpus.client) == 0;
  return cpus;
}

const cpu_split& benchmark_cpus() {
  static const cpu_split cpus = split_cpus();
  return cpus;
}

// Runs in the child between fork and exec, so only async-signal-safe calls.
[[noreturn]] void exec_server(char* const* argv, int stdout_fd, const cpu_split& cpus) {
  // Dies with the benchmark, so an interrupted run leaves no server behind.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (cpus.split) ::sched_setaffinity(0, sizeof cpus.server, &cpus.server);
  if (::dup2(stdout_fd, STDOUT_FILENO) >= 0) ::execv(argv[0], argv);
  ::_exit(127);
}

// Passes what the server prints after its first line on to our stderr, so a chatty server
// cannot fill the pipe and block on it mid-measurement.
void forward_output(int fd, const std::stop_token& stop) {
  std::array<char, 4096> buffer;
  for (;;) {
    pollfd ready_fd{fd, POLLIN, 0};
    const int ready = ::poll(&ready_fd, 1, 50);
    if (ready == 0 && stop.stop_requested()) return;
    if (ready <= 0) continue;
    const ssize_t size = ::read(fd, buffer.data(), buffer.size());
    if (size <= 0) return;
    std::fwrite(buffer.data(), 1, static_cast<std::size_t>(size), stderr);
  }
}

enum class server_mode { streamed, oneshot };

const char* mode_name(server_mode mode) { return mode == server_mode::streamed ? "streamed" : "oneshot"; }

// A server started for one phase and stopped at its end.
class server_process {
 public:
  server_process(const std::string& path, server_mode mode, const std::vector<std::string>& flags,
                 time_point deadline) {
    if (::access(path.c_str(), X_OK) != 0) fail_errno("cannot execute the server " + path);
    std::vector<std::string> arguments = {path, "--port", "0"};
    if (mode == server_mode::oneshot) arguments.emplace_back("--oneshot");
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);

    std::array<int, 2> pipe_ends{};
    if (::pipe2(pipe_ends.data(), O_CLOEXEC) != 0) fail_errno("pipe");
    stdout_ = unique_fd(pipe_ends[0]);
    unique_fd write_end(pipe_ends[1]);
    const cpu_split& cpus = benchmark_cpus();
    pid_ = ::fork();
    if (pid_ < 0) fail_errno("fork");
    if (pid_ == 0) exec_server(argv.data(), write_end.get(), cpus);
    // Only the server may hold the write end, or its exit would never end our reads.
    write_end.reset();
    start_watching(deadline);
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process() { stop(); }

  pid_t pid() const { return pid_; }
  int port() const { return port_; }

 private:
  void start_watching(time_point deadline) {
    try {
      port_ = read_listening_port(deadline);
    } catch (...) {
      stop();
      throw;
    }
    forwarder_ = std::jthread([fd = stdout_.get()](const std::stop_token& stop) { forward_output(fd, stop); });
  }

  // Reads the first line, "listening on 127.0.0.1:PORT", a byte at a time so that nothing
  // after it is taken from the forwarder.
  int read_listening_port(time_point deadline) {
    std::string line;
    for (char c = 0; line.size() < 1024;) {
      wait_ready(stdout_.get(), POLLIN, deadline, "the server's \"listening on\" line");
      const ssize_t size = ::read(stdout_.get(), &c, 1);
      if (size < 0 && errno == EINTR) continue;
      if (size <= 0) fail("the server ended its output before printing \"listening on 127.0.0.1:PORT\"");
      if (c == '\n') break;
      line += c;
    }
    if (!line.starts_with(listening_prefix))
      fail("the server's first line is not \"listening on 127.0.0.1:PORT\": \"" + line + "\"");
    const long long port = parse_decimal(std::string_view(line).substr(listening_prefix.size()), "port");
    if (port < 1 || port > 65535) fail("the server listens on port " + std::to_string(port));
    return static_cast<int>(port);
  }

  void stop() {
    if (pid_ <= 0) return;
    // A server that already died is a zombie until reaped, and takes the SIGTERM harmlessly.
    ::kill(pid_, SIGTERM);
    int status = 0;
    const time_point give_up = steady::now() + stop_grace;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (steady::now() > give_up) {
        std::fprintf(stderr, "http_bench: the server ignored SIGTERM for 5 s; killing it\n");
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    report_unusual_end(status);
    pid_ = -1;
    if (forwarder_.joinable()) {
      forwarder_.request_stop();
      forwarder_.join();
    }
  }

  // Dying of SIGTERM, or exiting with 0 or 128 + SIGTERM after handling it, is the expected
  // end; anything else (a crash, an early exit) is worth a line when a phase fails oddly.
  static void report_unusual_end(int status) {
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
      std::fprintf(stderr, "http_bench: the server died of signal %d (%s)\n", WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 128 + SIGTERM) {
      std::fprintf(stderr, "http_bench: the server exited with status %d%s\n", WEXITSTATUS(status),
                   WEXITSTATUS(status) == 127 ? " (could it be executed?)" : "");
    }
  }

  pid_t pid_ = -1;
  int port_ = 0;
  unique_fd stdout_;
  std::jthread forwarder_;
};

// ---------------------------------------------------------------------------------------------
// The phases

struct download_log {
  double first_byte_ms = 0;
  double last_byte_ms = 0;
  long long body_bytes = 0;
  long long chunks = 0;
  bool chunked = false;
};

struct ping_log {
  std::vector<long long> latencies_us;
  long long response_bytes = 0;
  long long sampled_peak_kib = 0;
};

struct fast_result {
  download_log download;
  std::vector<long long> ping_us;  // sorted
  double loop_stall_us = 0;
  long long peak_rss_kib = 0;    // over the server's whole life
  long long rss_growth_kib = 0;  // peak during the download over the baseline
  double bytes_per_write = NAN;
  double cpu_wait_ms = 0;  // of the server's loop thread, during the download
};

struct slow_result {
  long long body_bytes = 0;
  long long rss_growth_kib = 0;
};

// What a fast-reader phase downloads: the request, and the reader that checks its answer.
struct download_kind {
  std::string request;
  std::function<download_log(connection&, const std::string&, std::atomic<bool>&, time_point)> download;
  std::vector<std::string> server_flags;
};

template <class Reader>
download_log download_body(connection& server, const std::string& request, Reader& reader,
                           std::atomic<bool>& requested, time_point deadline) {
  std::vector<char> buffer(download_buffer_size);
  download_log log;
  server.send_all(request, deadline);
  const time_point sent = steady::now();
  requested = true;
  while (!reader.complete()) {
    const std::size_t size = server.receive(buffer, deadline);
    if (log.first_byte_ms == 0) log.first_byte_ms = ms_since(sent);
    if (size == 0)
      fail("the server closed the connection after " + std::to_string(reader.body_bytes()) + " body bytes");
    reader.take({buffer.data(), size});
  }
  log.last_byte_ms = ms_since(sent);
  log.body_bytes = reader.body_bytes();
  log.chunks = reader.chunks();
  log.chunked = reader.chunked();
  return log;
}

// /numbers?length=N; the servers that serve it generate no orders for /rows.
download_kind numbers_download(long long length) {
  return {numbers_request(length),
          [length](connection& server, const std::string& request, std::atomic<bool>& requested, time_point deadline) {
            numbers_reader reader(length);
            return download_body(server, request, reader, requested, deadline);
          },
          {"--orders", "0"}};
}

// /rows?limit=N&format=ndjson, from a server that generated N orders.
download_kind rows_download(long long rows) {
  return {rows_request(rows),
          [rows](connection& server, const std::string& request, std::atomic<bool>& requested, time_point deadline) {
            rows_reader reader(rows);
            return download_body(server, request, reader, requested, deadline);
          },
          {"--orders", std::to_string(rows)}};
}

// Pings on its own keep-alive connection from the moment the download is requested until
// it is done, one request in flight at a time, and samples the server's RSS after each answer.
ping_log ping_until(const std::atomic<bool>& download_requested, const std::atomic<bool>& download_done,
                    connection& server, pid_t pid, milliseconds interval, time_point deadline) {
  ping_log log;
  while (!download_requested && !download_done) {
    if (steady::now() > deadline) fail("the download was not requested in time");
    std::this_thread::yield();
  }
  time_point next_ping = steady::now();
  while (!download_done) {
    const time_point sent = steady::now();
    const small_response pong = fetch(server, "/ping", deadline);
    log.latencies_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - sent).count());
    if (pong.status != 200 || pong.body != "pong") {
      fail("GET /ping answered status " + std::to_string(pong.status) + ", body \"" + pong.body + "\"");
    }
    log.response_bytes += pong.wire_bytes;
    log.sampled_peak_kib = std::max(log.sampled_peak_kib, rss_kib(pid));
    // A late answer delays the next ping rather than bunching up pings to catch up.
    next_ping = std::max(next_ping + interval, steady::now());
    std::this_thread::sleep_until(next_ping);
  }
  return log;
}

// "max_loop_stall_us": <number> in the /stats object; a JSON parser would be more than this needs.
double loop_stall_us(const std::string& stats) {
  constexpr std::string_view key = "\"max_loop_stall_us\"";
  std::size_t at = stats.find(key);
  if (at != std::string::npos) at = stats.find_first_not_of(" \t\r\n", at + key.size());
  if (at != std::string::npos && stats[at] == ':') at = stats.find_first_not_of(" \t\r\n", at + 1);
  double value = 0;
  if (at == std::string::npos ||
      std::from_chars(stats.data() + at, stats.data() + stats.size(), value).ec != std::errc{}) {
    fail("no number for \"max_loop_stall_us\" in /stats: " + stats);
  }
  return value;
}

// The server's average bytes per write syscall during the download. Each /ping and /stats
// answer is a few dozen bytes, which the server writes with one write syscall; taking them out
// leaves the download's own bytes and syscalls. /proc/PID/io counts write and writev (what
// libuv uses) but not send or sendmsg, so counters that missed the body give no answer.
double bytes_per_write(const io_counters& before, const io_counters& after, const ping_log& pings,
                       const small_response& stats, long long body_bytes) {
  const auto small_answers = static_cast<long long>(pings.latencies_us.size()) + 1;
  const long long download_bytes = after.written_bytes - before.written_bytes - pings.response_bytes - stats.wire_bytes;
  const long long download_writes = after.write_syscalls - before.write_syscalls - small_answers;
  if (download_bytes < body_bytes || download_writes <= 0) {
    std::fprintf(stderr,
                 "http_bench: /proc/PID/io counted %lld bytes in %lld write syscalls for a %lld-byte body; "
                 "the server must write with send or sendmsg, which it does not count\n",
                 download_bytes, download_writes, body_bytes);
    return NAN;
  }
  return static_cast<double>(download_bytes) / static_cast<double>(download_writes);
}

// Runs f and returns the message of what it threw, empty if nothing: a thread must not let
// an exception escape, so the failure is carried out to the main thread this way.
template <class Function>
std::string capture_failure(Function&& f) {
  try {
    f();
  } catch (const std::exception& failure) {
    return failure.what();
  }
  return {};
}

// On a machine of two CPUs the download thread, which reads as fast as it can, would
// otherwise take a CPU from the server or from the pinger whenever all three are runnable.
// At nice 10 it gives way to both; it still reads as fast as the server writes when they
// are not. This thread alone: Linux sets the nice value of one thread with its tid.
void yield_cpu_to_server() {
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10) != 0) {
    std::fprintf(stderr, "http_bench: could not lower the download thread's priority: %s\n", std::strerror(errno));
  }
}

// The download on one connection and the pings on the other, at the same time; both threads
// are joined before this returns, failed or not.
std::pair<download_log, ping_log> download_while_pinging(const settings& s, const download_kind& kind, pid_t pid,
                                                         connection& download_connection, connection& ping_connection,
                                                         time_point deadline) {
  download_log download;
  ping_log pings;
  std::string download_problem;
  std::string ping_problem;
  std::atomic<bool> download_requested{false};
  std::atomic<bool> download_done{false};
  {
    const std::jthread pinger([&] {
      ping_problem = capture_failure(
          [&] { pings = ping_until(download_requested, download_done, ping_connection, pid, milliseconds(s.ping_interval_ms), deadline); });
    });
    const std::jthread downloader([&] {
      yield_cpu_to_server();
      download_problem = capture_failure(
          [&] { download = kind.download(download_connection, kind.request, download_requested, deadline); });
      download_done = true;
    });
  }
  if (!download_problem.empty()) fail(download_problem);
  if (!ping_problem.empty()) fail(ping_problem);
  return {std::move(download), std::move(pings)};
}

fast_result measure_fast_reader(const settings& s, server_mode mode, const download_kind& kind) {
  const time_point deadline = steady::now() + phase_time_limit;
  server_process server(s.server, mode, kind.server_flags, deadline);
  connection ping_connection(server.port(), deadline);
  ping_connection.set_no_delay();
  // A new process answers its first request slowly (page faults, symbols bound on first
  // call): that ping is not one taken while streaming, and is not counted.
  if (fetch(ping_connection, "/ping", deadline).status != 200) fail("the warm-up GET /ping failed");
  const memory_baseline memory = take_memory_baseline(server.pid());
  const io_counters io_before = read_io(server.pid());
  const long long cpu_wait_before = cpu_wait_ns(server.pid());
  connection download_connection(server.port(), deadline);

  fast_result result;
  ping_log pings;
  std::tie(result.download, pings) =
      download_while_pinging(s, kind, server.pid(), download_connection, ping_connection, deadline);
  result.cpu_wait_ms = static_cast<double>(cpu_wait_ns(server.pid()) - cpu_wait_before) / 1e6;

  const small_response stats = fetch(ping_connection, "/stats", deadline);
  if (stats.status != 200) fail("GET /stats answered status " + std::to_string(stats.status));
  result.loop_stall_us = loop_stall_us(stats.body);
  std::fprintf(
      stderr, "http_bench:   %lld body bytes, %s; the loop thread waited %.1f ms for a CPU; /stats said %s\n",
      result.download.body_bytes,
      result.download.chunked ? (std::to_string(result.download.chunks) + " chunks").c_str() : "Content-Length",
      result.cpu_wait_ms, stats.body.c_str());
  const long long phase_peak = phase_peak_kib(server.pid(), memory, std::max(memory.rss_kib, pings.sampled_peak_kib));
  result.peak_rss_kib = std::max(memory.startup_peak_kib, phase_peak);
  result.rss_growth_kib = phase_peak - memory.rss_kib;
  const io_counters io_after = read_io(server.pid());

  result.bytes_per_write = bytes_per_write(io_before, io_after, pings, stats, result.download.body_bytes);
  result.ping_us = std::move(pings.latencies_us);
  std::sort(result.ping_us.begin(), result.ping_us.end());
  return result;
}

// A client hanging up mid-body is routine for a server; it must go on serving others.
void check_still_answering(int port, time_point deadline) {
  connection probe(port, deadline);
  const small_response pong = fetch(probe, "/ping", deadline);
  if (pong.status != 200 || pong.body != "pong")
    fail("after the slow reader hung up, GET /ping answered status " + std::to_string(pong.status));
}

// Reads 64 KiB every 10 ms for slow_seconds, then hangs up mid-body, as a client on a slow
// link would: a streaming server should hold little more than one chunk for it.
slow_result measure_slow_reader(const settings& s, server_mode mode) {
  const auto read_time = std::chrono::seconds(s.slow_seconds);
  const time_point deadline = steady::now() + read_time + phase_time_limit;
  server_process server(s.server, mode, {"--orders", "0"}, deadline);
  const memory_baseline memory = take_memory_baseline(server.pid());
  long long sampled_peak = memory.rss_kib;
  slow_result result;
  {
    connection reader_connection(server.port(), deadline);
    numbers_reader reader(s.length);
    std::vector<char> buffer(slow_read_size);
    reader_connection.send_all(numbers_request(s.length), deadline);
    const time_point stop_reading = steady::now() + read_time;
    for (time_point next_read = steady::now(); next_read < stop_reading && !reader.complete();
         next_read += slow_read_period) {
      std::this_thread::sleep_until(next_read);
      const std::optional<std::size_t> size = reader_connection.receive_now(buffer);
      if (size && *size == 0)
        fail("the server closed the connection after " + std::to_string(reader.body_bytes()) + " body bytes");
      if (size) reader.take({buffer.data(), *size});
      sampled_peak = std::max(sampled_peak, rss_kib(server.pid()));
    }
    result.body_bytes = reader.body_bytes();
  }
  check_still_answering(server.port(), deadline);
  result.rss_growth_kib = phase_peak_kib(server.pid(), memory, sampled_peak) - memory.rss_kib;
  return result;
}

template <class Measure>
auto run_phase(server_mode mode, const char* reader, Measure measure) {
  const std::string name = std::string(mode_name(mode)) + ", " + reader + " reader";
  std::fprintf(stderr, "http_bench: phase %s\n", name.c_str());
  try {
    return measure();
  } catch (const phase_failure& failure) {
    throw phase_failure(name + ": " + failure.what());
  }
}

// ---------------------------------------------------------------------------------------------
// The report

struct mode_results {
  fast_result fast;
  slow_result slow;
};

std::string format(const char* pattern, double value) {
  if (std::isnan(value)) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

double mib(long long kib) { return static_cast<double>(kib) / 1024; }

// Nearest-rank percentile of sorted latencies, in ms.
double percentile_ms(const std::vector<long long>& sorted_us, double fraction) {
  if (sorted_us.empty()) return NAN;
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted_us.size())));
  return static_cast<double>(sorted_us[std::max<std::size_t>(rank, 1) - 1]) / 1000;
}

double throughput_mb_s(const download_log& download) {
  return static_cast<double>(download.body_bytes) / 1e6 / (download.last_byte_ms / 1000);
}

void print_row(const char* metric, const std::string& streamed, const std::string& oneshot) {
  std::printf("| %s | %s | %s |\n", metric, streamed.c_str(), oneshot.c_str());
}

// One table row: the same measure of both modes, in the same format.
template <class Result, class Measure>
void print_row(const char* metric, const char* pattern, const Result& streamed, const Result& oneshot,
               Measure measure) {
  print_row(metric, format(pattern, measure(streamed)), format(pattern, measure(oneshot)));
}

// The rows of a table measured with the fast reader.
void print_fast_rows(const fast_result& streamed, const fast_result& oneshot) {
  std::printf("| metric | streamed | oneshot |\n|---|---:|---:|\n");
  print_row("time to first byte (ms)", "%.3f", streamed, oneshot,
            [](const fast_result& r) { return r.download.first_byte_ms; });
  print_row("time to last byte (ms)", "%.1f", streamed, oneshot,
            [](const fast_result& r) { return r.download.last_byte_ms; });
  print_row("throughput (MB/s)", "%.0f", streamed, oneshot,
            [](const fast_result& r) { return throughput_mb_s(r.download); });
  print_row("ping p50 (ms)", "%.3f", streamed, oneshot,
            [](const fast_result& r) { return percentile_ms(r.ping_us, 0.50); });
  print_row("ping p99 (ms)", "%.3f", streamed, oneshot,
            [](const fast_result& r) { return percentile_ms(r.ping_us, 0.99); });
  print_row("ping max (ms)", "%.3f", streamed, oneshot,
            [](const fast_result& r) { return percentile_ms(r.ping_us, 1.0); });
  print_row("pings answered", "%.0f", streamed, oneshot,
            [](const fast_result& r) { return static_cast<double>(r.ping_us.size()); });
  print_row("longest loop stall (ms)", "%.3f", streamed, oneshot,
            [](const fast_result& r) { return r.loop_stall_us / 1000; });
  print_row("server peak RSS (MiB)", "%.1f", streamed, oneshot,
            [](const fast_result& r) { return mib(r.peak_rss_kib); });
  print_row("server RSS growth during the fast download (MiB)", "%.1f", streamed, oneshot,
            [](const fast_result& r) { return mib(r.rss_growth_kib); });
  print_row("average bytes per write syscall", "%.0f", streamed, oneshot,
            [](const fast_result& r) { return r.bytes_per_write; });
}

void print_table(const mode_results& streamed, const mode_results& oneshot) {
  print_fast_rows(streamed.fast, oneshot.fast);
  print_row("slow reader: bytes read (MB)", "%.1f", streamed, oneshot,
            [](const mode_results& r) { return static_cast<double>(r.slow.body_bytes) / 1e6; });
  print_row("slow reader: server RSS growth (MiB)", "%.1f", streamed, oneshot,
            [](const mode_results& r) { return mib(r.slow.rss_growth_kib); });
}

void print_target(const char* target, bool met, const std::string& value) {
  std::printf("- %s: %s (%s)\n", target, met ? "met" : "NOT met", value.c_str());
}

void print_targets(const mode_results& streamed, const mode_results& oneshot) {
  const double ping_p99 = percentile_ms(streamed.fast.ping_us, 0.99);
  const double slow_growth = mib(streamed.slow.rss_growth_kib);
  const double per_write = streamed.fast.bytes_per_write;
  const double ttlb_ratio = streamed.fast.download.last_byte_ms / oneshot.fast.download.last_byte_ms;
  std::printf("\ntargets:\n");
  print_target("ping p99 <= 1 ms while streaming", ping_p99 <= 1.0, format("%.3f ms", ping_p99));
  print_target("slow-reader RSS growth <= 8 MiB (streamed)", slow_growth <= 8.0, format("%.1f MiB", slow_growth));
  print_target(">= 16 KiB per write syscall (streamed)", per_write >= 16 * 1024, format("%.0f bytes", per_write));
  print_target("streamed TTLB within 10% of oneshot", ttlb_ratio <= 1.10,
               format("%.1f ms", streamed.fast.download.last_byte_ms) + " vs " +
                   format("%.1f ms", oneshot.fast.download.last_byte_ms) + ", " +
                   format("%+.1f%%", (ttlb_ratio - 1) * 100));
}

// The one-minute load average and the CPU count: latencies mean little without them.
std::string machine_load() {
  double load = NAN;
  std::FILE* file = std::fopen("/proc/loadavg", "r");
  if (file != nullptr) {
    if (std::fscanf(file, "%lf", &load) != 1) load = NAN;
    std::fclose(file);
  }
  const cpu_split& cpus = benchmark_cpus();
  return "load average " + format("%.2f", load) + " on " + std::to_string(std::thread::hardware_concurrency()) +
         " CPUs" +
         (cpus.split ? "; the server on CPU " + std::to_string(cpus.server_cpu) + ", the client on the others"
                     : "; the server and the client share the CPUs");
}

// A ping is answered only when the loop runs, so a ping far slower than the longest stall
// /stats reports means the server's stall measure missed one; the margin allows for our own
// threads being late.
void print_stall_check(server_mode mode, const fast_result& fast) {
  const double ping_max = percentile_ms(fast.ping_us, 1.0);
  const double stall = fast.loop_stall_us / 1000;
  if (ping_max > 2 * stall + 10) {
    std::printf(
        "warning: %s: a ping waited %.3f ms, but /stats reports a longest loop stall of %.3f ms; the server's "
        "stall measure missed a stall\n",
        mode_name(mode), ping_max, stall);
  }
}

void print_report(const settings& s, const mode_results& streamed, const mode_results& oneshot) {
  std::printf("GET /numbers?length=%lld (%.1f MB of JSON), ping every %lld ms, slow reader for %lld s; %s\n\n",
              s.length, static_cast<double>(expected_body_size(s.length)) / 1e6, s.ping_interval_ms, s.slow_seconds,
              machine_load().c_str());
  print_table(streamed, oneshot);
  std::printf("\nstreamed / oneshot time to last byte: %s\n",
              format("%.3f", streamed.fast.download.last_byte_ms / oneshot.fast.download.last_byte_ms).c_str());
  std::printf("server loop thread waiting for a CPU during the fast download (ms): streamed %.1f, oneshot %.1f\n",
              streamed.fast.cpu_wait_ms, oneshot.fast.cpu_wait_ms);
  print_stall_check(server_mode::streamed, streamed.fast);
  print_stall_check(server_mode::oneshot, oneshot.fast);
  print_targets(streamed, oneshot);
}

// The /rows phases: the orders table streamed a row at a time, against the same rows
// collected into a vector and serialized in one go.
void print_rows_report(const settings& s, const fast_result& streamed, const fast_result& oneshot) {
  std::printf("\nGET /rows?limit=%lld&format=ndjson (%.1f MB of JSON from SQLite), ping every %lld ms\n\n", s.rows,
              static_cast<double>(streamed.download.body_bytes) / 1e6, s.ping_interval_ms);
  print_fast_rows(streamed, oneshot);
  print_stall_check(server_mode::streamed, streamed);
  print_stall_check(server_mode::oneshot, oneshot);
}

// The two /rows phases and their table; skipped, with a line, for a server without SQLite.
void measure_rows(const settings& s) {
  const download_kind rows = rows_download(s.rows);
  fast_result streamed;
  try {
    streamed = run_phase(server_mode::streamed, "fast /rows",
                         [&] { return measure_fast_reader(s, server_mode::streamed, rows); });
  } catch (const phase_failure& failure) {
    if (std::string_view(failure.what()).find("GET /rows answered status 404") == std::string_view::npos) throw;
    std::printf("\nGET /rows: skipped, the server was built without SQLite\n");
    return;
  }
  const fast_result oneshot =
      run_phase(server_mode::oneshot, "fast /rows", [&] { return measure_fast_reader(s, server_mode::oneshot, rows); });
  print_rows_report(s, streamed, oneshot);
}

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_arguments(argc, argv);
  try {
    mode_results streamed;
    mode_results oneshot;
    const download_kind numbers = numbers_download(s.length);
    streamed.fast = run_phase(server_mode::streamed, "fast",
                              [&] { return measure_fast_reader(s, server_mode::streamed, numbers); });
    oneshot.fast = run_phase(server_mode::oneshot, "fast",
                             [&] { return measure_fast_reader(s, server_mode::oneshot, numbers); });
    streamed.slow =
        run_phase(server_mode::streamed, "slow", [&] { return measure_slow_reader(s, server_mode::streamed); });
    oneshot.slow =
        run_phase(server_mode::oneshot, "slow", [&] { return measure_slow_reader(s, server_mode::oneshot); });
    print_report(s, streamed, oneshot);
    std::fflush(stdout);
    if (s.rows > 0) measure_rows(s);
  } catch (const phase_failure& failure) {
    std::fprintf(stderr, "http_bench: %s\n", failure.what());
    return 1;
  }
  return 0;
}
