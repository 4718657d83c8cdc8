#define _GNU_SOURCE
#include "core_probe.h"
#include <time.h>

#if defined(__linux__)
#include <sched.h>

// The thread's CPUs before core_probe_pin, for core_probe_unpin.
static __thread cpu_set_t core_probe_saved;
static __thread int core_probe_has_saved;

int core_probe_pin(int cpu) {
    if (!core_probe_has_saved && sched_getaffinity(0, sizeof core_probe_saved, &core_probe_saved) != 0) return 0;
    core_probe_has_saved = 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

void core_probe_unpin(void) {
    if (!core_probe_has_saved) return;
    (void)sched_setaffinity(0, sizeof core_probe_saved, &core_probe_saved);
    core_probe_has_saved = 0;
}

int core_probe_cpus(int *ids, int capacity) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++)
        if (CPU_ISSET(cpu, &set)) ids[count++] = cpu;
    return count;
}
#else
// Without Linux's affinity calls the probe has no CPUs to pin, and reads nothing.
int core_probe_pin(int cpu) { (void)cpu; return 0; }
void core_probe_unpin(void) {}
int core_probe_cpus(int *ids, int capacity) { (void)ids; (void)capacity; return 0; }
#endif

static double core_probe_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
#include <immintrin.h>

double core_probe_add_chain_seconds(long iterations) {
    unsigned long x = 0;
    double start = core_probe_now();
    for (long i = 0; i < iterations; i++) {
        // Sixteen additions, each waiting for the one before: the loop counter's own instructions
        // run beside them, so an iteration takes 16 cycles at any clock.
        __asm__ volatile(
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            : "+r"(x));
    }
    return core_probe_now() - start;
}

__attribute__((target("avx2,fma")))
static double core_probe_fma_seconds_avx2(long iterations) {
    __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m256 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    double start = core_probe_now();
    for (long i = 0; i < iterations; i++) {
        for (int j = 0; j < 8; j++) {
            c0 = _mm256_fmadd_ps(a, c0, b); c1 = _mm256_fmadd_ps(a, c1, b); c2 = _mm256_fmadd_ps(a, c2, b);
            c3 = _mm256_fmadd_ps(a, c3, b); c4 = _mm256_fmadd_ps(a, c4, b); c5 = _mm256_fmadd_ps(a, c5, b);
            c6 = _mm256_fmadd_ps(a, c6, b); c7 = _mm256_fmadd_ps(a, c7, b); c8 = _mm256_fmadd_ps(a, c8, b);
            c9 = _mm256_fmadd_ps(a, c9, b); c10 = _mm256_fmadd_ps(a, c10, b); c11 = _mm256_fmadd_ps(a, c11, b);
        }
        // Keeps the sums live without a store per iteration.
        __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5));
        __asm__ volatile("" : "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
    }
    return core_probe_now() - start;
}

double core_probe_fma_seconds(long iterations) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    return core_probe_fma_seconds_avx2(iterations);
}
#else
double core_probe_add_chain_seconds(long iterations) { (void)iterations; return 0; }
double core_probe_fma_seconds(long iterations) { (void)iterations; return 0; }
#endif
