// hexl-compat bit-exactness test (issue 22): intel::hexl::NTT and every Eltwise* function
// against straightforward references, for every mod factor combination HEXL accepts, degrees
// 2 .. 2^16, primes of 30 to 61 bits, in place and out of place, plus non-prime moduli for the
// element-wise calls and the documented exceptions for bad input. Exit status 0 and the line
// "hexl-compat test: N checks passed, 0 failed" on success.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ckks_accel.h"
#include "hexl/hexl.hpp"

using u64 = uint64_t;
using u128 = unsigned __int128;
namespace hx = intel::hexl;

static long g_pass = 0, g_fail = 0;

#define EXPECT(cond, ...)                                   \
  do {                                                      \
    if (cond) {                                             \
      ++g_pass;                                             \
    } else {                                                \
      ++g_fail;                                             \
      if (g_fail <= 20) {                                   \
        std::fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
        std::fprintf(stderr, __VA_ARGS__);                  \
        std::fprintf(stderr, "\n");                         \
      }                                                     \
    }                                                       \
  } while (0)

static u64 mulmod(u64 a, u64 b, u64 q) { return (u64)((u128)a * b % q); }
static u64 powmod(u64 b, u64 e, u64 q) {
  u64 r = 1 % q;
  b %= q;
  for (; e; e >>= 1) {
    if (e & 1) r = mulmod(r, b, q);
    b = mulmod(b, b, q);
  }
  return r;
}
static size_t brv(size_t k, int bits) {
  size_t r = 0;
  for (int i = 0; i < bits; ++i) r |= ((k >> i) & 1) << (bits - 1 - i);
  return r;
}

// Cyclic DFT of `a` (natural order in and out) with an n-th root of unity w, by the textbook
// recursive radix-2 split (independent of the library's iterative negacyclic kernels).
static std::vector<u64> dft(const std::vector<u64>& a, u64 w, u64 q) {
  size_t n = a.size();
  if (n == 1) return a;
  std::vector<u64> ev(n / 2), od(n / 2);
  for (size_t i = 0; i < n / 2; ++i) {
    ev[i] = a[2 * i];
    od[i] = a[2 * i + 1];
  }
  u64 w2 = mulmod(w, w, q);
  auto E = dft(ev, w2, q), O = dft(od, w2, q);
  std::vector<u64> out(n);
  u64 t = 1;
  for (size_t m = 0; m < n / 2; ++m) {
    u64 x = mulmod(t, O[m], q);
    out[m] = (E[m] + x) % q;
    out[m + n / 2] = (E[m] + q - x) % q;
    t = mulmod(t, w, q);
  }
  return out;
}

// Reference forward negacyclic NTT: out[k] = Σ_j a_j ψ^(j(2·brv(k)+1)) mod q.
static std::vector<u64> ref_forward(std::vector<u64> a, u64 psi, u64 q) {
  size_t n = a.size();
  int bits = 0;
  while ((size_t(1) << bits) < n) ++bits;
  u64 t = 1;
  for (size_t j = 0; j < n; ++j) {
    a[j] = mulmod(a[j] % q, t, q);
    t = mulmod(t, psi, q);
  }
  auto B = dft(a, mulmod(psi, psi, q), q);
  std::vector<u64> out(n);
  for (size_t k = 0; k < n; ++k) out[k] = B[brv(k, bits)];
  return out;
}

// Reference inverse: the a with ref_forward(a) = x.
static std::vector<u64> ref_inverse(const std::vector<u64>& x, u64 psi, u64 q) {
  size_t n = x.size();
  int bits = 0;
  while ((size_t(1) << bits) < n) ++bits;
  std::vector<u64> B(n);
  for (size_t k = 0; k < n; ++k) B[brv(k, bits)] = x[k] % q;
  u64 psi_inv = powmod(psi, q - 2, q);
  auto b = dft(B, mulmod(psi_inv, psi_inv, q), q);
  u64 n_inv = powmod(n, q - 2, q);
  std::vector<u64> a(n);
  u64 t = n_inv;
  for (size_t j = 0; j < n; ++j) {
    a[j] = mulmod(b[j], t, q);
    t = mulmod(t, psi_inv, q);
  }
  return a;
}

