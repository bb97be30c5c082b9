// hexl-compat overhead check (issue 22 target: the C++ layer adds ≤ 3% to an n = 2^12 NTT over
// the direct Rust call). Prints the median time of intel::hexl::NTT::ComputeForward /
// ComputeInverse (in place, fully reduced, 50-bit prime) with the C ABI's input range check on
// and off; compare with `ckks-accel bench ntt --n 4096 --bits 50 --no-peer` (the Rust plan
// called directly) in the same sitting. Usage: bench_ntt_overhead [n] [bits]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "ckks_accel.h"
#include "hexl/hexl.hpp"

template <class F>
static double median_us(F f, int batches = 31, int reps = 200) {
  std::vector<double> t;
  for (int b = 0; b < batches; ++b) {
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) f();
    auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / reps);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4096;
  unsigned bits = argc > 2 ? static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10)) : 50;
  uint64_t q = 0;
  if (ckks_ntt_primes(bits, n, 1, &q, 1) != CKKS_STATUS_OK) {
    std::fprintf(stderr, "%s\n", ckks_last_error());
    return 1;
  }
  intel::hexl::NTT ntt(n, q);
  intel::hexl::AlignedVector64<uint64_t> a(n);  // 64-byte aligned, as the Rust bench's buffers
  for (size_t i = 0; i < n; ++i) a[i] = (i * 7919 + 3) % q;
  for (int checks = 1; checks >= 0; --checks) {
    ckks_set_input_checks(checks);
    double fwd = median_us([&] { ntt.ComputeForward(a.data(), a.data(), 1, 1); });
    double inv = median_us([&] { ntt.ComputeInverse(a.data(), a.data(), 1, 1); });
    std::printf("n=%zu q=%llu (%u bits) input checks %s: forward %.3f us, inverse %.3f us\n", n,
                (unsigned long long)q, bits, checks ? "on " : "off", fwd, inv);
  }
  return 0;
}
