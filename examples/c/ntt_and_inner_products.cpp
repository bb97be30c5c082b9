/*
 * ckks-accel from C++: RAII wrappers over the C handles; (1) a negacyclic product of two
 * polynomials over a 3-prime RNS basis through the NTT (all limbs in one call) checked against
 * the schoolbook product; (2) a batch of encrypted inner products with explicit parameters and a
 * hoisted radix-4 sum, checked against plain doubles.
 *
 *   cargo build --release -p ckks-accel-capi
 *   c++ -O2 -std=c++17 -Icapi/include examples/c/ntt_and_inner_products.cpp \
 *       target/release/libckks_accel.a -lpthread -ldl -lm -o target/cpp_example
 *   ./target/cpp_example
 */
#include "ckks_accel.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace ckks {

struct Error : std::runtime_error {
  CkksStatus status;
  Error(CkksStatus s, const std::string &what) : std::runtime_error(what), status(s) {}
};

inline void check(CkksStatus s, const char *call) {
  if (s != CKKS_STATUS_OK)
    throw Error(s, std::string(call) + ": " + ckks_status_name(s) + ": " + ckks_last_error());
}
#define CK(call) ::ckks::check((call), #call)

// unique_ptr with the matching *_free as deleter.
template <class T, CkksStatus (*Free)(T *)> struct Deleter {
  void operator()(T *p) const { Free(p); }
};
template <class T, CkksStatus (*Free)(T *)> using Handle = std::unique_ptr<T, Deleter<T, Free>>;

using NttPlan = Handle<CkksNttPlan, ckks_ntt_plan_free>;
using Basis = Handle<CkksRnsBasis, ckks_rns_basis_free>;
using Context = Handle<CkksContext, ckks_context_free>;
using KeyGen = Handle<CkksKeyGenerator, ckks_keygen_free>;
using SecretKey = Handle<CkksSecretKey, ckks_secret_key_free>;
using RelinKey = Handle<CkksRelinKey, ckks_relin_key_free>;
using GaloisKeys = Handle<CkksGaloisKeys, ckks_galois_keys_free>;
using Evaluator = Handle<CkksEvaluator, ckks_evaluator_free>;
using Engine = Handle<CkksEngine, ckks_engine_free>;
using Encryptor = Handle<CkksEncryptor, ckks_encryptor_free>;
using Decryptor = Handle<CkksDecryptor, ckks_decryptor_free>;
using Plaintext = Handle<CkksPlaintext, ckks_plaintext_free>;
using Ciphertext = Handle<CkksCiphertext, ckks_ciphertext_free>;

template <class H, class F> H make(F &&create) {
  typename H::pointer raw = nullptr;
  create(&raw);
  return H(raw);
}

}  // namespace ckks

static bool rns_ntt_product() {
  const size_t n = 2048, limbs = 3;
  std::vector<uint64_t> q(limbs);
  CK(ckks_ntt_primes(40, n, limbs, q.data(), q.size()));
  auto basis = ckks::make<ckks::Basis>([&](CkksRnsBasis **o) { CK(ckks_rns_basis_create(n, q.data(), limbs, o)); });

  std::mt19937_64 rng(1);
  std::vector<uint64_t> a(limbs * n), b(limbs * n), want(limbs * n, 0), c(limbs * n);
  for (size_t l = 0; l < limbs; l++)
    for (size_t i = 0; i < n; i++) {
      a[l * n + i] = rng() % q[l];
      b[l * n + i] = rng() % q[l];
    }
  for (size_t l = 0; l < limbs; l++)
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++) {
        uint64_t p = (uint64_t)((unsigned __int128)a[l * n + i] * b[l * n + j] % q[l]);
        uint64_t &w = want[l * n + (i + j) % n];
        w = (i + j < n) ? (w + p) % q[l] : (w + q[l] - p) % q[l];
      }
  // All limbs at once: forward (lazy [0, 4q) out, then reduced), product, inverse in place.
  CK(ckks_rns_ntt_forward(basis.get(), a.data(), a.data(), a.size(), 1, 4));
  CK(ckks_rns_ntt_forward(basis.get(), b.data(), b.data(), b.size(), 1, 1));
  CK(ckks_eltwise_reduce(basis.get(), a.data(), a.size(), 4));
  CK(ckks_eltwise_mul(basis.get(), a.data(), b.data(), c.data(), c.size()));
  CK(ckks_rns_ntt_inverse(basis.get(), c.data(), c.data(), c.size(), 1, 1));
  bool ok = c == want;

  // Data reduced modulo another prime than the basis' is caught by the range check.
  std::vector<uint64_t> wrong(n, q[0] * 4 + 1);  // e.g. residues of a larger prime
  CkksStatus st = ckks_rns_ntt_forward(basis.get(), wrong.data(), wrong.data(), n, 4, 1);
  bool caught = st == CKKS_STATUS_OUT_OF_RANGE;
  std::printf("rns ntt: n = %zu, %zu limbs of 40 bits: negacyclic product == schoolbook: %s; "
              "out-of-range input refused: %s\n",
              n, limbs, ok ? "yes" : "NO", caught ? "yes" : "NO");
  return ok && caught;
}