static std::vector<u64> random_vec(std::mt19937_64& rng, size_t n, u64 bound) {
  std::vector<u64> v(n);
  for (auto& x : v) x = bound == 0 ? rng() : rng() % bound;
  return v;
}

static void test_ntt(std::mt19937_64& rng) {
  const unsigned bits_list[] = {30, 40, 50, 52, 55, 60, 61};
  for (unsigned bits : bits_list) {
    u64 q = 0;
    // q ≡ 1 mod 2^17: valid for every degree up to 2^16.
    if (ckks_ntt_primes(bits, 1 << 16, 1, &q, 1) != CKKS_STATUS_OK) {
      EXPECT(false, "ckks_ntt_primes(%u): %s", bits, ckks_last_error());
      continue;
    }
    for (size_t n = 2; n <= (1 << 16); n *= 2) {
      hx::NTT ntt(n, q);
      u64 psi = ntt.GetMinimalRootOfUnity();
      EXPECT(powmod(psi, n, q) == q - 1, "n=%zu q=%llu: root %llu is not primitive", n,
             (unsigned long long)q, (unsigned long long)psi);
      if (n <= 4096) {  // minimality (O(n) per check)
        u64 p2 = mulmod(psi, psi, q), cur = psi, best = psi;
        for (size_t i = 1; i < n; ++i) {
          cur = mulmod(cur, p2, q);
          if (cur < best) best = cur;
        }
        EXPECT(best == psi, "n=%zu q=%llu: root is not minimal", n, (unsigned long long)q);
      }
      const u64 in_f_fwd[] = {1, 2, 4}, out_f_fwd[] = {1, 4};
      const u64 in_f_inv[] = {1, 2}, out_f_inv[] = {1, 2};
      for (u64 fi : in_f_fwd) {
        auto a = random_vec(rng, n, fi * q);
        auto want = ref_forward(a, psi, q);
        for (u64 fo : out_f_fwd) {
          std::vector<u64> out(n);
          ntt.ComputeForward(out.data(), a.data(), fi, fo);
          auto inplace = a;
          ntt.ComputeForward(inplace.data(), inplace.data(), fi, fo);
          bool ok = inplace == out;
          for (size_t i = 0; i < n && ok; ++i) {
            ok = fo == 1 ? out[i] == want[i] : (out[i] < fo * q && out[i] % q == want[i]);
          }
          EXPECT(ok, "forward n=%zu bits=%u in=%llu out=%llu", n, bits,
                 (unsigned long long)fi, (unsigned long long)fo);
        }
      }
      for (u64 fi : in_f_inv) {
        auto x = random_vec(rng, n, fi * q);
        auto want = ref_inverse(x, psi, q);
        for (u64 fo : out_f_inv) {
          std::vector<u64> out(n);
          ntt.ComputeInverse(out.data(), x.data(), fi, fo);
          auto inplace = x;
          ntt.ComputeInverse(inplace.data(), inplace.data(), fi, fo);
          bool ok = inplace == out;
          for (size_t i = 0; i < n && ok; ++i) {
            ok = fo == 1 ? out[i] == want[i] : (out[i] < fo * q && out[i] % q == want[i]);
          }
          EXPECT(ok, "inverse n=%zu bits=%u in=%llu out=%llu", n, bits,
                 (unsigned long long)fi, (unsigned long long)fo);
        }
      }
      // A given (non-minimal) root: ψ^3.
      if (n <= 1024) {
        u64 psi3 = powmod(psi, 3, q);
        hx::NTT other(n, q, psi3);
        EXPECT(other.GetMinimalRootOfUnity() == psi3, "root not kept");
        auto a = random_vec(rng, n, q);
        std::vector<u64> out(n);
        other.ComputeForward(out.data(), a.data(), 1, 1);
        EXPECT(out == ref_forward(a, psi3, q), "forward with root ψ^3, n=%zu", n);
      }
    }
  }
}

