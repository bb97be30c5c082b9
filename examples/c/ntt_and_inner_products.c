/*
 * ckks-accel from C: (1) a negacyclic product through the NTT checked against the schoolbook
 * product, also on a caller-chosen root and with the lazy ranges; (2) a batch of encrypted inner
 * products (parameter set S) run on the parallel engine and checked against plain doubles.
 *
 *   cargo build --release -p ckks-accel-capi
 *   cc -O2 -std=c11 -Icapi/include examples/c/ntt_and_inner_products.c \
 *      target/release/libckks_accel.a -lpthread -ldl -lm -o target/c_example
 *   ./target/c_example
 */
#include "ckks_accel.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                     \
  do {                                                                                  \
    CkksStatus st_ = (call);                                                            \
    if (st_ != CKKS_STATUS_OK) {                                                        \
      fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #call,          \
              ckks_status_name(st_), ckks_last_error());                                \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t q) {
  return (uint64_t)(((unsigned __int128)a * b) % q);
}

/* c = a·b in Z_q[X]/(X^n + 1), O(n^2). */
static void schoolbook(const uint64_t *a, const uint64_t *b, uint64_t *c, size_t n, uint64_t q) {
  memset(c, 0, n * sizeof *c);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      uint64_t p = mulmod(a[i], b[j], q);
      size_t k = i + j;
      if (k < n) c[k] = (c[k] + p) % q;
      else c[k - n] = (c[k - n] + q - p) % q; /* X^n = -1 */
    }
}

