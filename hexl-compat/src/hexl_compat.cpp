// ckks-accel hexl-compat: the out-of-line part of intel::hexl, every call forwarded to the
// ckks-accel C ABI (ckks_hexl_* in ckks_accel.h). A failing call throws intel::hexl::Error
// with the library's status and message.
#include <string>

#include "ckks_accel.h"
#include "hexl/hexl.hpp"

namespace intel {
namespace hexl {

AllocatorStrategyPtr mallocStrategy = std::make_shared<MallocStrategy>();

namespace {

// Throws intel::hexl::Error unless `s` is CKKS_STATUS_OK.
inline void check(CkksStatus s, const char* what) {
  if (s != CKKS_STATUS_OK) {
    throw Error(static_cast<int>(s), std::string(what) + ": " + ckks_last_error());
  }
}

}  // namespace

NTT::NTT(uint64_t degree, uint64_t q, std::shared_ptr<AllocatorBase> alloc_ptr)
    : m_alloc(std::move(alloc_ptr)) {
  Init(degree, q, 0);
}

NTT::NTT(uint64_t degree, uint64_t q, uint64_t root_of_unity,
         std::shared_ptr<AllocatorBase> alloc_ptr)
    : m_alloc(std::move(alloc_ptr)) {
  if (root_of_unity == 0) {
    throw Error(CKKS_STATUS_INVALID_ARGUMENT, "intel::hexl::NTT: root_of_unity is 0");
  }
  Init(degree, q, root_of_unity);
}

void NTT::Init(uint64_t degree, uint64_t q, uint64_t root) {
  CkksHexlNtt* raw = nullptr;
  check(ckks_hexl_ntt_create(degree, q, root, &raw), "intel::hexl::NTT");
  m_plan = std::shared_ptr<CkksHexlNtt>(raw, [](CkksHexlNtt* p) { ckks_hexl_ntt_free(p); });
  check(ckks_hexl_ntt_root(raw, &m_w), "intel::hexl::NTT");
  m_degree = degree;
  m_q = q;
}

bool NTT::CheckArguments(uint64_t degree, uint64_t modulus) {
  CkksHexlNtt* raw = nullptr;
  if (ckks_hexl_ntt_create(degree, modulus, 0, &raw) != CKKS_STATUS_OK) return false;
  ckks_hexl_ntt_free(raw);
  return true;
}

void NTT::ComputeForward(uint64_t* result, const uint64_t* operand,
                         uint64_t input_mod_factor, uint64_t output_mod_factor) {
  if (!m_plan) {
    throw Error(CKKS_STATUS_INVALID_HANDLE, "NTT::ComputeForward on a default-constructed NTT");
  }
  check(ckks_hexl_ntt_forward(m_plan.get(), result, operand, m_degree, input_mod_factor,
                              output_mod_factor),
        "NTT::ComputeForward");
}

void NTT::ComputeInverse(uint64_t* result, const uint64_t* operand,
                         uint64_t input_mod_factor, uint64_t output_mod_factor) {
  if (!m_plan) {
    throw Error(CKKS_STATUS_INVALID_HANDLE, "NTT::ComputeInverse on a default-constructed NTT");
  }
  check(ckks_hexl_ntt_inverse(m_plan.get(), result, operand, m_degree, input_mod_factor,
                              output_mod_factor),
        "NTT::ComputeInverse");
}

void EltwiseAddMod(uint64_t* result, const uint64_t* operand1, const uint64_t* operand2,
                   uint64_t n, uint64_t modulus) {
  check(ckks_hexl_eltwise_add_mod(result, operand1, operand2, n, modulus), "EltwiseAddMod");
}

void EltwiseAddMod(uint64_t* result, const uint64_t* operand1, uint64_t operand2, uint64_t n,
                   uint64_t modulus) {
  check(ckks_hexl_eltwise_add_scalar_mod(result, operand1, operand2, n, modulus),
        "EltwiseAddMod");
}

void EltwiseSubMod(uint64_t* result, const uint64_t* operand1, const uint64_t* operand2,
                   uint64_t n, uint64_t modulus) {
  check(ckks_hexl_eltwise_sub_mod(result, operand1, operand2, n, modulus), "EltwiseSubMod");
}

void EltwiseSubMod(uint64_t* result, const uint64_t* operand1, uint64_t operand2, uint64_t n,
                   uint64_t modulus) {
  check(ckks_hexl_eltwise_sub_scalar_mod(result, operand1, operand2, n, modulus),
        "EltwiseSubMod");
}

void EltwiseMultMod(uint64_t* result, const uint64_t* operand1, const uint64_t* operand2,
                    uint64_t n, uint64_t modulus, uint64_t input_mod_factor) {
  check(ckks_hexl_eltwise_mult_mod(result, operand1, operand2, n, modulus, input_mod_factor),
        "EltwiseMultMod");
}

void EltwiseFMAMod(uint64_t* result, const uint64_t* arg1, uint64_t arg2, const uint64_t* arg3,
                   uint64_t n, uint64_t modulus, uint64_t input_mod_factor) {
  check(ckks_hexl_eltwise_fma_mod(result, arg1, arg2, arg3, n, modulus, input_mod_factor),
        "EltwiseFMAMod");
}

void EltwiseReduceMod(uint64_t* result, const uint64_t* operand, uint64_t n, uint64_t modulus,
                      uint64_t input_mod_factor, uint64_t output_mod_factor) {
  check(ckks_hexl_eltwise_reduce_mod(result, operand, n, modulus, input_mod_factor,
                                     output_mod_factor),
        "EltwiseReduceMod");
}

void EltwiseCmpAdd(uint64_t* result, const uint64_t* operand1, uint64_t n, CMPINT cmp,
                   uint64_t bound, uint64_t diff) {
  check(ckks_hexl_eltwise_cmp_add(result, operand1, n, static_cast<uint32_t>(cmp), bound, diff),
        "EltwiseCmpAdd");
}

void EltwiseCmpSubMod(uint64_t* result, const uint64_t* operand1, uint64_t n, uint64_t modulus,
                      CMPINT cmp, uint64_t bound, uint64_t diff) {
  check(ckks_hexl_eltwise_cmp_sub_mod(result, operand1, n, modulus, static_cast<uint32_t>(cmp),
                                      bound, diff),
        "EltwiseCmpSubMod");
}

}  // namespace hexl
}  // namespace intel
