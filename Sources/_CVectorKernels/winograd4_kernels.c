// Winograd F(4×4, 3×3) filter, input and output transforms for AVX-512, AVX2 and any CPU: the
// arithmetic is in winograd4_template.h, instantiated here once per instruction set.
#include "vector_kernels.h"
#include <stdint.h>
#include <string.h>

// The variants must round identically (tests compare them bit for bit), so a multiply followed by an
// add is never fused into an FMA in the scalar code either.
#pragma STDC FP_CONTRACT OFF

// Whole 16-float vectors holding columns + 1 entries: tile j reads entries j and j + 1 of each
// phase. A vector load at j + 1 for the last vector of tiles may run one float into the next phase
// array (always initialised data of the scratch), which only lanes beyond the last tile use.
size_t sd_winograd4_phase_stride(size_t columns) { return (columns + 1 + 15) / 16 * 16; }

size_t sd_winograd4_input_scratch(size_t columns) { return 48 * sd_winograd4_phase_stride(columns); }

// Copies the six input rows of a tile row into d, split by column phase: input column
// 4·j + s − padLeft of row firstRow + r goes to d[(4·r + s)·stride + j], zero outside the image.
// Tiles step four columns, so each column of a tile is a contiguous run of one phase array.
static void sd_w4_fill_phases(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                              ptrdiff_t padLeft, size_t stride, float *d) {
    ptrdiff_t extent = (ptrdiff_t)stride;
    for (ptrdiff_t r = 0; r < 6; r++) {
        ptrdiff_t y = firstRow + r;
        float *row = d + r * 4 * extent;
        if (y < 0 || y >= height) {
            memset(row, 0, (size_t)(4 * extent) * sizeof(float));
            continue;
        }
        const float *source = image + y * width;
        for (ptrdiff_t s = 0; s < 4; s++) {
            float *phase = row + s * extent;
            // Input column 4·j + s − padLeft lies in [0, width) for j in [first, last).
            ptrdiff_t offset = s - padLeft;
            ptrdiff_t first = offset >= 0 ? 0 : (-offset + 3) / 4;
            ptrdiff_t last = width - offset <= 0 ? 0 : (width - offset + 3) / 4;
            if (first > extent) first = extent;
            if (last > extent) last = extent;
            if (last < first) last = first;
            for (ptrdiff_t j = 0; j < first; j++) phase[j] = 0;
            for (ptrdiff_t j = first; j < last; j++) phase[j] = source[4 * j + offset];
            for (ptrdiff_t j = last; j < extent; j++) phase[j] = 0;
        }
    }
}

// Any CPU: one float per "vector".
#define SD_SUFFIX portable
#define SD_TARGET
#define SD_V float
#define SD_LANES 1
#define SD_LOAD(p) (*(p))
#define SD_STORE(p, v) (*(p) = (v))
#define SD_LOAD_PART(p, n) ((void)(n), *(p))
#define SD_STORE_PART(p, v, n) ((void)(n), *(p) = (v))
#define SD_GATHER9(p, n) ((void)(n), *(p))
#define SD_ADD(x, y) ((x) + (y))
#define SD_SUB(x, y) ((x) - (y))
#define SD_MUL(x, y) ((x) * (y))
#define SD_SET1(x) (x)
#include "winograd4_template.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define SD_MASK16(n) ((n) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n)) - 1))
#define SD_SUFFIX avx512
#define SD_TARGET __attribute__((target("avx512f")))
#define SD_V __m512
#define SD_LANES 16
#define SD_LOAD(p) _mm512_loadu_ps(p)
#define SD_STORE(p, v) _mm512_storeu_ps((p), (v))
#define SD_LOAD_PART(p, n) _mm512_maskz_loadu_ps(SD_MASK16(n), (p))
#define SD_STORE_PART(p, v, n) _mm512_mask_storeu_ps((p), SD_MASK16(n), (v))
#define SD_GATHER9(p, n)                                                                                   \
    _mm512_mask_i32gather_ps(_mm512_setzero_ps(), SD_MASK16(n),                                            \
                             _mm512_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99, 108, 117, 126, 135), \
                             (p), 4)
#define SD_ADD _mm512_add_ps
#define SD_SUB _mm512_sub_ps
#define SD_MUL _mm512_mul_ps
#define SD_SET1 _mm512_set1_ps
#include "winograd4_template.h"

// The filter transform TRANSFORM of `count` float16 filters, LANES of them at a time widened by WIDEN
// into a float32 block on the stack: one definition for each instruction set.
#define SD_HALF_FILTERS(NAME, TARGET, LANES, WIDEN, TRANSFORM)                                  \
    TARGET void NAME(const void *weight, size_t count, float *u, size_t plane) {                 \
        float wide[9 * (LANES)];                                                                 \
        for (size_t f = 0; f < count; f += (LANES)) {                                            \
            size_t n = count - f < (LANES) ? count - f : (LANES);                                \
            WIDEN((const uint8_t *)weight + 18 * f, n, wide);                                    \
            TRANSFORM(wide, n, u + f, plane);                                                    \
        }                                                                                        \
    }