template <class F>
static bool throws(F f) {
  try {
    f();
  } catch (const hx::Error& e) {
    return e.status() != 0 && std::string(e.what()).size() > 0;
  } catch (...) {
    return false;
  }
  return false;
}

static bool cmp(hx::CMPINT c, u64 a, u64 b) {
  switch (c) {
    case hx::CMPINT::EQ: return a == b;
    case hx::CMPINT::LT: return a < b;
    case hx::CMPINT::LE: return a <= b;
    case hx::CMPINT::FALSE: return false;
    case hx::CMPINT::NE: return a != b;
    case hx::CMPINT::NLT: return a >= b;
    case hx::CMPINT::NLE: return a > b;
    case hx::CMPINT::TRUE: return true;
  }
  return false;
}

static void test_eltwise(std::mt19937_64& rng) {
  std::vector<u64> moduli;
  for (unsigned bits : {30u, 50u, 55u, 61u}) {
    u64 q;
    if (ckks_ntt_primes(bits, 1 << 10, 1, &q, 1) == CKKS_STATUS_OK) moduli.push_back(q);
  }
  // Non-prime and small moduli (SEAL's plain moduli, e.g. 2^6), and a 62-bit odd composite.
  for (u64 q : {2ull, 3ull, 64ull, 65537ull * 3, (1ull << 61) - 2, (1ull << 62) - 3}) moduli.push_back(q);
  for (size_t n : {1u, 7u, 64u, 1000u, 4096u}) {
    for (u64 q : moduli) {
      auto a = random_vec(rng, n, q), b = random_vec(rng, n, q);
      std::vector<u64> r(n);
      u64 s = rng() % q;
      // Add / Sub, vector-vector and vector-scalar, out of place and in place.
      hx::EltwiseAddMod(r.data(), a.data(), b.data(), n, q);
      bool ok = true;
      for (size_t i = 0; i < n; ++i) ok &= r[i] == (u64)(((u128)a[i] + b[i]) % q);
      EXPECT(ok, "EltwiseAddMod q=%llu n=%zu", (unsigned long long)q, n);
      auto c = a;
      hx::EltwiseSubMod(c.data(), c.data(), b.data(), n, q);
      ok = true;
      for (size_t i = 0; i < n; ++i) ok &= c[i] == (a[i] + q - b[i]) % q;
      EXPECT(ok, "EltwiseSubMod in place q=%llu", (unsigned long long)q);
      c = b;
      hx::EltwiseSubMod(c.data(), a.data(), c.data(), n, q);
      ok = true;
      for (size_t i = 0; i < n; ++i) ok &= c[i] == (a[i] + q - b[i]) % q;
      EXPECT(ok, "EltwiseSubMod result==operand2 q=%llu", (unsigned long long)q);
      c = a;
      hx::EltwiseAddMod(c.data(), c.data(), c.data(), n, q);
      ok = true;
      for (size_t i = 0; i < n; ++i) ok &= c[i] == (u64)(((u128)a[i] + a[i]) % q);
      EXPECT(ok, "EltwiseAddMod all aliased q=%llu", (unsigned long long)q);
      hx::EltwiseAddMod(r.data(), a.data(), s, n, q);
      ok = true;
      for (size_t i = 0; i < n; ++i) ok &= r[i] == (u64)(((u128)a[i] + s) % q);
      EXPECT(ok, "EltwiseAddMod scalar q=%llu", (unsigned long long)q);
      hx::EltwiseSubMod(r.data(), a.data(), s, n, q);
      ok = true;
      for (size_t i = 0; i < n; ++i) ok &= r[i] == (u64)(((u128)a[i] + q - s) % q);
      EXPECT(ok, "EltwiseSubMod scalar q=%llu", (unsigned long long)q);
      // Mult with input factors 1, 2, 4 (where f·q fits in 64 bits).
      for (u64 f : {1ull, 2ull, 4ull}) {
        if ((u128)f * q > ((u128)1 << 64)) continue;
        auto x = random_vec(rng, n, f * q), y = random_vec(rng, n, f * q);
        hx::EltwiseMultMod(r.data(), x.data(), y.data(), n, q, f);
        ok = true;
        for (size_t i = 0; i < n; ++i) ok &= r[i] == mulmod(x[i], y[i], q);
        EXPECT(ok, "EltwiseMultMod q=%llu f=%llu", (unsigned long long)q, (unsigned long long)f);
        auto z = y;
        hx::EltwiseMultMod(z.data(), x.data(), z.data(), n, q, f);
        EXPECT(z == r, "EltwiseMultMod in place q=%llu f=%llu", (unsigned long long)q,
               (unsigned long long)f);
      }
      // FMA with factors 1, 2, 4, 8, with and without addend.
      for (u64 f : {1ull, 2ull, 4ull, 8ull}) {
        if ((u128)f * q > ((u128)1 << 64)) continue;
        auto x = random_vec(rng, n, f * q), z = random_vec(rng, n, f * q);
        u64 w = rng();
        hx::EltwiseFMAMod(r.data(), x.data(), w, nullptr, n, q, f);
        ok = true;
        for (size_t i = 0; i < n; ++i) ok &= r[i] == mulmod(x[i], w % q, q);
        EXPECT(ok, "EltwiseFMAMod null q=%llu f=%llu", (unsigned long long)q, (unsigned long long)f);
        auto xi = x;
        hx::EltwiseFMAMod(xi.data(), xi.data(), w, nullptr, n, q, f);
        EXPECT(xi == r, "EltwiseFMAMod null in place");
        hx::EltwiseFMAMod(r.data(), x.data(), w, z.data(), n, q, f);
        ok = true;
        for (size_t i = 0; i < n; ++i)
          ok &= r[i] == (u64)(((u128)x[i] * (w % q) + z[i]) % q);
        EXPECT(ok, "EltwiseFMAMod q=%llu f=%llu", (unsigned long long)q, (unsigned long long)f);
        auto zi = z;
        hx::EltwiseFMAMod(zi.data(), x.data(), w, zi.data(), n, q, f);
        EXPECT(zi == r, "EltwiseFMAMod result==arg3");
      }
      // Reduce: input factor modulus (any word), 2, 4; output 1, 2.
      {
        auto x = random_vec(rng, n, 0);
        hx::EltwiseReduceMod(r.data(), x.data(), n, q, q, 1);
        ok = true;
        for (size_t i = 0; i < n; ++i) ok &= r[i] == x[i] % q;
        EXPECT(ok, "EltwiseReduceMod any->1 q=%llu", (unsigned long long)q);
        hx::EltwiseReduceMod(x.data(), x.data(), n, q, q, 2);
        EXPECT(x == r, "EltwiseReduceMod any->2 in place");
        for (u64 f : {2ull, 4ull}) {
          if ((u128)f * q > ((u128)1 << 64) || f == q) continue;
          auto y = random_vec(rng, n, f * q);
          for (u64 fo : {1ull, 2ull}) {
            hx::EltwiseReduceMod(r.data(), y.data(), n, q, f, fo);
            ok = true;
            for (size_t i = 0; i < n; ++i) {
              u64 want = fo == 1 ? y[i] % q : (f == 4 ? (y[i] >= 2 * q ? y[i] - 2 * q : y[i]) : y[i]);
              ok &= r[i] == want;
            }
            EXPECT(ok, "EltwiseReduceMod q=%llu %llu->%llu", (unsigned long long)q,
                   (unsigned long long)f, (unsigned long long)fo);
          }
        }
      }
      // CmpAdd / CmpSubMod for every CMPINT.
      for (int ci = 0; ci < 8; ++ci) {
        auto c8 = static_cast<hx::CMPINT>(ci);
        auto x = random_vec(rng, n, 0);
        if (n > 3) x[1] = x[0];
        u64 bound = x[0], diff = rng() % q;
        hx::EltwiseCmpAdd(r.data(), x.data(), n, c8, bound, diff);
        ok = true;
        for (size_t i = 0; i < n; ++i) ok &= r[i] == (cmp(c8, x[i], bound) ? x[i] + diff : x[i]);
        EXPECT(ok, "EltwiseCmpAdd cmp=%d", ci);
        hx::EltwiseCmpSubMod(r.data(), x.data(), n, q, c8, bound, diff);
        ok = true;
        for (size_t i = 0; i < n; ++i) {
          u64 v = x[i] % q;
          ok &= r[i] == (cmp(c8, x[i], bound) ? (v + q - diff) % q : v);
        }
        EXPECT(ok, "EltwiseCmpSubMod cmp=%d q=%llu", ci, (unsigned long long)q);
        EXPECT(hx::Not(hx::Not(c8)) == c8 && cmp(hx::Not(c8), 5, 7) == !cmp(c8, 5, 7),
               "Not(cmp=%d)", ci);
      }
    }
  }
}

