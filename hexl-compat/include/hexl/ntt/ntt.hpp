// ckks-accel hexl-compat: intel::hexl::NTT, the negacyclic NTT of HEXL's API, computed by
// ckks-accel (ckks_hexl_ntt_* in ckks_accel.h).
#pragma once

#include <stdint.h>

#include <memory>
#include <utility>

#include "hexl/util/aligned-allocator.hpp"
#include "hexl/util/allocator.hpp"
#include "hexl/util/check.hpp"

struct CkksHexlNtt;

namespace intel {
namespace hexl {

/// Negacyclic NTT of a power-of-two degree n (2 ≤ n ≤ 2^20) over a prime q ≡ 1 (mod 2n),
/// q < 2^62, on a primitive 2n-th root of unity ψ (by default the minimal one, as HEXL).
///
/// ComputeForward: natural order in, bit-reversed order out (out[k] = Σ_j a_j ψ^(j(2·brv(k)+1))
/// mod q); ComputeInverse is its inverse (1/n included). Mod factors as HEXL: forward input
/// {1, 2, 4} → output {1, 4}; inverse input {1, 2} → output {1, 2}. Fully reduced outputs equal
/// HEXL's word for word; lazy outputs equal them mod q. result == operand runs in place.
///
/// Every precondition is checked in every build: bad degree, modulus or root at construction,
/// and at transform time an unsupported factor, a null pointer or an input word outside
/// [0, input_mod_factor·q) throw intel::hexl::Error. Copies share the underlying plan;
/// transforms may run concurrently on one object.
class NTT {
 public:
  /// Adapts an allocator object to AllocatorBase (clients may specialize it, as SEAL does).
  template <class Adaptee, class... Args>
  struct AllocatorAdapter
      : public AllocatorInterface<AllocatorAdapter<Adaptee, Args...>> {
    /// Takes ownership of the allocator.
    explicit AllocatorAdapter(Adaptee&& _a, Args&&... args)
        : alloc(std::move(_a)) {
      (void)sizeof...(args);
    }
    /// Copies the allocator.
    AllocatorAdapter(const Adaptee& _a, Args&... args) : alloc(_a) {
      (void)sizeof...(args);
    }
    /// Forwards to the allocator.
    void* allocate_impl(size_t bytes_count) {
      return alloc.allocate(bytes_count);
    }
    /// Forwards to the allocator.
    void deallocate_impl(void* p, size_t n) { alloc.deallocate(p, n); }

   private:
    Adaptee alloc;
  };

  /// An empty NTT (degree 0): transforms throw until assigned a real one.
  NTT() = default;
  ~NTT() = default;
  NTT(const NTT&) = default;
  NTT(NTT&&) = default;
  NTT& operator=(const NTT&) = default;
  NTT& operator=(NTT&&) = default;

  /// NTT of `degree` over `q` on the minimal primitive 2·degree-th root of unity.
  NTT(uint64_t degree, uint64_t q,
      std::shared_ptr<AllocatorBase> alloc_ptr = {});

  /// As above, keeping an allocator object (wrapped in an AllocatorAdapter).
  template <class Allocator, class... AllocatorArgs>
  NTT(uint64_t degree, uint64_t q, Allocator&& a, AllocatorArgs&&... args)
      : NTT(degree, q,
            std::static_pointer_cast<AllocatorBase>(
                std::make_shared<AllocatorAdapter<Allocator, AllocatorArgs...>>(
                    std::move(a), std::forward<AllocatorArgs>(args)...))) {}

  /// NTT of `degree` over `q` on the given primitive 2·degree-th root of unity.
  NTT(uint64_t degree, uint64_t q, uint64_t root_of_unity,
      std::shared_ptr<AllocatorBase> alloc_ptr = {});

  /// As above, keeping an allocator object (wrapped in an AllocatorAdapter).
  template <class Allocator, class... AllocatorArgs>
  NTT(uint64_t degree, uint64_t q, uint64_t root_of_unity, Allocator&& a,
      AllocatorArgs&&... args)
      : NTT(degree, q, root_of_unity,
            std::static_pointer_cast<AllocatorBase>(
                std::make_shared<AllocatorAdapter<Allocator, AllocatorArgs...>>(
                    std::move(a), std::forward<AllocatorArgs>(args)...))) {}

  /// Whether (degree, modulus) can be transformed: degree a power of two in [2, 2^20],
  /// modulus a prime < 2^62 with modulus ≡ 1 (mod 2·degree). Never throws.
  static bool CheckArguments(uint64_t degree, uint64_t modulus);

  /// Forward transform of `degree` words from `operand` into `result` (see the class).
  void ComputeForward(uint64_t* result, const uint64_t* operand,
                      uint64_t input_mod_factor, uint64_t output_mod_factor);

  /// Inverse transform of `degree` words from `operand` into `result` (see the class).
  void ComputeInverse(uint64_t* result, const uint64_t* operand,
                      uint64_t input_mod_factor, uint64_t output_mod_factor);

  /// The root of unity ψ in use (the minimal one unless given at construction).
  uint64_t GetMinimalRootOfUnity() const { return m_w; }
  /// The degree n.
  uint64_t GetDegree() const { return m_degree; }
  /// The modulus q.
  uint64_t GetModulus() const { return m_q; }

  /// Largest supported log2(degree).
  static size_t MaxDegreeBits() { return 20; }
  /// Moduli are below 2^MaxModulusBits().
  static size_t MaxModulusBits() { return 62; }

 private:
  void Init(uint64_t degree, uint64_t q, uint64_t root);

  uint64_t m_degree = 0;
  uint64_t m_q = 0;
  uint64_t m_w = 0;
  std::shared_ptr<AllocatorBase> m_alloc;
  std::shared_ptr<CkksHexlNtt> m_plan;
};

}  // namespace hexl
}  // namespace intel