static bool inner_products() {
  const size_t dim = 32, k = 6;
  const uint32_t q_bits[] = {55, 40, 40}, p_bits[] = {56};
  // Toy size so the example runs in a blink: explicitly insecure (use CKKS_PRESET_S for real).
  auto ctx = ckks::make<ckks::Context>([&](CkksContext **o) {
    CK(ckks_context_create(1 << 12, q_bits, 3, p_bits, 1, 3, 40, /*allow_insecure=*/1, o));
  });
  size_t max_level = 0;
  CK(ckks_context_info(ctx.get(), nullptr, nullptr, &max_level, nullptr));
  auto kg = ckks::make<ckks::KeyGen>([&](CkksKeyGenerator **o) { CK(ckks_keygen_create(ctx.get(), o)); });
  auto sk = ckks::make<ckks::SecretKey>([&](CkksSecretKey **o) { CK(ckks_keygen_secret_key(kg.get(), o)); });
  auto rlk = ckks::make<ckks::RelinKey>([&](CkksRelinKey **o) { CK(ckks_keygen_relin_key(kg.get(), sk.get(), o)); });
  uint32_t kind = 0;
  size_t radix = 0;
  auto gk = ckks::make<ckks::GaloisKeys>([&](CkksGaloisKeys **o) {
    CK(ckks_keygen_sum_keys(kg.get(), sk.get(), CKKS_SUM_HOISTED, 4, dim, max_level - 1, o, &kind, &radix));
  });
  auto eval = ckks::make<ckks::Evaluator>([&](CkksEvaluator **o) { CK(ckks_evaluator_create(ctx.get(), rlk.get(), gk.get(), o)); });
  auto engine = ckks::make<ckks::Engine>([&](CkksEngine **o) { CK(ckks_engine_create(eval.get(), 2, kind, radix, dim, o)); });
  auto enc = ckks::make<ckks::Encryptor>([&](CkksEncryptor **o) { CK(ckks_encryptor_create_symmetric(ctx.get(), sk.get(), o)); });
  auto dec = ckks::make<ckks::Decryptor>([&](CkksDecryptor **o) { CK(ckks_decryptor_create(ctx.get(), sk.get(), o)); });

  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<ckks::Ciphertext> xs, ys;
  std::vector<const CkksCiphertext *> px, py;
  std::vector<double> want(k, 0.0);
  auto encrypt = [&](const std::vector<double> &v) {
    auto pt = ckks::make<ckks::Plaintext>([&](CkksPlaintext **o) { CK(ckks_encode(ctx.get(), v.data(), v.size(), 0, SIZE_MAX, o)); });
    return ckks::make<ckks::Ciphertext>([&](CkksCiphertext **o) { CK(ckks_encrypt(enc.get(), pt.get(), o)); });
  };
  for (size_t j = 0; j < k; j++) {
    std::vector<double> x(dim), y(dim);
    for (size_t i = 0; i < dim; i++) {
      x[i] = u(rng);
      y[i] = u(rng);
      want[j] += x[i] * y[i];
    }
    xs.push_back(encrypt(x));
    ys.push_back(encrypt(y));
    px.push_back(xs.back().get());
    py.push_back(ys.back().get());
  }
  std::vector<CkksCiphertext *> raw(k, nullptr);
  CK(ckks_engine_run(engine.get(), px.data(), py.data(), k, dim, raw.data()));
  double max_err = 0;
  for (size_t j = 0; j < k; j++) {
    ckks::Ciphertext r(raw[j]);
    auto pt = ckks::make<ckks::Plaintext>([&](CkksPlaintext **o) { CK(ckks_decrypt(dec.get(), r.get(), o)); });
    double slot0 = 0;
    size_t slots = 0;
    CK(ckks_decode(ctx.get(), pt.get(), &slot0, 1, &slots));
    max_err = std::fmax(max_err, std::fabs(slot0 - want[j]));
  }
  // Errors arrive as exceptions with the library's message.
  bool threw = false;
  try {
    CK(ckks_engine_run(engine.get(), px.data(), py.data(), k, dim / 2, raw.data()));
  } catch (const ckks::Error &e) {
    threw = true;
    std::printf("engine with the wrong dim refused: %s\n", e.what());
  }
  bool ok = max_err < 1e-4;
  std::printf("ckks: n = 4096 (toy), %zu encrypted inner products of dim %zu on 2 threads, sum %s "
              "radix %zu: max |error| = %.3g vs plain doubles: %s\n",
              k, dim, kind == CKKS_SUM_HOISTED ? "hoisted" : "tree", radix, max_err,
              ok ? "verified" : "FAILED");
  return ok && threw;
}

int main() {
  try {
    bool ok = rns_ntt_product();
    ok = inner_products() && ok;
    std::printf("%s\n", ok ? "ALL VERIFIED" : "FAILURES");
    return ok ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
