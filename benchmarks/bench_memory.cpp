// The heap each contender takes to write: its peak above what was live when it started,
// and how many allocations it makes. The trees are built before, so only writing is
// weighed: building nlohmann's or Boost's tree is not part of it. Every form of
// operator new and delete is replaced here to count bytes; sizes are malloc's usable
// sizes, so a few bytes more than asked for.
//
// - The corpora: every contender of bench_corpora, under the same names. Each run
//   builds its contender afresh, so what it allocates once and reuses in bench_corpora
//   (RapidJSON's buffer, iterjson read()'s 64 KiB buffer) is counted here.
// - The lazy document of bench_synthetic, ~1 GB (--lazy_document_mb): iterjson's next(),
//   whose heap should stay under 1 MiB whatever the size; and to_string() on a tenth
//   of it for contrast, which holds the whole text.
//
// Counters, per run: peak_heap_bytes, allocations, and text_bytes, the size of the text.

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include <benchmark/benchmark.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bench_support.hpp"
#include "contenders.hpp"
#include "corpus_contenders.hpp"

namespace heap {

std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};
std::atomic<std::size_t> allocations{0};

void note_allocation(void* block) {
  const std::size_t size = malloc_usable_size(block);
  const std::size_t live = live_bytes.fetch_add(size, std::memory_order_relaxed) + size;
  std::size_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (live > peak && !peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
  allocations.fetch_add(1, std::memory_order_relaxed);
}

// Null when out of memory.
void* allocate(std::size_t size, std::size_t alignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__) noexcept {
  size = std::max<std::size_t>(size, 1);
  void* block = alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__
                    ? std::malloc(size)
                    : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  if (block != nullptr) note_allocation(block);
  return block;
}

void* allocate_or_throw(std::size_t size, std::size_t alignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
  void* block = allocate(size, alignment);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void release(void* block) noexcept {
  if (block == nullptr) return;
  live_bytes.fetch_sub(malloc_usable_size(block), std::memory_order_relaxed);
  std::free(block);
}

// What happens on the heap from its construction on.
class watch {
 public:
  watch()
      : live_at_start_(live_bytes.load(std::memory_order_relaxed)),
        allocations_at_start_(allocations.load(std::memory_order_relaxed)) {
    peak_bytes.store(live_at_start_, std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t peak() const { return peak_bytes.load(std::memory_order_relaxed) - live_at_start_; }
  [[nodiscard]] std::size_t allocation_count() const {
    return allocations.load(std::memory_order_relaxed) - allocations_at_start_;
  }

 private:
  std::size_t live_at_start_;
  std::size_t allocations_at_start_;
};

// RapidJSON allocates with malloc, which the counters do not see. Here its buffer and
// its writer's stack allocate through operator new instead, and a reallocation is a new
// block and a copy: at its peak, as much as realloc's worst case.
struct counted_allocator {
  static constexpr bool kNeedFree = true;
  void* Malloc(std::size_t size) { return size == 0 ? nullptr : ::operator new(size); }
  void* Realloc(void* block, std::size_t old_size, std::size_t new_size) {
    void* moved = Malloc(new_size);
    if (block != nullptr && moved != nullptr) std::memcpy(moved, block, std::min(old_size, new_size));
    Free(block);
    return moved;
  }
  static void Free(void* block) { ::operator delete(block); }
};

}  // namespace heap

void* operator new(std::size_t size) { return heap::allocate_or_throw(size); }
void* operator new[](std::size_t size) { return heap::allocate_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return heap::allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return heap::allocate(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  return heap::allocate_or_throw(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return heap::allocate_or_throw(size, static_cast<std::size_t>(alignment));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return heap::allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return heap::allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* block) noexcept { heap::release(block); }
void operator delete[](void* block) noexcept { heap::release(block); }
void operator delete(void* block, std::size_t) noexcept { heap::release(block); }
void operator delete[](void* block, std::size_t) noexcept { heap::release(block); }
void operator delete(void* block, std::align_val_t) noexcept { heap::release(block); }
void operator delete[](void* block, std::align_val_t) noexcept { heap::release(block); }
void operator delete(void* block, std::size_t, std::align_val_t) noexcept { heap::release(block); }
void operator delete[](void* block, std::size_t, std::align_val_t) noexcept { heap::release(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept { heap::release(block); }
void operator delete[](void* block, const std::nothrow_t&) noexcept { heap::release(block); }
void operator delete(void* block, std::align_val_t, const std::nothrow_t&) noexcept { heap::release(block); }
void operator delete[](void* block, std::align_val_t, const std::nothrow_t&) noexcept { heap::release(block); }

namespace {

namespace contender = bench::contender;

using counted_buffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, heap::counted_allocator>;
using counted_rapidjson_writer = contender::rapidjson_writer<
    counted_buffer, rapidjson::Writer<counted_buffer, rapidjson::UTF8<>, rapidjson::UTF8<>, heap::counted_allocator>>;

// The contender whose heap is counted: itself, or RapidJSON's with counted allocators.
template <class Writer>
struct counted {
  using type = Writer;
};
template <>
struct counted<contender::rapidjson_writer<>> {
  using type = counted_rapidjson_writer;
};

// Runs `Writer`, built afresh, on `data` once per iteration into a sink that discards the
// text, and reports the largest peak and the allocations of a run.
template <class Writer, class Data>
void weigh_runs(benchmark::State& state, const Data& data) {
  std::size_t peak = 0;
  std::size_t allocation_count = 0;
  std::size_t bytes = 0;
  auto discard = [&bytes](std::string_view slice) {
    benchmark::DoNotOptimize(slice.data());
    bytes += slice.size();
  };
  for (auto _ : state) {
    const heap::watch watch;
    {
      Writer writer;
      writer(data, discard);
    }
    peak = std::max(peak, watch.peak());
    allocation_count = watch.allocation_count();
  }
  state.counters["peak_heap_bytes"] = static_cast<double>(peak);
  state.counters["allocations"] = static_cast<double>(allocation_count);
  state.counters["text_bytes"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// Weighs `Writer` writing one corpus from a `Tree`, after checking its text.
template <class Writer, class Tree>
void weigh(benchmark::State& state, bench::corpus<Tree> corpus) {
  using counted_writer = typename counted<Writer>::type;
  const Tree& tree = bench::corpus_as<Tree>(corpus.file);
  counted_writer checked;
  bench::checked_text_size(checked, tree, corpus.file);
  weigh_runs<counted_writer>(state, tree);
}

BENCH_CORPUS_CONTENDERS(weigh);

// Weighs `Writer` writing `megabytes` of the lazy document.
template <class Writer>
void weigh_lazy_document(benchmark::State& state, std::int64_t megabytes) {
  Writer checked;
  bench::check_lazy_document(checked);
  weigh_runs<Writer>(state, bench::lazy_document(bench::lazy_document_rows(megabytes)));
}

void lazy_document_next(benchmark::State& state) {
  weigh_lazy_document<contender::iterjson_next>(state, bench::lazy_document_mb);
  if (state.counters["peak_heap_bytes"] >= 1024 * 1024) state.SetLabel("above the 1 MiB target");
}
void lazy_document_to_string(benchmark::State& state) {
  weigh_lazy_document<contender::iterjson_to_string>(state, std::max<std::int64_t>(bench::lazy_document_mb / 10, 1));
}
BENCHMARK(lazy_document_next)->Name("iterjson_next/lazy_document")->Unit(benchmark::kMillisecond);
BENCHMARK(lazy_document_to_string)->Name("iterjson_to_string/lazy_document_tenth")->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks(argc, argv); }