// Widens the 9·n IEEE halves of n ≤ 16 consecutive 3×3 filters (any alignment) into `wide`.
__attribute__((target("avx512f")))
static inline void sd_w4_widen_filters_avx512(const uint8_t *half, size_t n, float *wide) {
    size_t count = 9 * n, i = 0;
    for (; i + 16 <= count; i += 16)
        _mm512_storeu_ps(wide + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(half + 2 * i))));
    if (i < count) {
        // Masked 16-bit loads need AVX512-BW: copy the last halves instead.
        uint16_t rest[16] = { 0 };
        memcpy(rest, half + 2 * i, 2 * (count - i));
        _mm512_mask_storeu_ps(wide + i, SD_MASK16(count - i), _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)rest)));
    }
}

SD_HALF_FILTERS(sd_winograd4_filters_f16_avx512, __attribute__((target("avx512f"))), 16,
                sd_w4_widen_filters_avx512, sd_winograd4_filters_avx512)
SD_HALF_FILTERS(sd_winograd_filters_f16_avx512, __attribute__((target("avx512f"))), 16,
                sd_w4_widen_filters_avx512, sd_winograd_filters_avx512)

// Lanes below n set (all bits), the rest clear: the mask of AVX2's masked loads, stores and gathers.
__attribute__((target("avx2,fma")))
static inline __m256i sd_w4_mask8(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n > 8 ? 8 : n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define SD_SUFFIX avx2
#define SD_TARGET __attribute__((target("avx2,fma")))
#define SD_V __m256
#define SD_LANES 8
#define SD_LOAD(p) _mm256_loadu_ps(p)
#define SD_STORE(p, v) _mm256_storeu_ps((p), (v))
#define SD_LOAD_PART(p, n) _mm256_maskload_ps((p), sd_w4_mask8(n))
#define SD_STORE_PART(p, v, n) _mm256_maskstore_ps((p), sd_w4_mask8(n), (v))
#define SD_GATHER9(p, n)                                                                                   \
    _mm256_mask_i32gather_ps(_mm256_setzero_ps(), (p), _mm256_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63),    \
                             _mm256_castsi256_ps(sd_w4_mask8(n)), 4)
#define SD_ADD _mm256_add_ps
#define SD_SUB _mm256_sub_ps
#define SD_MUL _mm256_mul_ps
#define SD_SET1 _mm256_set1_ps
#include "winograd4_template.h"

// Widens the 9·n IEEE halves of n ≤ 8 consecutive 3×3 filters (any alignment) into `wide` with F16C,
// which every AVX2 CPU this runs on has (the caller checks it).
__attribute__((target("avx2,fma,f16c")))
static inline void sd_w4_widen_filters_avx2(const uint8_t *half, size_t n, float *wide) {
    size_t count = 9 * n, i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(wide + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(half + 2 * i))));
    if (i < count) {
        // A full 16-byte load could read past the weight's last byte: copy the last halves instead.
        uint16_t rest[8] = { 0 };
        memcpy(rest, half + 2 * i, 2 * (count - i));
        _mm256_maskstore_ps(wide + i, sd_w4_mask8(count - i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)rest)));
    }
}

SD_HALF_FILTERS(sd_winograd4_filters_f16_avx2, __attribute__((target("avx2,fma,f16c"))), 8,
                sd_w4_widen_filters_avx2, sd_winograd4_filters_avx2)
SD_HALF_FILTERS(sd_winograd_filters_f16_avx2, __attribute__((target("avx2,fma,f16c"))), 8,
                sd_w4_widen_filters_avx2, sd_winograd_filters_avx2)

#else
// Not x86: never called (Swift checks the CPU first).
void sd_winograd4_filters_f16_avx512(const void *weight, size_t count, float *u, size_t plane) {
    (void)weight; (void)count; (void)u; (void)plane;
}
void sd_winograd_filters_f16_avx512(const void *weight, size_t count, float *u, size_t plane) {
    (void)weight; (void)count; (void)u; (void)plane;
}
void sd_winograd4_filters_f16_avx2(const void *weight, size_t count, float *u, size_t plane) {
    (void)weight; (void)count; (void)u; (void)plane;
}
void sd_winograd_filters_f16_avx2(const void *weight, size_t count, float *u, size_t plane) {
    (void)weight; (void)count; (void)u; (void)plane;
}
void sd_winograd4_filters_avx512(const float *weight, size_t count, float *u, size_t plane) {
    (void)weight; (void)count; (void)u; (void)plane;
}
void sd_winograd4_filters_avx2(const float *weight, size_t count, float *u, size_t plane) {
    (void)weight; (void)count; (void)u; (void)plane;
}
void sd_winograd4_input_avx512(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                               ptrdiff_t padLeft, size_t columns, float *scratch, float *v, size_t plane) {
    (void)image; (void)height; (void)width; (void)firstRow; (void)padLeft; (void)columns; (void)scratch; (void)v; (void)plane;
}
void sd_winograd4_input_avx2(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                             ptrdiff_t padLeft, size_t columns, float *scratch, float *v, size_t plane) {
    (void)image; (void)height; (void)width; (void)firstRow; (void)padLeft; (void)columns; (void)scratch; (void)v; (void)plane;
}
void sd_winograd4_output_avx512(const float *m, size_t plane, size_t columns, float bias, float *out,
                                size_t outWidth, size_t rows) {
    (void)m; (void)plane; (void)columns; (void)bias; (void)out; (void)outWidth; (void)rows;
}
void sd_winograd4_output_avx2(const float *m, size_t plane, size_t columns, float bias, float *out,
                              size_t outWidth, size_t rows) {
    (void)m; (void)plane; (void)columns; (void)bias; (void)out; (void)outWidth; (void)rows;
}
#endif