static void test_errors() {
  u64 q = 0;
  ckks_ntt_primes(50, 1024, 1, &q, 1);
  std::vector<u64> a(1024, 1), r(1024);
  // Construction: bad degree, non-prime / non-NTT-friendly modulus, wrong root.
  EXPECT(throws([&] { hx::NTT(1000, q); }), "degree 1000");
  EXPECT(throws([&] { hx::NTT(1, q); }), "degree 1");
  EXPECT(throws([&] { hx::NTT(1024, q + 2); }), "non-prime");
  EXPECT(throws([&] { hx::NTT(1024, 1000003); }), "q not 1 mod 2n");
  EXPECT(throws([&] { hx::NTT(1024, q, u64{3}); }), "wrong root");
  EXPECT(throws([&] { hx::NTT(4, q, u64{5}); }), "wrong root, small n");
  EXPECT(!hx::NTT::CheckArguments(1024, q + 2) && hx::NTT::CheckArguments(1024, q),
         "CheckArguments");
  hx::NTT ntt(1024, q);
  // Transforms: bad factors, null pointers, out-of-range input, empty NTT.
  EXPECT(throws([&] { ntt.ComputeForward(r.data(), a.data(), 3, 1); }), "fwd in factor 3");
  EXPECT(throws([&] { ntt.ComputeForward(r.data(), a.data(), 1, 2); }), "fwd out factor 2");
  EXPECT(throws([&] { ntt.ComputeInverse(r.data(), a.data(), 4, 1); }), "inv in factor 4");
  EXPECT(throws([&] { ntt.ComputeInverse(r.data(), a.data(), 1, 4); }), "inv out factor 4");
  EXPECT(throws([&] { ntt.ComputeForward(nullptr, a.data(), 1, 1); }), "null result");
  EXPECT(throws([&] { ntt.ComputeForward(r.data(), nullptr, 1, 1); }), "null operand");
  a[7] = 4 * q;
  EXPECT(throws([&] { ntt.ComputeForward(r.data(), a.data(), 4, 1); }), "input >= 4q");
  a[7] = 2 * q;
  EXPECT(throws([&] { ntt.ComputeInverse(r.data(), a.data(), 2, 1); }), "input >= 2q");
  EXPECT(throws([&] { ntt.ComputeForward(r.data() + 1, r.data(), 1, 1); }), "partial overlap");
  hx::NTT empty;
  EXPECT(throws([&] { empty.ComputeForward(r.data(), a.data(), 1, 1); }), "empty NTT");
  a[7] = q;
  EXPECT(throws([&] { hx::EltwiseAddMod(r.data(), a.data(), a.data(), 1024, q); }), "add range");
  EXPECT(throws([&] { hx::EltwiseAddMod(r.data(), r.data(), q, 1024, q); }), "scalar >= q");
  EXPECT(throws([&] { hx::EltwiseAddMod(r.data(), r.data(), r.data(), 4, 1); }), "modulus 1");
  EXPECT(throws([&] { hx::EltwiseMultMod(r.data(), r.data(), r.data(), 4, q, 3); }), "mult f=3");
  EXPECT(throws([&] { hx::EltwiseMultMod(r.data(), nullptr, r.data(), 4, q, 1); }), "mult null");
  EXPECT(throws([&] { hx::EltwiseFMAMod(r.data(), r.data(), 1, nullptr, 4, q, 16); }), "fma f=16");
  EXPECT(throws([&] { hx::EltwiseReduceMod(r.data(), r.data(), 4, q, 3, 1); }), "reduce in 3");
  EXPECT(throws([&] { hx::EltwiseReduceMod(r.data(), r.data(), 4, q, 2, 4); }), "reduce out 4");
  EXPECT(throws([&] { hx::EltwiseCmpAdd(r.data(), r.data(), 4, static_cast<hx::CMPINT>(9), 0, 1); }),
         "cmp 9");
  // Mult / FMA accept any word and reduce it exactly (SEAL: 70 with modulus 5, factor 8).
  {
    u64 x[3] = {70, 3, ~0ull}, y[3];
    hx::EltwiseFMAMod(y, x, 3, nullptr, 3, 5, 8);
    EXPECT(y[0] == 0 && y[1] == 4 && y[2] == (~0ull % 5) * 3 % 5, "FMA beyond 8q");
    hx::EltwiseMultMod(y, x, x, 3, 5, 4);
    EXPECT(y[0] == 0 && y[1] == 4 && y[2] == mulmod(~0ull, ~0ull, 5), "Mult beyond 4q");
  }
  // n = 0 is a no-op, even with null pointers (HEXL release builds do nothing).
  hx::EltwiseAddMod(nullptr, nullptr, nullptr, 0, q);
  hx::EltwiseReduceMod(nullptr, nullptr, 0, q, q, 1);
  ++g_pass;
  // AlignedVector64 storage is 64-byte aligned.
  hx::AlignedVector64<u64> v(1000, 3);
  EXPECT(reinterpret_cast<uintptr_t>(v.data()) % 64 == 0 && v[999] == 3, "AlignedVector64");
}

