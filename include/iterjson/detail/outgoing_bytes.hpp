#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "iterjson/framing.hpp"

namespace iterjson::detail {

// The bytes a stream_driver holds, and their memory: the block being filled, what is
// ready for the sink (sealed blocks, a copied prefix, the last chunk), and what was
// handed to the sink and not yet reported written. A block counts at its full size from
// the moment it is begun, so the bytes held never pass the high-water mark the driver
// checks before beginning one; its memory is reused for a later block.
class outgoing_bytes {
 public:
  // Blocks of `block_size` bytes, framing included; at most `spare_blocks` kept for reuse.
  outgoing_bytes(std::size_t block_size, bool chunked, std::size_t spare_blocks)
      : block_size_(block_size),
        header_room_(chunked ? http_chunked::header_room(block_size) : 0),
        trailer_room_(chunked ? http_chunked::chunk_end.size() : 0),
        spare_limit_(spare_blocks),
        chunked_(chunked) {}

  // The text a block can hold, its chunk framing aside; 0 when the framing takes it all.
  [[nodiscard]] std::size_t block_payload() const noexcept {
    return block_size_ > header_room_ + trailer_room_ ? block_size_ - header_room_ - trailer_room_ : 0;
  }

  // --- the block being filled ----------------------------------------------------------

  [[nodiscard]] bool filling() const noexcept { return filling_ != nullptr; }
  [[nodiscard]] bool block_has_text() const noexcept { return filling_ && fill_ != payload_begin(); }
  [[nodiscard]] char* fill_position() const noexcept { return fill_; }
  [[nodiscard]] std::size_t fill_room() const noexcept { return static_cast<std::size_t>(block_end() - fill_); }
  void filled(std::size_t bytes) noexcept { fill_ += bytes; }

  void begin_block() {
    if (spare_blocks_.empty()) {
      filling_ = std::make_unique_for_overwrite<char[]>(block_size_);
    } else {
      filling_ = std::move(spare_blocks_.back());
      spare_blocks_.pop_back();
    }
    fill_ = payload_begin();
    hold(block_size_);
  }

  // The block goes to the ready segments, framed as one chunk if chunked.
  void seal_block() {
    char* begin = payload_begin();
    char* end = fill_;
    if (chunked_) {
      begin = http_chunked::write_header_before(begin, static_cast<std::size_t>(end - begin));
      std::memcpy(end, http_chunked::chunk_end.data(), http_chunked::chunk_end.size());
      end += http_chunked::chunk_end.size();
    }
    const std::size_t size = static_cast<std::size_t>(end - begin);
    ready_.push_back({{begin, size}, std::move(filling_), true});
    held_ -= block_size_ - size;  // the block was held at full size
  }

  // A block begun and left empty goes back.
  void drop_block() {
    recycle(std::move(filling_));
    held_ -= block_size_;
  }

  // --- other segments ------------------------------------------------------------------

  // Bytes copied now, such as HTTP headers.
  void add_copy(std::string_view bytes) {
    auto copy = std::make_unique_for_overwrite<char[]>(bytes.size());
    std::memcpy(copy.get(), bytes.data(), bytes.size());
    ready_.push_back({{copy.get(), bytes.size()}, std::move(copy), false});
    hold(bytes.size());
  }

  // Bytes that outlive the driver, such as the last chunk.
  void add_static(std::string_view bytes) {
    ready_.push_back({bytes, nullptr, false});
    hold(bytes.size());
  }

  // --- the sink ------------------------------------------------------------------------

  [[nodiscard]] bool has_ready() const noexcept { return !ready_.empty(); }

  // Every ready segment, handed over: owned here until reported written. The views are
  // valid until the next call.
  std::span<const std::string_view> hand_over() {
    views_.clear();
    for (segment& s : ready_) {
      views_.push_back(s.bytes);
      sent_.push_back(std::move(s));
    }
    ready_.clear();
    return views_;
  }

  // The oldest `bytes` handed over are written: their memory goes back.
  void written(std::size_t bytes) {
    bytes_written_ += bytes;
    while (bytes != 0 && !sent_.empty()) {
      segment& oldest = sent_.front();
      const std::size_t part = std::min(bytes, oldest.bytes.size() - sent_written_);
      bytes -= part;
      sent_written_ += part;
      held_ -= part;
      if (sent_written_ != oldest.bytes.size()) break;
      sent_written_ = 0;
      if (oldest.is_block) recycle(std::move(oldest.memory));
      sent_.pop_front();
    }
  }

  // The stream ends: the block being filled and the ready segments go. What was handed
  // over stays until reported written, or until the driver dies.
  void discard_unsent() noexcept {
    if (filling_) {
      held_ -= block_size_;
      filling_.reset();
    }
    for (const segment& s : ready_) held_ -= s.bytes.size();
    ready_.clear();
  }

  // Bytes held now: handed over and not yet written, ready, and the block being filled
  // at full size.
  [[nodiscard]] std::size_t held() const noexcept { return held_; }
  [[nodiscard]] std::size_t peak_held() const noexcept { return peak_held_; }
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_written_; }

 private:
  // Bytes ready or handed over; `memory` owns them unless they are static.
  struct segment {
    std::string_view bytes;
    std::unique_ptr<char[]> memory;
    bool is_block = false;
  };

  [[nodiscard]] char* payload_begin() const noexcept { return filling_.get() + header_room_; }
  [[nodiscard]] char* block_end() const noexcept { return filling_.get() + block_size_ - trailer_room_; }

  void hold(std::size_t bytes) noexcept {
    held_ += bytes;
    peak_held_ = std::max(peak_held_, held_);
  }

  void recycle(std::unique_ptr<char[]> block) {
    if (spare_blocks_.size() < spare_limit_) spare_blocks_.push_back(std::move(block));
  }

  const std::size_t block_size_;
  const std::size_t header_room_;
  const std::size_t trailer_room_;
  const std::size_t spare_limit_;
  const bool chunked_;

  std::unique_ptr<char[]> filling_;  // the block being filled
  char* fill_ = nullptr;
  std::vector<segment> ready_;    // not yet handed over
  std::deque<segment> sent_;      // handed over, not yet reported written
  std::size_t sent_written_ = 0;  // bytes of sent_.front() written
  std::vector<std::unique_ptr<char[]>> spare_blocks_;
  std::vector<std::string_view> views_;
  std::size_t held_ = 0;
  std::size_t peak_held_ = 0;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace iterjson::detail
