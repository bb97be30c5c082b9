// ckks-accel hexl-compat: 64-byte aligned vectors (AlignedVector64) over an AllocatorBase.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "hexl/util/allocator.hpp"
#include "hexl/util/compiler.hpp"

namespace intel {
namespace hexl {

/// AllocatorBase over std::malloc / std::free.
struct MallocStrategy : AllocatorBase {
  /// std::malloc(bytes_count).
  void* allocate(size_t bytes_count) final { return std::malloc(bytes_count); }
  /// std::free(p).
  void deallocate(void* p, size_t n) final {
    HEXL_UNUSED(n);
    std::free(p);
  }
};

/// Shared pointer to an allocation strategy.
using AllocatorStrategyPtr = std::shared_ptr<AllocatorBase>;
/// The default strategy (a MallocStrategy).
extern AllocatorStrategyPtr mallocStrategy;

/// A std allocator of T aligned to `Alignment` bytes (a power of two), drawing from a strategy.
template <typename T, uint64_t Alignment>
class AlignedAllocator {
  static_assert(Alignment != 0 && (Alignment & (Alignment - 1)) == 0,
                "Alignment must be a power of two");

 public:
  template <typename, uint64_t>
  friend class AlignedAllocator;

  /// Element type.
  using value_type = T;

  /// An allocator over `strategy` (nullptr: mallocStrategy).
  explicit AlignedAllocator(AllocatorStrategyPtr strategy = nullptr) noexcept
      : m_impl(strategy != nullptr ? strategy : mallocStrategy) {}

  AlignedAllocator(const AlignedAllocator& src) = default;
  AlignedAllocator& operator=(const AlignedAllocator& src) = default;

  /// Rebinding copy.
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment>& src)
      : m_impl(src.m_impl) {}

  /// Rebinding (pre-C++20 allocators).
  template <typename U>
  struct rebind {
    /// The same allocator for U.
    using other = AlignedAllocator<U, Alignment>;
  };

  /// Allocators of one type compare equal (memory from one can be freed by another).
  bool operator==(const AlignedAllocator&) const { return true; }
  /// See operator==.
  bool operator!=(const AlignedAllocator&) const { return false; }

  /// `n` elements aligned to Alignment bytes; throws std::bad_alloc on failure.
  T* allocate(size_t n) {
    // Layout: [padding][original pointer][aligned data...]
    size_t bytes = sizeof(T) * n + Alignment + sizeof(void*);
    void* raw = m_impl->allocate(bytes);
    if (raw == nullptr) throw std::bad_alloc();
    uintptr_t start = reinterpret_cast<uintptr_t>(raw) + sizeof(void*);
    uintptr_t aligned = (start + Alignment - 1) & ~(uintptr_t)(Alignment - 1);
    reinterpret_cast<void**>(aligned)[-1] = raw;
    return reinterpret_cast<T*>(aligned);
  }

  /// Releases memory from allocate (nullptr: no-op).
  void deallocate(T* p, size_t n) {
    if (p == nullptr) return;
    void* raw = reinterpret_cast<void**>(p)[-1];
    m_impl->deallocate(raw, n);
  }

 private:
  AllocatorStrategyPtr m_impl;
};

/// std::vector with 64-byte aligned storage.
template <typename T>
using AlignedVector64 = std::vector<T, AlignedAllocator<T, 64>>;

}  // namespace hexl
}  // namespace intel
