// ckks-accel hexl-compat: HEXL's allocator interfaces (NTT takes one; SEAL specializes
// NTT::AllocatorAdapter over AllocatorInterface).
#pragma once

#include <cstddef>

#include "hexl/util/compiler.hpp"

namespace intel {
namespace hexl {

/// A polymorphic byte allocator.
struct AllocatorBase {
  virtual ~AllocatorBase() noexcept {}
  /// Allocates `bytes_count` bytes.
  virtual void* allocate(size_t bytes_count) = 0;
  /// Releases `p`, of `n` bytes.
  virtual void deallocate(void* p, size_t n) = 0;
};

/// CRTP bridge: AllocatorImpl provides allocate_impl / deallocate_impl.
template <class AllocatorImpl>
struct AllocatorInterface : public AllocatorBase {
  /// Forwards to AllocatorImpl::allocate_impl.
  void* allocate(size_t bytes_count) override {
    return static_cast<AllocatorImpl*>(this)->allocate_impl(bytes_count);
  }
  /// Forwards to AllocatorImpl::deallocate_impl.
  void deallocate(void* p, size_t n) override {
    static_cast<AllocatorImpl*>(this)->deallocate_impl(p, n);
  }

 private:
  // Fallbacks when AllocatorImpl provides nothing: allocate nothing, free nothing.
  void* allocate_impl(size_t bytes_count) {
    HEXL_UNUSED(bytes_count);
    return nullptr;
  }
  void deallocate_impl(void* p, size_t n) {
    HEXL_UNUSED(p);
    HEXL_UNUSED(n);
  }
};

}  // namespace hexl
}  // namespace intel
