/*
 * The C reference for GEMMBenchmark: the same workloads as plain cblas_sgemm calls against OpenBLAS,
 * with buffers allocated once. run-gemm.sh starts it with OPENBLAS_CORETYPE=SkylakeX (OpenBLAS 0.3.21
 * does not recognise this CPU and would otherwise pick the generic Prescott kernel) and the same
 * thread count as the Swift side.
 *
 * Output, one line per timed sample: name <TAB> flops <TAB> seconds.
 * Usage: gemm_reference [--samples N] [--only TEXT] [--workload NAME] [--threads N]
 */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);
extern char *openblas_get_corename(void);
extern int openblas_get_num_threads(void);

typedef struct { const char *name; int m, n, k, transpose_b; } shape_t;

/* Same list and order as Workloads.gemms in Sources/GEMMBenchmark/Workloads.swift. */
static const shape_t gemms[] = {
    {"unet conv 4096x320x2880", 4096, 320, 2880, 0},
    {"unet conv 1024x640x5760", 1024, 640, 5760, 0},
    {"unet conv 256x1280x11520", 256, 1280, 11520, 0},
    {"unet conv 64x1280x11520", 64, 1280, 11520, 0},
    {"linear 4096x1280x320", 4096, 1280, 320, 0},
    {"linear 4096x320x320", 4096, 320, 320, 0},
    {"attn QK^T 4096x4096x40", 4096, 4096, 40, 1},
    {"attn PV 4096x40x4096", 4096, 40, 4096, 0},
    {"xattn QK^T 4096x77x40", 4096, 77, 40, 1},
    {"vae conv 262144x128x1152", 262144, 128, 1152, 0},
    {"vae conv 4096x512x4608", 4096, 512, 4608, 0},
    {"sdxl linear 8192x640x640", 8192, 640, 640, 0},
    {"sdxl ff 2048x10240x1280", 2048, 10240, 1280, 0},
    {"sdxl ff 2048x1280x5120", 2048, 1280, 5120, 0},
    {"sdxl attn QK^T 4096x4096x64", 4096, 4096, 64, 1},
    {"sdxl attn PV 4096x64x4096", 4096, 64, 4096, 0},
};

static int samples = 7;
static const char *only = NULL, *exact = NULL;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *filled(size_t count, uint64_t seed) {
    float *p = aligned_alloc(64, ((count * sizeof(float) + 63) / 64) * 64);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (size_t i = 0; i < count; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (float)(int32_t)(state >> 32) * 0x1p-31f;
    }
    return p;
}

static int wants(const char *name) {
    return (!only || strstr(name, only)) && (!exact || !strcmp(name, exact));
}

typedef void (*run_fn)(void *);

/* Warm-up run, then `count` samples, each repeating `run` until it covers about 2 GFLOP. */
static void measure(const char *name, double flops, int count, run_fn run, void *context) {
    int repetitions = flops >= 2e9 ? 1 : (int)(2e9 / flops + 1);
    run(context);
    for (int s = 0; s < count; s++) {
        double start = now();
        for (int r = 0; r < repetitions; r++) run(context);
        printf("%s\t%.0f\t%.9f\n", name, flops, (now() - start) / repetitions);
        fflush(stdout);
    }
}

typedef struct { const shape_t *shape; float *a, *b, *c; } gemm_context;

static void run_gemm(void *p) {
    gemm_context *g = p;
    const shape_t *s = g->shape;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, s->transpose_b ? CblasTrans : CblasNoTrans, s->m, s->n, s->k,
                1.0f, g->a, s->k, g->b, s->transpose_b ? s->k : s->n, 0.0f, g->c, s->n);
}

/* Tensor.conv2d on [2, 320, 64, 64] with a 320×320×3×3 kernel: per image, weight [320, 2880] times
 * the unfolded input [2880, 4096]. Only the GEMMs (im2col and bias are the SDK's overhead). */
typedef struct { float *weight, *columns, *out; } conv_context;

static void run_conv(void *p) {
    conv_context *c = p;
    for (int image = 0; image < 2; image++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 320, 4096, 2880, 1.0f, c->weight, 2880,
                    c->columns, 4096, 0.0f, c->out + (size_t)image * 320 * 4096, 4096);
}

/* Tensor.linear [2, 4096, 320] → 1280: x [8192, 320] times weightᵀ. */
typedef struct { float *x, *weight, *out; } linear_context;

static void run_linear(void *p) {
    linear_context *l = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 8192, 1280, 320, 1.0f, l->x, 320, l->weight, 320,
                0.0f, l->out, 1280);
}

/* Tensor.attention on [2, 4096, 8·40]: per (batch, head), QKᵀ then PV, read in place with stride 320.
 * No softmax: this is the GEMM floor of the op. */
typedef struct { float *q, *k, *v, *scores, *out; } attention_context;

static void run_attention(void *p) {
    attention_context *a = p;
    for (int b = 0; b < 2; b++)
        for (int h = 0; h < 8; h++) {
            size_t offset = (size_t)b * 4096 * 320 + h * 40;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 4096, 4096, 40, 0.158f, a->q + offset, 320,
                        a->k + offset, 320, 0.0f, a->scores, 4096);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 4096, 40, 4096, 1.0f, a->scores, 4096,
                        a->v + offset, 320, 0.0f, a->out + offset, 320);
        }
}

int main(int argc, char **argv) {
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--samples") && i + 1 < argc) samples = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--workload") && i + 1 < argc) exact = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    }
    if (threads > 0) openblas_set_num_threads(threads);
    printf("# kernel %s, %d threads\n", openblas_get_corename(), openblas_get_num_threads());

    for (size_t i = 0; i < sizeof gemms / sizeof gemms[0]; i++) {
        const shape_t *s = &gemms[i];
        if (!wants(s->name)) continue;
        gemm_context g = {s, filled((size_t)s->m * s->k, 1), filled((size_t)s->k * s->n, 2),
                          filled((size_t)s->m * s->n, 0)};
        double flops = 2.0 * s->m * s->n * s->k;
        measure(s->name, flops, flops > 5e10 ? (samples + 1) / 2 : samples, run_gemm, &g);
        free(g.a); free(g.b); free(g.c);
    }
    if (wants("Tensor.conv2d 2x320x64x64 k3")) {
        conv_context c = {filled(320 * 2880, 4), filled(2880 * 4096, 3), filled(2 * 320 * 4096, 0)};
        measure("Tensor.conv2d 2x320x64x64 k3", 2.0 * 2 * 320 * 4096 * 2880, samples, run_conv, &c);
        free(c.weight); free(c.columns); free(c.out);
    }
    if (wants("Tensor.linear 2x4096x320->1280")) {
        linear_context l = {filled(8192 * 320, 6), filled(1280 * 320, 7), filled(8192 * 1280, 0)};
        measure("Tensor.linear 2x4096x320->1280", 2.0 * 8192 * 1280 * 320, samples, run_linear, &l);
        free(l.x); free(l.weight); free(l.out);
    }
    if (wants("Tensor.attention 2x4096x(8x40)")) {
        attention_context a = {filled(2 * 4096 * 320, 9), filled(2 * 4096 * 320, 10), filled(2 * 4096 * 320, 11),
                               filled(4096 * 4096, 0), filled(2 * 4096 * 320, 0)};
        measure("Tensor.attention 2x4096x(8x40)", 2.0 * 8 * 2 * (2.0 * 4096 * 4096 * 40), samples, run_attention, &a);
        free(a.q); free(a.k); free(a.v); free(a.scores); free(a.out);
    }
    return 0;
}