// One NTT object (and its copies, which share the plan) used from 4 threads at once, as SEAL's
// shared NTT cache is: every thread's transforms equal the single-threaded ones.
static void test_threads(std::mt19937_64& rng) {
  u64 q = 0;
  ckks_ntt_primes(50, 4096, 1, &q, 1);
  hx::NTT ntt(4096, q);
  auto a = random_vec(rng, 4096, q);
  std::vector<u64> want(4096);
  ntt.ComputeForward(want.data(), a.data(), 1, 1);
  std::vector<int> ok(4, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      hx::NTT mine = ntt;  // a copy shares the plan
      std::vector<u64> x(4096), y(4096);
      for (int rep = 0; rep < 200; ++rep) {
        mine.ComputeForward(x.data(), a.data(), 1, 1);
        mine.ComputeInverse(y.data(), x.data(), 1, 1);
        if (x != want || y != a) ok[t] = 0;
        u64 s = 5;
        hx::EltwiseMultMod(y.data(), x.data(), x.data(), 4096, q, 1);
        hx::EltwiseAddMod(y.data(), y.data(), s, 4096, q);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT(ok[t] == 1, "thread %d saw a wrong transform", t);
}

int main() {
  std::mt19937_64 rng(22);
  test_errors();
  test_eltwise(rng);
  test_ntt(rng);
  test_threads(rng);
  std::printf("hexl-compat test: %ld checks passed, %ld failed\n", g_pass, g_fail);
  return g_fail == 0 ? 0 : 1;
}
