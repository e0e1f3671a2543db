#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <httplib.h>

#include "iterjson/detail/config.hpp"
#include "iterjson/encoder.hpp"

namespace iterjson {

/// How `set_content` paces a cpp-httplib response.
struct httplib_options {
  /// Bytes per `DataSink::write`: one HTTP chunk each, but the last.
  std::size_t block_size = 16 * 1024;
  /// While a source has nothing yet, how often the worker polls it again.
  std::chrono::milliseconds poll_interval{5};
  /// The longest a source may have nothing: then the response ends, cut short (no last
  /// chunk), and its worker is free again.
  std::chrono::milliseconds max_wait = std::chrono::minutes(1);
};

namespace detail {

// One response: its encoder and the block it writes through. Shared by httplib's
// provider and releaser, which are copied std::functions.
class httplib_response {
 public:
  httplib_response(encoder text, const httplib_options& opts)
      : text_(std::move(text)), options_(opts) {
    if (opts.block_size == 0) on_misuse<std::invalid_argument>("iterjson::httplib_options: block_size must be at least 1");
    block_ = std::make_unique<char[]>(opts.block_size);
  }

  // One call of the content provider: writes the next block, or ends the body. False
  // stops the response: the client left (the sink's write failed), the encoder failed,
  // or the source stayed silent too long.
  bool provide(httplib::DataSink& sink) {
    const auto silent_since = std::chrono::steady_clock::now();
    for (;;) {
      const std::size_t size = read_block();
      if (text_.failed()) return false;
      if (size != 0) return sink.write(block_.get(), size);  // never 0: httplib takes that for the end
      if (!text_.waiting()) {
        sink.done();
        return true;
      }
      if (std::chrono::steady_clock::now() - silent_since >= options_.max_wait) return false;
      std::this_thread::sleep_for(options_.poll_interval);
    }
  }

  // The response is over, whichever way: the encoder goes, and what it owns.
  void release() noexcept {
    text_ = encoder();
    block_.reset();
  }

 private:
  std::size_t read_block() {
#if ITERJSON_DETAIL_EXCEPTIONS
    try {
      return text_.read(block_.get(), options_.block_size);
    } catch (...) {
      return 0;  // the encoder is failed() now; the response is cut short
    }
#else
    return text_.read(block_.get(), options_.block_size);
#endif
  }

  encoder text_;
  std::unique_ptr<char[]> block_;
  httplib_options options_;
};

}  // namespace detail

/// Sends the text of `text` as the body of `res`, chunked, made as httplib's sink takes
/// it: a block of `block_size` per write, one HTTP chunk each, never the whole text.
///
/// ```cpp
/// svr.Get("/rows", [](const httplib::Request&, httplib::Response& res) {
///   iterjson::set_content(res, iterjson::encoder(load_rows()), "application/json");
/// });
/// ```
///
/// httplib writes a response on one worker thread of its pool, blocking, so that worker
/// is the stream's until it ends; a slow client holds it (up to httplib's write timeout,
/// 5 s by default, per write), and the block and httplib's copy of it as a chunk.
///
/// - **A client that leaves**: the sink's write fails, the provider stops, and the
///   releaser frees the encoder and the value it owns at once, on that worker.
/// - **A source with nothing yet** blocks the worker: httplib has no event loop to park
///   the stream on, so the worker sleeps and polls the source again every
///   `poll_interval`, until it has more or `max_wait` passes (then the response is cut
///   short). A waiting stream holds its worker all the while: a pool of N workers
///   (httplib's default N is the larger of 8 and the CPUs less one) serves at most N such
///   streams at once, and further connections queue behind them. The source is polled
///   on the worker thread while its data comes from elsewhere, so it must be safe to
///   poll from that thread (a mutex around its queue): `channel` is not. It need not
///   call its waker, which belongs to the thread driving the encoder.
/// - **Errors**: an encoder that fails ends the response without its last chunk, so the
///   client sees it cut short.
///
/// Throws `std::invalid_argument` for a zero `block_size`.
inline void set_content(httplib::Response& res, encoder text, const std::string& content_type,
                        const httplib_options& opts = {}) {
  auto response = std::make_shared<detail::httplib_response>(std::move(text), opts);
  res.set_chunked_content_provider(
      content_type, [response](std::size_t, httplib::DataSink& sink) { return response->provide(sink); },
      [response](bool) { response->release(); });
}

}  // namespace iterjson
