/*
 * Concurrency stress through the C ABI (issue 18), with a watchdog that turns a hang into a
 * failure: 16 pthreads call ckks_engine_run on one shared engine (2 workers, one or two pairs
 * per call, so the engine spreads each product over its workers), decrypting their results
 * with one shared decryptor; meanwhile one thread frees a ciphertext the others pass to the
 * engine, and one frees a second engine (made from a key bundle) while four threads run on it.
 * A call on a freed handle must return CKKS_STATUS_INVALID_HANDLE (or succeed, if it took its
 * reference first) — never crash. Small insecure parameters (n = 2^10) keep it fast.
 *
 * Watchdog: alarm(CKKS_STRESS_TIMEOUT, default 120 s); on SIGALRM it prints "WATCHDOG: hang"
 * and exits with status 2. Prints "ALL VERIFIED" on success (.ci/capi.sh checks it).
 *
 *   cargo build --release -p ckks-accel-capi
 *   cc -O2 -std=c11 -Icapi/include examples/c/stress_engine.c \
 *      target/release/libckks_accel.a -lpthread -ldl -lm -o target/stress_engine
 *   ./target/stress_engine
 */
#define _POSIX_C_SOURCE 200809L
#include "ckks_accel.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 16
#define ROUNDS 8
#define DIM 16
#define VICTIM_USERS 4

#define CHECK(call)                                                                     \
  do {                                                                                  \
    CkksStatus st_ = (call);                                                            \
    if (st_ != CKKS_STATUS_OK) {                                                        \
      fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #call,          \
              ckks_status_name(st_), ckks_last_error());                                \
      exit(1);                                                                          \
    }                                                                                   \
  } while (0)

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "WATCHDOG: hang\n";
  ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)w;
  _exit(2);
}

static CkksContext *ctx;
static CkksDecryptor *dec;
static CkksEngine *engine;        /* shared by all 16 threads */
static CkksEngine *victim_engine; /* freed while VICTIM_USERS threads use it */
static CkksCiphertext *xs[2], *ys[2];
static CkksCiphertext *victim_ct; /* freed while others pass it to the engine */
static double want[2], want_victim;
static pthread_barrier_t start;
static int failures;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what, CkksStatus st) {
  pthread_mutex_lock(&fail_lock);
  failures++;
  fprintf(stderr, "FAIL: %s: %s: %s\n", what, ckks_status_name(st), ckks_last_error());
  pthread_mutex_unlock(&fail_lock);
}

static double slot0(CkksCiphertext *ct) {
  CkksPlaintext *pt = NULL;
  double v[1] = {NAN};
  size_t w = 0;
  CkksStatus st = ckks_decrypt(dec, ct, &pt);
  if (st != CKKS_STATUS_OK) {
    fail("decrypt", st);
    return NAN;
  }
  st = ckks_decode(ctx, pt, v, 1, &w);
  if (st != CKKS_STATUS_OK) fail("decode", st);
  ckks_plaintext_free(pt);
  return v[0];
}

static void check_close(const char *what, double got, double expect) {
  if (!(fabs(got - expect) < 1e-4)) {
    pthread_mutex_lock(&fail_lock);
    failures++;
    fprintf(stderr, "FAIL: %s: %.6f, expected %.6f\n", what, got, expect);
    pthread_mutex_unlock(&fail_lock);
  }
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  pthread_barrier_wait(&start);
  for (int r = 0; r < ROUNDS; r++) {
    size_t k = 1 + (size_t)((id + r) % 2);
    const CkksCiphertext *a[3] = {xs[0], xs[1], NULL};
    const CkksCiphertext *b[3] = {ys[0], ys[1], NULL};
    CkksCiphertext *out[3] = {NULL, NULL, NULL};
    int with_victim = id % 4 == 1;
    if (with_victim) { /* a third pair whose ciphertext another thread frees */
      a[k] = victim_ct;
      b[k] = victim_ct;
      k++;
    }
    CkksStatus st = ckks_engine_run(engine, a, b, k, DIM, out);
    if (st == CKKS_STATUS_INVALID_HANDLE && with_victim) {
      for (size_t i = 0; i < k; i++)
        if (out[i] != NULL) fail("outputs written on error", st);
      continue; /* the victim was freed first: reported, nothing written */
    }
    if (st != CKKS_STATUS_OK) {
      fail("ckks_engine_run", st);
      continue;
    }
    for (size_t i = 0; i < k; i++) {
      double expect = (with_victim && i == k - 1) ? want_victim : want[i];
      check_close("inner product", slot0(out[i]), expect);
      CHECK(ckks_ciphertext_free(out[i]));
    }
  }
  return NULL;
}

static void *freer(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  sleep_us(2000);
  CHECK(ckks_ciphertext_free(victim_ct));
  CkksStatus st = ckks_ciphertext_free(victim_ct);
  if (st != CKKS_STATUS_INVALID_HANDLE) fail("double free not reported", st);
  return NULL;
}

static void *victim_user(void *arg) {
  (void)arg;
  for (int r = 0; r < ROUNDS; r++) {
    const CkksCiphertext *a[1] = {xs[0]};
    const CkksCiphertext *b[1] = {ys[0]};
    CkksCiphertext *out[1] = {NULL};
    CkksStatus st = ckks_engine_run(victim_engine, a, b, 1, DIM, out);
    if (st == CKKS_STATUS_INVALID_HANDLE) return NULL; /* freed: fine */
    if (st != CKKS_STATUS_OK) {
      fail("run on the victim engine", st);
      return NULL;
    }
    check_close("victim engine product", slot0(out[0]), want[0]);
    CHECK(ckks_ciphertext_free(out[0]));
  }
  return NULL;
}

