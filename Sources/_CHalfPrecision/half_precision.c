#include "half_precision.h"
#include <string.h>

// Portable conversions: exact for every bit pattern (checked exhaustively by the tests).
static inline float widen_f16_scalar(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0x1Fu) {
        bits = sign | 0x7F800000u | (mantissa << 13);              // inf, NaN (payload kept)
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;                                                // ±0
    } else {
        // Subnormal half: normalise into a float32 normal.
        int shift = 0;
        while ((mantissa & 0x400u) == 0) { mantissa <<= 1; shift++; }
        mantissa &= 0x3FFu;
        bits = sign | ((uint32_t)(113 - shift) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

static inline uint16_t narrow_f16_scalar(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    uint32_t sign = (bits >> 16) & 0x8000u;
    uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude >= 0x7F800000u) {                                 // inf or NaN
        return (uint16_t)(sign | 0x7C00u | (magnitude > 0x7F800000u ? 0x200u | ((magnitude >> 13) & 0x3FFu) : 0));
    }
    if (magnitude >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u); // rounds to ≥ 65520: inf
    if (magnitude < 0x38800000u) {                                   // below the smallest normal half
        if (magnitude < 0x33000000u) return (uint16_t)sign;          // below half the smallest subnormal
        uint32_t exponent = magnitude >> 23;
        uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
        uint32_t shift = 126 - exponent;                             // 14 + (112 - exponent) … into 10 bits
        uint32_t half = mantissa >> shift;
        uint32_t remainder = mantissa & ((1u << shift) - 1);
        uint32_t midpoint = 1u << (shift - 1);
        if (remainder > midpoint || (remainder == midpoint && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((magnitude >> 13) - (112u << 10));
    uint32_t remainder = magnitude & 0x1FFFu;
    if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u))) half++;
    return (uint16_t)(sign | half);
}

static inline uint16_t narrow_bf16_scalar(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x40u); // quiet NaN
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

static void widen_f16_portable(const uint8_t *source, float *destination, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint16_t h;
        memcpy(&h, source + 2 * i, 2);
        destination[i] = widen_f16_scalar(h);
    }
}

static void narrow_f16_portable(const float *source, uint8_t *destination, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint16_t h = narrow_f16_scalar(source[i]);
        memcpy(destination + 2 * i, &h, 2);
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("avx,f16c")))
static void widen_f16_f16c(const uint8_t *source, float *destination, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(source + 2 * i));
        __m128i b = _mm_loadu_si128((const __m128i *)(source + 2 * i + 16));
        _mm256_storeu_ps(destination + i, _mm256_cvtph_ps(a));
        _mm256_storeu_ps(destination + i + 8, _mm256_cvtph_ps(b));
    }
    widen_f16_portable(source + 2 * i, destination + i, count - i);
}

__attribute__((target("avx,f16c")))
static void narrow_f16_f16c(const float *source, uint8_t *destination, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)(destination + 2 * i), h);
    }
    narrow_f16_portable(source + i, destination + 2 * i, count - i);
}

// F16C uses VEX-encoded YMM registers: the CPU must have F16C and AVX, and the OS must save YMM state.
static int detect_f16c(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx || !f16c) return 0;
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0x6) == 0x6;
}

static int has_f16c(void) {
    static int cached = -1;   // a benign race: every thread computes the same value
    if (cached < 0) cached = detect_f16c();
    return cached;
}

void sd_widen_f16(const void *source, float *destination, size_t count) {
    if (has_f16c()) widen_f16_f16c(source, destination, count);
    else widen_f16_portable(source, destination, count);
}

void sd_narrow_f16(const float *source, void *destination, size_t count) {
    if (has_f16c()) narrow_f16_f16c(source, destination, count);
    else narrow_f16_portable(source, destination, count);
}

int sd_half_precision_hardware(void) { return has_f16c(); }

#elif defined(__aarch64__)
// ARMv8 converts half precision natively; the compiler vectorises these loops (fcvtl / fcvtn).
void sd_widen_f16(const void *source, float *destination, size_t count) {
    const uint8_t *bytes = source;
    for (size_t i = 0; i < count; i++) {
        __fp16 h;
        memcpy(&h, bytes + 2 * i, 2);
        destination[i] = (float)h;
    }
}

void sd_narrow_f16(const float *source, void *destination, size_t count) {
    uint8_t *bytes = destination;
    for (size_t i = 0; i < count; i++) {
        __fp16 h = (__fp16)source[i];
        memcpy(bytes + 2 * i, &h, 2);
    }
}

int sd_half_precision_hardware(void) { return 1; }

#else
void sd_widen_f16(const void *source, float *destination, size_t count) { widen_f16_portable(source, destination, count); }
void sd_narrow_f16(const float *source, void *destination, size_t count) { narrow_f16_portable(source, destination, count); }
int sd_half_precision_hardware(void) { return 0; }
#endif

// bfloat16 is the top half of a float32: a shift, which compilers vectorise on every target.
void sd_widen_bf16(const void *source, float *destination, size_t count) {
    const uint8_t *bytes = source;
    uint32_t *out = (uint32_t *)destination;
    for (size_t i = 0; i < count; i++) {
        uint16_t h;
        memcpy(&h, bytes + 2 * i, 2);
        out[i] = (uint32_t)h << 16;
    }
}

void sd_narrow_bf16(const float *source, void *destination, size_t count) {
    uint8_t *bytes = destination;
    for (size_t i = 0; i < count; i++) {
        uint16_t h = narrow_bf16_scalar(source[i]);
        memcpy(bytes + 2 * i, &h, 2);
    }
}
