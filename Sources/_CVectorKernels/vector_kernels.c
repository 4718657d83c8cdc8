#include "vector_kernels.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

// The polynomial and reduction of VectorMath.expCore: n = round(x / ln 2), r = x - n ln 2 in two
// steps, degree-5 polynomial with constant term 1, times 2^n built from the rounding constant.
#define SD_EXP_CONSTANTS                                                      \
    const float log2e = 1.44269504088896341f, cody1 = 0.693359375f,          \
                cody2 = -2.12194440054690583e-4f, underflow = -87.33654f;     \
    const float c5 = 8.290314115583897e-3f, c4 = 4.189793020486832e-2f,      \
                c3 = 1.666763573884964e-1f, c2 = 4.999915063381195e-1f,      \
                c1 = 9.999997019767761e-1f;                                   \
    const float magic = 12582912.0f + 127.0f;

__attribute__((target("avx512f")))
float sd_exp_shifted_sum_avx512(float *p, size_t count, float shift) {
    SD_EXP_CONSTANTS
    const __m512 s = _mm512_set1_ps(shift);
    __m512 sum = _mm512_setzero_ps();
    size_t i = 0;
    for (; i < count; i += 16) {
        size_t left = count - i;
        __mmask16 lanes = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, p + i), s);
        __mmask16 keep = _mm512_mask_cmp_ps_mask(lanes, x, _mm512_set1_ps(underflow), _CMP_GE_OQ);
        __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(log2e), _mm512_set1_ps(magic));
        __m512 n = _mm512_sub_ps(shifted, _mm512_set1_ps(magic));
        __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(cody1), x);
        r = _mm512_fnmadd_ps(n, _mm512_set1_ps(cody2), r);
        __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(c5), r, _mm512_set1_ps(c4));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(c3));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(c2));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(c1));
        q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f));
        __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(shifted), 23));
        __m512 y = _mm512_maskz_mul_ps(keep, q, scale);
        _mm512_mask_storeu_ps(p + i, lanes, y);
        sum = _mm512_add_ps(sum, y);
    }
    return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx512f")))
float sd_maximum_avx512(const float *p, size_t count) {
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < count; i += 16) {
        size_t left = count - i;
        __mmask16 lanes = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        m = _mm512_mask_max_ps(m, lanes, m, _mm512_maskz_loadu_ps(lanes, p + i));
    }
    return _mm512_reduce_max_ps(m);
}

__attribute__((target("avx2,fma")))
static inline float sd_horizontal_sum_avx2(__m256 v) {
    __m128 low = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    low = _mm_add_ps(low, _mm_movehl_ps(low, low));
    low = _mm_add_ss(low, _mm_shuffle_ps(low, low, 1));
    return _mm_cvtss_f32(low);
}

__attribute__((target("avx2,fma")))
float sd_exp_shifted_sum_avx2(float *p, size_t count, float shift) {
    SD_EXP_CONSTANTS
    const __m256 s = _mm256_set1_ps(shift);
    __m256 sum = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 x = _mm256_sub_ps(_mm256_loadu_ps(p + i), s);
        __m256 keep = _mm256_cmp_ps(x, _mm256_set1_ps(underflow), _CMP_GE_OQ);
        __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(log2e), _mm256_set1_ps(magic));
        __m256 n = _mm256_sub_ps(shifted, _mm256_set1_ps(magic));
        __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(cody1), x);
        r = _mm256_fnmadd_ps(n, _mm256_set1_ps(cody2), r);
        __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(c5), r, _mm256_set1_ps(c4));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(c3));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(c2));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(c1));
        q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f));
        __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(shifted), 23));
        __m256 y = _mm256_and_ps(keep, _mm256_mul_ps(q, scale));
        _mm256_storeu_ps(p + i, y);
        sum = _mm256_add_ps(sum, y);
    }
    float total = sd_horizontal_sum_avx2(sum);
    for (; i < count; i++) {
        // The same steps on one lane.
        float x = p[i] - shift;
        float shifted = fmaf(x, log2e, magic), n = shifted - magic;
        float r = fmaf(-n, cody1, x);
        r = fmaf(-n, cody2, r);
        float q = fmaf(fmaf(fmaf(fmaf(fmaf(c5, r, c4), r, c3), r, c2), r, c1), r, 1.0f);
        union { float f; unsigned int u; } bits = { shifted };
        bits.u <<= 23;
        float y = x >= underflow ? q * bits.f : 0.0f;
        p[i] = y;
        total += y;
    }
    return total;
}

