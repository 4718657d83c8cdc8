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

#else
// Not x86: never called (Swift checks the CPU first).
float sd_exp_shifted_sum_avx512(float *p, size_t count, float shift) { (void)p; (void)count; (void)shift; return 0; }
float sd_exp_shifted_sum_avx2(float *p, size_t count, float shift) { (void)p; (void)count; (void)shift; return 0; }
float sd_maximum_avx512(const float *p, size_t count) { (void)p; (void)count; return 0; }
float sd_maximum_avx2(const float *p, size_t count) { (void)p; (void)count; return 0; }
#endif