static CkksCiphertext *encrypt(CkksEncryptor *enc, const double *v) {
  CkksPlaintext *pt = NULL;
  CkksCiphertext *ct = NULL;
  CHECK(ckks_encode(ctx, v, DIM, 0.0, SIZE_MAX, &pt));
  CHECK(ckks_encrypt(enc, pt, &ct));
  CHECK(ckks_plaintext_free(pt));
  return ct;
}

int main(void) {
  const char *t = getenv("CKKS_STRESS_TIMEOUT");
  unsigned timeout = t ? (unsigned)strtoul(t, NULL, 10) : 120;
  signal(SIGALRM, on_alarm);
  alarm(timeout);

  const uint32_t qb[3] = {50, 40, 40}, pb[1] = {50};
  CHECK(ckks_context_create(1 << 10, qb, 3, pb, 1, 3, 40, 1, &ctx));
  CkksKeyGenerator *kg = NULL;
  CkksSecretKey *sk = NULL;
  CkksPublicKey *pk = NULL;
  CkksRelinKey *rlk = NULL;
  CkksGaloisKeys *gk = NULL;
  uint32_t kind = 0;
  size_t radix = 0;
  CHECK(ckks_keygen_create_seeded(ctx, 18, &kg));
  CHECK(ckks_keygen_secret_key(kg, &sk));
  CHECK(ckks_keygen_public_key(kg, sk, &pk));
  CHECK(ckks_keygen_relin_key(kg, sk, &rlk));
  CHECK(ckks_keygen_sum_keys(kg, sk, CKKS_SUM_TREE, 0, DIM, 1, &gk, &kind, &radix));
  CkksEvaluator *eval = NULL;
  CHECK(ckks_evaluator_create(ctx, rlk, gk, &eval));
  CHECK(ckks_engine_create(eval, 2, kind, radix, DIM, &engine));
  CkksKeyBundle *bundle = NULL;
  CHECK(ckks_key_bundle_create(ctx, rlk, gk, kind, radix, DIM, &bundle));
  CHECK(ckks_engine_create_from_bundle(bundle, 2, &victim_engine));
  CHECK(ckks_key_bundle_free(bundle));

  CkksEncryptor *enc = NULL;
  CHECK(ckks_encryptor_create(ctx, pk, &enc));
  CHECK(ckks_decryptor_create(ctx, sk, &dec));
  double x[2][DIM], y[2][DIM], v[DIM];
  want_victim = 0.0;
  for (int j = 0; j < 2; j++) {
    want[j] = 0.0;
    for (int i = 0; i < DIM; i++) {
      x[j][i] = (double)(i + j) / DIM;
      y[j][i] = 1.0 - (double)i / (2 * DIM);
      want[j] += x[j][i] * y[j][i];
    }
    xs[j] = encrypt(enc, x[j]);
    ys[j] = encrypt(enc, y[j]);
  }
  for (int i = 0; i < DIM; i++) {
    v[i] = 0.5 - (double)i / (4 * DIM);
    want_victim += v[i] * v[i];
  }
  victim_ct = encrypt(enc, v);

  pthread_t th[THREADS], fr, vu[VICTIM_USERS];
  pthread_barrier_init(&start, NULL, THREADS + 1);
  for (int i = 0; i < THREADS; i++)
    if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0) return 1;
  if (pthread_create(&fr, NULL, freer, NULL) != 0) return 1;
  for (int i = 0; i < VICTIM_USERS; i++)
    if (pthread_create(&vu[i], NULL, victim_user, NULL) != 0) return 1;
  sleep_us(3000);
  CHECK(ckks_engine_free(victim_engine)); /* while the victim users run */
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  pthread_join(fr, NULL);
  for (int i = 0; i < VICTIM_USERS; i++) pthread_join(vu[i], NULL);
  pthread_barrier_destroy(&start);

  /* A freed engine and a freed ciphertext stay invalid handles. */
  const CkksCiphertext *a[1] = {xs[0]};
  CkksCiphertext *out[1] = {NULL};
  CkksStatus st = ckks_engine_run(victim_engine, a, a, 1, DIM, out);
  if (st != CKKS_STATUS_INVALID_HANDLE) fail("run on a freed engine", st);
  const CkksCiphertext *gone[1] = {victim_ct};
  st = ckks_engine_run(engine, gone, gone, 1, DIM, out);
  if (st != CKKS_STATUS_INVALID_HANDLE) fail("run on a freed ciphertext", st);

  for (int j = 0; j < 2; j++) {
    CHECK(ckks_ciphertext_free(xs[j]));
    CHECK(ckks_ciphertext_free(ys[j]));
  }
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
  alarm(0);
  if (failures != 0) {
    fprintf(stderr, "%d failures\n", failures);
    return 1;
  }
  printf("%d threads x %d rounds on one engine, a ciphertext and an engine freed in use\n",
         THREADS, ROUNDS);
  printf("ALL VERIFIED\n");
  return 0;
}
