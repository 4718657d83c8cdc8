#include "vector_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

// Attention scores S = scale · Q Kᵀ for one block of queries and keys of one head, without a GEMM
// library: K is copied once into panels of 8 keys (dimension-major, so one 8-float load gives
// dimension d of 8 keys) and Q's rows next to each other, and each 6 × 16 block of S is summed in
// 12 registers over the head's dimensions. A GEMM library also zeroes S first and runs its kernel
// over a reduction of only 40–160, where packing both operands is a large part of its time.

// Copies keys [0, count) of K (row j at k + j·ldk) into 8-key panels: panel p holds dimension d of
// keys 8p … 8p + 7 at packed[p·8·dims + 8d + lane]; the lanes past `count` are zero.
__attribute__((target("avx2,fma")))
static void sd_pack_keys_avx2(const float *k, size_t ldk, size_t count, size_t dims, float *packed) {
    for (size_t p = 0; p * 8 < count; p++) {
        float *panel = packed + p * 8 * dims;
        size_t lanes = count - 8 * p < 8 ? count - 8 * p : 8;
        for (size_t lane = 0; lane < lanes; lane++) {
            const float *row = k + (8 * p + lane) * ldk;
            for (size_t d = 0; d < dims; d++) panel[8 * d + lane] = row[d];
        }
        for (size_t lane = lanes; lane < 8; lane++)
            for (size_t d = 0; d < dims; d++) panel[8 * d + lane] = 0;
    }
}

// One 6 × 16 block of S: rows q[0 … 5] of Q against the two 8-key panels b0, b1, summed over the
// head's dimensions in 12 named registers (written out: compilers keep an array of vectors in
// memory), scaled, stored at out[r·lds + c] for r < 6, c < 16. Twelve sums, two key vectors and one
// broadcast fit AVX2's 16 registers; a 4 × 24 block needs all 16 and clang then kept a sum in memory.
__attribute__((target("avx2,fma")))
static inline void sd_scores_6x16_avx2(const float *const q[6], const float *b0, const float *b1, size_t dims,
                                       float scale, float *out, size_t lds) {
    const float *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3], *q4 = q[4], *q5 = q[5];
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (size_t d = 0; d < dims; d++) {
        __m256 k0 = _mm256_loadu_ps(b0 + 8 * d), k1 = _mm256_loadu_ps(b1 + 8 * d);
        __m256 a = _mm256_broadcast_ss(q0 + d);
        c00 = _mm256_fmadd_ps(a, k0, c00); c01 = _mm256_fmadd_ps(a, k1, c01);
        a = _mm256_broadcast_ss(q1 + d);
        c10 = _mm256_fmadd_ps(a, k0, c10); c11 = _mm256_fmadd_ps(a, k1, c11);
        a = _mm256_broadcast_ss(q2 + d);
        c20 = _mm256_fmadd_ps(a, k0, c20); c21 = _mm256_fmadd_ps(a, k1, c21);
        a = _mm256_broadcast_ss(q3 + d);
        c30 = _mm256_fmadd_ps(a, k0, c30); c31 = _mm256_fmadd_ps(a, k1, c31);
        a = _mm256_broadcast_ss(q4 + d);
        c40 = _mm256_fmadd_ps(a, k0, c40); c41 = _mm256_fmadd_ps(a, k1, c41);
        a = _mm256_broadcast_ss(q5 + d);
        c50 = _mm256_fmadd_ps(a, k0, c50); c51 = _mm256_fmadd_ps(a, k1, c51);
    }
    __m256 f = _mm256_set1_ps(scale);
    _mm256_storeu_ps(out, _mm256_mul_ps(c00, f));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(c01, f));
    _mm256_storeu_ps(out + lds, _mm256_mul_ps(c10, f));
    _mm256_storeu_ps(out + lds + 8, _mm256_mul_ps(c11, f));
    _mm256_storeu_ps(out + 2 * lds, _mm256_mul_ps(c20, f));
    _mm256_storeu_ps(out + 2 * lds + 8, _mm256_mul_ps(c21, f));
    _mm256_storeu_ps(out + 3 * lds, _mm256_mul_ps(c30, f));
    _mm256_storeu_ps(out + 3 * lds + 8, _mm256_mul_ps(c31, f));
    _mm256_storeu_ps(out + 4 * lds, _mm256_mul_ps(c40, f));
    _mm256_storeu_ps(out + 4 * lds + 8, _mm256_mul_ps(c41, f));
    _mm256_storeu_ps(out + 5 * lds, _mm256_mul_ps(c50, f));
    _mm256_storeu_ps(out + 5 * lds + 8, _mm256_mul_ps(c51, f));
}

__attribute__((target("avx2,fma")))
void sd_attention_scores_avx2(const float *q, size_t ldq, const float *k, size_t ldk, size_t rows, size_t keys,
                              size_t dims, float scale, float *s, size_t lds, float *packed) {
    if (rows == 0 || keys == 0) return;
    sd_pack_keys_avx2(k, ldk, keys, dims, packed);
    size_t panels = (keys + 7) / 8;
    // Q's rows, copied next to each other after the keys: read in place, a block's rows are a head's
    // few floats out of each token's full width, spread over more cache lines than L1 holds.
    float *rowsCopy = packed + panels * 8 * dims;
    for (size_t r = 0; r < rows; r++) memcpy(rowsCopy + r * dims, q + r * ldq, dims * sizeof(float));
    // Keys go in chunks of whole panel pairs of about 16 KB, which stay in the core's L1 cache while
    // every group of 6 query rows passes over them.
    size_t chunkPanels = 16384 / (32 * dims) / 2 * 2;
    if (chunkPanels < 2) chunkPanels = 2;
    float edge[6 * 16];
    for (size_t first = 0; first < panels; first += chunkPanels) {
        size_t end = first + chunkPanels < panels ? first + chunkPanels : panels;
        for (size_t r = 0; r < rows; r += 6) {
            size_t R = rows - r < 6 ? rows - r : 6;
            // Past the last row, the block reads row r again; those results are not kept.
            const float *q6[6];
            for (size_t i = 0; i < 6; i++) q6[i] = rowsCopy + (r + (i < R ? i : 0)) * dims;
            for (size_t p = first; p < end; p += 2) {
                const float *b0 = packed + p * 8 * dims, *b1 = p + 1 < end ? b0 + 8 * dims : b0;
                size_t columns = (p + 2) * 8 <= keys ? 16 : keys - p * 8;
                if (p + 1 >= end && columns > 8) columns = 8;
                if (R == 6 && columns == 16) {
                    sd_scores_6x16_avx2(q6, b0, b1, dims, scale, s + r * lds + 8 * p, lds);
                } else {
                    // A block at the bottom or right edge of S: computed whole, its part inside S kept.
                    sd_scores_6x16_avx2(q6, b0, b1, dims, scale, edge, 16);
                    for (size_t i = 0; i < R; i++)
                        memcpy(s + (r + i) * lds + 8 * p, edge + 16 * i, columns * sizeof(float));
                }
            }
        }
    }
}

#else
// Not x86: never called (Swift checks the CPU first).
void sd_attention_scores_avx2(const float *q, size_t ldq, const float *k, size_t ldk, size_t rows, size_t keys,
                              size_t dims, float scale, float *s, size_t lds, float *packed) {
    (void)q; (void)ldq; (void)k; (void)ldk; (void)rows; (void)keys; (void)dims; (void)scale; (void)s; (void)lds;
    (void)packed;
}
#endif
