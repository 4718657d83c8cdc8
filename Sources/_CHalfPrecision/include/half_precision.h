// Conversions between 16-bit floats (IEEE fp16, bfloat16) and float32 for TensorModule's weight
// storage. In C because Swift has no per-function target features: x86's F16C instructions convert
// eight values per instruction, while Swift's Float16 → Float conversion is a library call per value
// on x86-64 (≈ 20× slower). Not API.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Widens `count` IEEE half-precision values (unaligned, little-endian) to float32. Exact.
void sd_widen_f16(const void *source, float *destination, size_t count);

/// Widens `count` bfloat16 values (unaligned, little-endian) to float32. Exact.
void sd_widen_bf16(const void *source, float *destination, size_t count);

/// Rounds `count` float32 values to IEEE half precision (round to nearest even; overflow to ±inf).
void sd_narrow_f16(const float *source, void *destination, size_t count);

/// Rounds `count` float32 values to bfloat16 (round to nearest even; NaN stays NaN).
void sd_narrow_bf16(const float *source, void *destination, size_t count);

/// 1 when the F16C fast path is in use (x86 with F16C and OS-enabled AVX state, or ARM), else 0.
int sd_half_precision_hardware(void);
