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

// Winograd F(4×4, 3×3): the same transforms with six-point tiles (36 positions ξ). Each comes in
// _avx512, _avx2 (x86 with that instruction set only) and _portable (any CPU) variants that give
// bit-identical results.

/// U = G g Gᵀ for `count` consecutive 3×3 filters (9 floats each): element ξ of filter f goes to
/// u[ξ·plane + f].
void sd_winograd4_filters_avx512(const float *weight, size_t count, float *u, size_t plane);
void sd_winograd4_filters_avx2(const float *weight, size_t count, float *u, size_t plane);
void sd_winograd4_filters_portable(const float *weight, size_t count, float *u, size_t plane);

/// Floats of the `scratch` that the input transform of a tile row of `columns` tiles needs.
size_t sd_winograd4_input_scratch(size_t columns);
/// Floats between two phase arrays of that scratch (internal to the transforms).
size_t sd_winograd4_phase_stride(size_t columns);

/// V = Bᵀ d B for the `columns` tiles of one tile row of one channel: `image` is the channel's
/// height×width plane; the tiles read input rows firstRow … firstRow + 5 and input columns
/// 4·j − padLeft … 4·j − padLeft + 5 (zero outside the image). Element ξ of tile j goes to
/// v[ξ·plane + j].
void sd_winograd4_input_avx512(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                               ptrdiff_t padLeft, size_t columns, float *scratch, float *v, size_t plane);
void sd_winograd4_input_avx2(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                             ptrdiff_t padLeft, size_t columns, float *scratch, float *v, size_t plane);
void sd_winograd4_input_portable(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                                 ptrdiff_t padLeft, size_t columns, float *scratch, float *v, size_t plane);

/// Y = Aᵀ M A + bias for the `columns` tiles of one tile row of one output channel: element ξ of
/// tile j is m[ξ·plane + j]; output row r < rows (≤ 4) of the tiles goes to out[r·outWidth + …],
/// the columns from 4·columns on (a last partial tile's) left out.
void sd_winograd4_output_avx512(const float *m, size_t plane, size_t columns, float bias, float *out,
                                size_t outWidth, size_t rows);
void sd_winograd4_output_avx2(const float *m, size_t plane, size_t columns, float bias, float *out,
                              size_t outWidth, size_t rows);
void sd_winograd4_output_portable(const float *m, size_t plane, size_t columns, float bias, float *out,
                                  size_t outWidth, size_t rows);

/// The F(2×2) (`sd_winograd_filters_*`) and F(4×4) filter transforms of `count` consecutive 3×3
/// filters stored as IEEE half precision (18 bytes each, any alignment), widened on the fly (exact):
/// the same result as widening first, without a float32 copy of the weight. AVX-512, or AVX2 with
/// F16C (the _avx2 variants; the caller checks F16C).
void sd_winograd_filters_f16_avx512(const void *weight, size_t count, float *u, size_t plane);
void sd_winograd4_filters_f16_avx512(const void *weight, size_t count, float *u, size_t plane);
void sd_winograd_filters_f16_avx2(const void *weight, size_t count, float *u, size_t plane);
void sd_winograd4_filters_f16_avx2(const void *weight, size_t count, float *u, size_t plane);

/// Attention scores of one block: s[r·lds + j] = scale · Σ_{d < dims} q[r·ldq + d] · k[j·ldk + d] for
/// r < rows, j < keys (Q and K strided). `packed` is scratch of at least dims · (8 · ⌈keys / 8⌉ + rows)
/// floats. AVX2 with FMA only.
void sd_attention_scores_avx2(const float *q, size_t ldq, const float *k, size_t ldk, size_t rows, size_t keys,
                              size_t dims, float scale, float *s, size_t lds, float *packed);
