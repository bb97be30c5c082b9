// The calls an OpenFHE-style client makes through the installed package: an NTT on a given
// root, CMPINT-conditional add / modular subtract, FMA with an addend, AlignedVector64.
// Prints "hexl consumer: OK" when every result matches its definition.
#include <cstdio>

#include "hexl/hexl.hpp"

int main() {
  using intel::hexl::CMPINT;
  const uint64_t n = 1024, q = 0x3fffffff000001;  // a 54-bit prime, q ≡ 1 mod 2^24
  intel::hexl::NTT plain(n, q);
  uint64_t root = plain.GetMinimalRootOfUnity();
  intel::hexl::NTT ntt(n, q, intel::hexl::PowMod(root, 5, q));
  intel::hexl::AlignedVector64<uint64_t> a(n), b(n), c(n);
  for (uint64_t i = 0; i < n; ++i) a[i] = (i * 977 + 1) % q;
  ntt.ComputeForward(b.data(), a.data(), 1, 1);
  ntt.ComputeInverse(c.data(), b.data(), 1, 1);
  bool ok = c == a && ntt.GetDegree() == n && ntt.GetModulus() == q;
  intel::hexl::EltwiseCmpAdd(b.data(), a.data(), n, CMPINT::NLT, q / 2, 7);
  intel::hexl::EltwiseCmpSubMod(c.data(), a.data(), n, q, CMPINT::LT, 100, 3);
  for (uint64_t i = 0; i < n; ++i) {
    ok &= b[i] == (a[i] >= q / 2 ? a[i] + 7 : a[i]);
    ok &= c[i] == (a[i] < 100 ? (a[i] + q - 3) % q : a[i]);
  }
  intel::hexl::EltwiseFMAMod(c.data(), a.data(), 3, a.data(), n, q, 1);
  for (uint64_t i = 0; i < n; ++i) ok &= c[i] == intel::hexl::MultiplyMod(a[i], 4, q);
  std::printf("hexl consumer: %s\n", ok ? "OK" : "WRONG");
  return ok ? 0 : 1;
}
