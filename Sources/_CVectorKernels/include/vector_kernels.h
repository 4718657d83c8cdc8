// Element-wise kernels of the tensor engine written with x86 vector intrinsics, each compiled for
// the instruction set in its name. Swift compiles for baseline x86-64 (SSE2, no FMA), so these are
// the only way to use AVX2/AVX-512 outside OpenBLAS. Callers check the CPU first
// (sd_x86_vector_tier in _COpenBLAS); on other CPUs and architectures the functions are stubs that
// must not be called. Not API.
#pragma once
#include <stddef.h>

/// Replaces p[i] by exp(p[i] - shift) for i < count (shift ≥ every p[i]; exactly 0 below the
/// float32 range) and returns their sum. Relative error ≤ 2e-7, as VectorMath.expNonPositive.
float sd_exp_shifted_sum_avx512(float *p, size_t count, float shift);
float sd_exp_shifted_sum_avx2(float *p, size_t count, float shift);

/// The largest of count ≥ 1 floats (no NaN).
float sd_maximum_avx512(const float *p, size_t count);
float sd_maximum_avx2(const float *p, size_t count);

/// Winograd F(2x2, 3x3) filter transform U = G g Gᵀ for `count` consecutive 3×3 filters
/// (`weight` points at the first, 9 floats each): element ξ of filter f goes to u[ξ·plane + f].
void sd_winograd_filters_avx512(const float *weight, size_t count, float *u, size_t plane);
void sd_winograd_filters_avx2(const float *weight, size_t count, float *u, size_t plane);