static uint64_t next_rand(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int ntt_product(void) {
  const size_t n = 1024;
  uint64_t q, root, psi3;
  CHECK(ckks_ntt_primes(50, n, 1, &q, 1));
  CkksNttPlan *plan;
  CHECK(ckks_ntt_plan_create(n, q, &plan));
  const char *isa;
  CHECK(ckks_ntt_plan_info(plan, NULL, NULL, &root, &isa));
  CkksRnsBasis *basis;
  CHECK(ckks_rns_basis_create(n, &q, 1, &basis));

  uint64_t *a = malloc(n * 8), *b = malloc(n * 8), *fa = malloc(n * 8), *fb = malloc(n * 8),
           *c = malloc(n * 8), *want = malloc(n * 8);
  uint64_t seed = 42;
  for (size_t i = 0; i < n; i++) { a[i] = next_rand(&seed) % q; b[i] = next_rand(&seed) % q; }
  schoolbook(a, b, want, n, q);

  /* Out of place forward, point-wise product, in-place inverse. */
  CHECK(ckks_ntt_forward(plan, a, fa, n, 1, 1));
  CHECK(ckks_ntt_forward(plan, b, fb, n, 1, 1));
  CHECK(ckks_eltwise_mul(basis, fa, fb, c, n));
  CHECK(ckks_ntt_inverse(plan, c, c, n, 1, 1));
  int ok = memcmp(c, want, n * 8) == 0;

  /* The same on another primitive root (psi^3), lazy forward outputs reduced explicitly. */
  psi3 = mulmod(mulmod(root, root, q), root, q);
  CkksNttPlan *plan3;
  CHECK(ckks_ntt_plan_create_with_root(n, q, psi3, &plan3));
  CHECK(ckks_ntt_forward(plan3, a, fa, n, 1, 4));
  CHECK(ckks_ntt_forward(plan3, b, fb, n, 1, 4));
  CHECK(ckks_eltwise_reduce(basis, fa, n, 4));
  CHECK(ckks_eltwise_reduce(basis, fb, n, 4));
  CHECK(ckks_eltwise_mul(basis, fa, fb, c, n));
  CHECK(ckks_ntt_inverse(plan3, c, c, n, 1, 1));
  int ok3 = memcmp(c, want, n * 8) == 0;

  /* A root of order n (psi^2) is refused with a status and a message. */
  CkksNttPlan *bad = NULL;
  CkksStatus st = ckks_ntt_plan_create_with_root(n, q, mulmod(root, root, q), &bad);
  int refused = st == CKKS_STATUS_INVALID_ARGUMENT && bad == NULL;

  printf("ntt: n = %zu, q = %llu (%s), psi = %llu: negacyclic product == schoolbook: %s; "
         "with psi^3 and lazy ranges: %s; psi^2 refused: %s (%s)\n",
         n, (unsigned long long)q, isa, (unsigned long long)root, ok ? "yes" : "NO",
         ok3 ? "yes" : "NO", refused ? "yes" : "NO", ckks_last_error());
  CHECK(ckks_ntt_plan_free(plan));
  CHECK(ckks_ntt_plan_free(plan3));
  CHECK(ckks_rns_basis_free(basis));
  free(a); free(b); free(fa); free(fb); free(c); free(want);
  return ok && ok3 && refused;
}

static int inner_products(void) {
  enum { K = 8, DIM = 64 };
  CkksContext *ctx;
  CHECK(ckks_context_create_preset(CKKS_PRESET_S, &ctx));
  size_t n, slots, max_level;
  CHECK(ckks_context_info(ctx, &n, &slots, &max_level, NULL));

  CkksKeyGenerator *kg;
  CkksSecretKey *sk;
  CkksPublicKey *pk;
  CkksRelinKey *rlk;
  CkksGaloisKeys *gk;
  uint32_t sum_kind;
  size_t radix;
  CHECK(ckks_keygen_create(ctx, &kg));
  CHECK(ckks_keygen_secret_key(kg, &sk));
  CHECK(ckks_keygen_public_key(kg, sk, &pk));
  CHECK(ckks_keygen_relin_key(kg, sk, &rlk));
  /* Let the calibrated cost model pick the inner-sum method; keys for exactly that method. */
  CHECK(ckks_keygen_sum_keys(kg, sk, CKKS_SUM_AUTO, 0, DIM, max_level - 1, &gk, &sum_kind, &radix));

  CkksEvaluator *eval;
  CHECK(ckks_evaluator_create(ctx, rlk, gk, &eval));
  CkksEngine *engine;
  CHECK(ckks_engine_create(eval, 0, sum_kind, radix, DIM, &engine));
  CkksEncryptor *enc;
  CkksDecryptor *dec;
  CHECK(ckks_encryptor_create(ctx, pk, &enc));
  CHECK(ckks_decryptor_create(ctx, sk, &dec));

  double x[K][DIM], y[K][DIM], want[K];
  const CkksCiphertext *cx[K], *cy[K];
  CkksCiphertext *out[K];
  uint64_t seed = 7;
  for (int k = 0; k < K; k++) {
    want[k] = 0;
    for (int i = 0; i < DIM; i++) {
      x[k][i] = (double)(next_rand(&seed) >> 11) / 9007199254740992.0 * 2 - 1;
      y[k][i] = (double)(next_rand(&seed) >> 11) / 9007199254740992.0 * 2 - 1;
      want[k] += x[k][i] * y[k][i];
    }
    CkksPlaintext *px, *py;
    CkksCiphertext *tx, *ty;
    CHECK(ckks_encode(ctx, x[k], DIM, 0, SIZE_MAX, &px));
    CHECK(ckks_encode(ctx, y[k], DIM, 0, SIZE_MAX, &py));
    CHECK(ckks_encrypt(enc, px, &tx));
    CHECK(ckks_encrypt(enc, py, &ty));
    cx[k] = tx;
    cy[k] = ty;
    CHECK(ckks_plaintext_free(px));
    CHECK(ckks_plaintext_free(py));
  }
  CHECK(ckks_engine_run(engine, cx, cy, K, DIM, out));

  double max_err = 0;
  double *slots_out = malloc(slots * sizeof(double));
  for (int k = 0; k < K; k++) {
    CkksPlaintext *pt;
    size_t written;
    CHECK(ckks_decrypt(dec, out[k], &pt));
    CHECK(ckks_decode(ctx, pt, slots_out, slots, &written));
    double err = fabs(slots_out[0] - want[k]);
    if (err > max_err) max_err = err;
    CHECK(ckks_plaintext_free(pt));
  }
  /* Serialization round trip of one result. */
  size_t size = 0;
  CkksStatus st = ckks_ciphertext_serialize(out[0], NULL, 0, &size);
  int sized = st == CKKS_STATUS_BUFFER_TOO_SMALL && size > 0;
  uint8_t *bytes = malloc(size);
  CHECK(ckks_ciphertext_serialize(out[0], bytes, size, &size));
  CkksCiphertext *back;
  CHECK(ckks_ciphertext_deserialize(ctx, bytes, size, &back));
  size_t level;
  CHECK(ckks_ciphertext_info(back, &level, NULL, NULL));

  int ok = max_err < 1e-4 && sized;
  printf("ckks: set S (n = %zu, %zu slots), %d encrypted inner products of dim %d, sum %s "
         "(radix %zu): max |error| = %.3g vs plain doubles: %s; serialized %zu bytes, level %zu\n",
         n, slots, K, DIM, sum_kind == CKKS_SUM_TREE ? "tree" : "hoisted", radix, max_err,
         ok ? "verified" : "FAILED", size, level);

  for (int k = 0; k < K; k++) {
    CHECK(ckks_ciphertext_free((CkksCiphertext *)cx[k]));
    CHECK(ckks_ciphertext_free((CkksCiphertext *)cy[k]));
    CHECK(ckks_ciphertext_free(out[k]));
  }
  /* A freed handle is detected, not dereferenced. */
  st = ckks_ciphertext_free(out[0]);
  int detected = st == CKKS_STATUS_INVALID_HANDLE;
  printf("double free detected: %s (%s)\n", detected ? "yes" : "NO", ckks_last_error());
  CHECK(ckks_ciphertext_free(back));
  free(bytes);
  free(slots_out);
  CHECK(ckks_engine_free(engine));
  CHECK(ckks_evaluator_free(eval));
  CHECK(ckks_encryptor_free(enc));
  CHECK(ckks_decryptor_free(dec));
  CHECK(ckks_galois_keys_free(gk));
  CHECK(ckks_relin_key_free(rlk));
  CHECK(ckks_public_key_free(pk));
  CHECK(ckks_secret_key_free(sk));
  CHECK(ckks_keygen_free(kg));
  CHECK(ckks_context_free(ctx));
  return ok && detected;
}

/* The planned batch (the main job's path): a calibrated plan and exactly its keys, the batch
 * encrypted from two k x dim row-major arrays, one relinearization per group, k doubles back. */
static int planned_batch(void) {
  enum { K = 64, DIM = 256 };
  CkksContext *ctx;
  CHECK(ckks_context_create_preset(CKKS_PRESET_S, &ctx));
  CkksKeyGenerator *kg;
  CkksSecretKey *sk;
  CkksPublicKey *pk;
  CHECK(ckks_keygen_create(ctx, &kg));
  CHECK(ckks_keygen_secret_key(kg, &sk));
  CHECK(ckks_keygen_public_key(kg, sk, &pk));
  CkksBatchPlan *plan;
  CkksRelinKey *rlk;
  CkksGaloisKeys *gk;
  CHECK(ckks_batch_keys(kg, sk, K, DIM, 0, 0, CKKS_SUM_AUTO, 0, SIZE_MAX, 1.0, &plan, &rlk, &gk));
  CkksBatchPlanInfo info;
  CHECK(ckks_batch_plan_info(plan, &info));
  CkksEvaluator *eval;
  CHECK(ckks_evaluator_create(ctx, rlk, gk, &eval));
  CkksEngine *engine;
  CHECK(ckks_engine_create_for_batches(eval, 0, &engine));
  CkksEncryptor *enc;
  CkksDecryptor *dec;
  CHECK(ckks_encryptor_create(ctx, pk, &enc));
  CHECK(ckks_decryptor_create(ctx, sk, &dec));

  double *x = malloc(sizeof(double) * K * DIM), *y = malloc(sizeof(double) * K * DIM);
  double want[K], got[K];
  uint64_t seed = 11;
  for (int k = 0; k < K; k++) {
    want[k] = 0;
    for (int i = 0; i < DIM; i++) {
      x[k * DIM + i] = (double)(next_rand(&seed) >> 11) / 9007199254740992.0 * 2 - 1;
      y[k * DIM + i] = (double)(next_rand(&seed) >> 11) / 9007199254740992.0 * 2 - 1;
      want[k] += x[k * DIM + i] * y[k * DIM + i];
    }
  }
  CkksBatch *batch;
  CHECK(ckks_batch_encrypt(plan, ctx, enc, x, y, K, DIM, SIZE_MAX, &batch));
  size_t groups;
  CHECK(ckks_batch_groups(batch, &groups));
  CkksCiphertext **out = malloc(sizeof(CkksCiphertext *) * groups);
  CHECK(ckks_engine_run_batch(engine, batch, out, groups));
  CHECK(ckks_batch_decrypt(batch, ctx, dec, (const CkksCiphertext *const *)out, groups, got, K));
  double max_err = 0;
  for (int k = 0; k < K; k++) {
    double err = fabs(got[k] - want[k]);
    if (err > max_err) max_err = err;
  }
  /* The batch serializes (two-call pattern) and loads back. */
  size_t size = 0;
  CkksStatus st = ckks_batch_serialize(batch, NULL, 0, &size);
  uint8_t *bytes = malloc(size);
  CHECK(ckks_batch_serialize(batch, bytes, size, &size));
  CkksBatch *back;
  CHECK(ckks_batch_deserialize(ctx, bytes, size, &back));
  /* A wrong output count is refused, nothing written. */
  int refused = ckks_engine_run_batch(engine, batch, out, groups + 1) == CKKS_STATUS_INVALID_ARGUMENT;

  int ok = max_err < 1e-4 && st == CKKS_STATUS_BUFFER_TOO_SMALL && refused;
  printf("batch: %d products of dim %d, block %zu (%zu per ciphertext, %zu tiles), %zu group(s), "
         "%.3f key switches per product: max |error| = %.3g: %s\n",
         K, DIM, info.block, info.per_ciphertext, info.tiles, groups, info.key_switches_per_product,
         max_err, ok ? "verified" : "FAILED");
  for (size_t g = 0; g < groups; g++) CHECK(ckks_ciphertext_free(out[g]));
  free(out); free(x); free(y); free(bytes);
  CHECK(ckks_batch_free(back));
  CHECK(ckks_batch_free(batch));
  CHECK(ckks_batch_plan_free(plan));
  CHECK(ckks_engine_free(engine));
  CHECK(ckks_evaluator_free(eval));
  CHECK(ckks_encryptor_free(enc));
  CHECK(ckks_decryptor_free(dec));
  CHECK(ckks_galois_keys_free(gk));
  CHECK(ckks_relin_key_free(rlk));
  CHECK(ckks_public_key_free(pk));
  CHECK(ckks_secret_key_free(sk));
  CHECK(ckks_keygen_free(kg));
  CHECK(ckks_context_free(ctx));
  return ok;
}

int main(void) {
  int ok = ntt_product();
  ok = inner_products() && ok;
  ok = planned_batch() && ok;
  printf("%s\n", ok ? "ALL VERIFIED" : "FAILURES");
  return ok ? 0 : 1;
}
