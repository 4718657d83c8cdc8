/// Tolerances of the torch comparisons.
///
/// The measured errors quoted are torch 2.15 (MKL, oneDNN, Sleef) against this engine (OpenBLAS
/// SkylakeX kernel, 2 threads) on the fixtures of `tensor_ops.py`; the bounds leave headroom for
/// other BLAS kernels and thread counts, which change the summation order again.
enum Tolerance {
    /// GEMM-based ops (linear, matmul, conv2d, attention), relative to the output's largest
    /// magnitude. Float32 sums of K products rounded in a different order (MKL's or oneDNN's
    /// blocking against OpenBLAS's, im2col against a direct convolution) differ by about
    /// √K · 2⁻²⁴ of the terms' magnitude, so ~1e-6 of the output scale for K up to a few thousand.
    /// Measured: ≤ 3e-7 for K ≤ 96, 1.5e-6 for the K = 4608 convolution.
    static let gemm: Float = 1e-5
    /// Group and layer norm, relative to the output scale. This engine accumulates mean and
    /// variance in Double, torch in float32 with its own reduction tree: a few ulps of the
    /// normalised values. Measured: ≤ 1.8e-7. The large-mean cases (mean 50, spread 0.01) compare
    /// with a float64 reference instead, because torch's float32 kernel is 1.6e-4 off there;
    /// measured 8e-8.
    static let normalization: Float = 1e-6
    /// Softmax, relative to the output scale: the C library's `expf` against torch's vectorised
    /// exp (a few ulps), then one multiplication per element. Measured: 3e-8.
    static let softmax: Float = 1e-6
    /// SiLU and QuickGELU, element-wise `|a − e| ≤ absolute + relative · |e|`: `expf` against
    /// Sleef's exp differ by 1–2 ulps (measured: 2 ulps, relative 2.2e-7).
    static let activationRelative: Float = 1e-6
    /// Absolute floor for SiLU and QuickGELU, where outputs underflow towards 0 for x ≪ 0.
    static let activationAbsolute: Float = 1e-7
    /// Exact GELU, absolute part: `1 + erf(x/√2)` cancels for x ≪ 0 in both implementations, so
    /// both carry an absolute error near |x| · 2⁻²⁴ (7e-7 at |x| = 12). Measured: 8.1e-7.
    static let geluAbsolute: Float = 2e-6
}