__attribute__((target("avx2,fma")))
float sd_maximum_avx2(const float *p, size_t count) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(p + i));
    __m128 low = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    low = _mm_max_ps(low, _mm_movehl_ps(low, low));
    low = _mm_max_ss(low, _mm_shuffle_ps(low, low, 1));
    float result = _mm_cvtss_f32(low);
    for (; i < count; i++) if (p[i] > result) result = p[i];
    return result;
}


// G = [[1,0,0], [½,½,½], [½,-½,½], [0,0,1]]: t = G g column by column, then each row of t times Gᵀ.
#define SD_WINOGRAD_FILTER_BODY(V, ADD, SUB, MUL, SET1, STORE)                                  \
    V half = SET1(0.5f);                                                                      \
    V a0 = tap(0), a1 = tap(3), a2 = tap(6);                                                  \
    V b0 = tap(1), b1 = tap(4), b2 = tap(7);                                                  \
    V c0 = tap(2), c1 = tap(5), c2 = tap(8);                                                  \
    V rows[4][3] = {                                                                          \
        { a0, b0, c0 },                                                                       \
        { MUL(half, ADD(ADD(a0, a1), a2)), MUL(half, ADD(ADD(b0, b1), b2)), MUL(half, ADD(ADD(c0, c1), c2)) }, \
        { MUL(half, ADD(SUB(a0, a1), a2)), MUL(half, ADD(SUB(b0, b1), b2)), MUL(half, ADD(SUB(c0, c1), c2)) }, \
        { a2, b2, c2 } };                                                                     \
    for (int row = 0; row < 4; row++) {                                                       \
        V t0 = rows[row][0], t1 = rows[row][1], t2 = rows[row][2];                            \
        STORE(u + (size_t)(row * 4 + 0) * plane + f, t0);                                     \
        STORE(u + (size_t)(row * 4 + 1) * plane + f, MUL(half, ADD(ADD(t0, t1), t2)));        \
        STORE(u + (size_t)(row * 4 + 2) * plane + f, MUL(half, ADD(SUB(t0, t1), t2)));        \
        STORE(u + (size_t)(row * 4 + 3) * plane + f, t2);                                     \
    }

__attribute__((target("avx512f")))
void sd_winograd_filters_avx512(const float *weight, size_t count, float *u, size_t plane) {
    const __m512i index = _mm512_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99, 108, 117, 126, 135);
    for (size_t f = 0; f < count; f += 16) {
        size_t left = count - f;
        __mmask16 lanes = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const float *g = weight + f * 9;
#define tap(q) _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, index, g + (q), 4)
#define STORE512(p, v) _mm512_mask_storeu_ps((p), lanes, (v))
        SD_WINOGRAD_FILTER_BODY(__m512, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_set1_ps, STORE512)
#undef tap
#undef STORE512
    }
}

__attribute__((target("avx2,fma")))
void sd_winograd_filters_avx2(const float *weight, size_t count, float *u, size_t plane) {
    const __m256i index = _mm256_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63);
    size_t f = 0;
    for (; f + 8 <= count; f += 8) {
        const float *g = weight + f * 9;
#define tap(q) _mm256_i32gather_ps(g + (q), index, 4)
#define STORE256(p, v) _mm256_storeu_ps((p), (v))
        SD_WINOGRAD_FILTER_BODY(__m256, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_set1_ps, STORE256)
#undef tap
#undef STORE256
    }
    for (; f < count; f++) {
        // The same arithmetic on one filter.
        const float *g = weight + f * 9;
#define tap(q) g[(q)]
#define ADD1(x, y) ((x) + (y))
#define SUB1(x, y) ((x) - (y))
#define MUL1(x, y) ((x) * (y))
#define SET11(x) (x)
#define STORE1(p, v) (*(p) = (v))
        SD_WINOGRAD_FILTER_BODY(float, ADD1, SUB1, MUL1, SET11, STORE1)
#undef tap
#undef ADD1
#undef SUB1
#undef MUL1
#undef SET11
#undef STORE1
    }
}

#else
// Not x86: never called (Swift checks the CPU first).
float sd_exp_shifted_sum_avx512(float *p, size_t count, float shift) { (void)p; (void)count; (void)shift; return 0; }
float sd_exp_shifted_sum_avx2(float *p, size_t count, float shift) { (void)p; (void)count; (void)shift; return 0; }
float sd_maximum_avx512(const float *p, size_t count) { (void)p; (void)count; return 0; }
float sd_maximum_avx2(const float *p, size_t count) { (void)p; (void)count; return 0; }
void sd_winograd_filters_avx512(const float *weight, size_t count, float *u, size_t plane) { (void)weight; (void)count; (void)u; (void)plane; }
void sd_winograd_filters_avx2(const float *weight, size_t count, float *u, size_t plane) { (void)weight; (void)count; (void)u; (void)plane; }
#endif
