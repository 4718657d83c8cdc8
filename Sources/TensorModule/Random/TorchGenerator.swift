#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A random source that reproduces PyTorch's CPU generator bit for bit:
/// `TorchGenerator(seed: S).normal(shape: s)` equals
/// `torch.randn(s, generator=torch.Generator("cpu").manual_seed(S), dtype=torch.float32)`,
/// and later requests continue the same stream as later `torch.randn` calls on that generator do
/// (diffusers draws the initial latents, then each stochastic step's noise, from one generator).
///
/// Like PyTorch, it samples in two ways depending on the size of the request:
/// - fewer than 16 elements: one Box–Muller pair per two elements in double precision from 53-bit
///   uniforms, the second value of each pair kept for the next scalar draw;
/// - 16 or more: 24-bit uniforms for every element, transformed in blocks of 16 in single
///   precision; when the size is not a multiple of 16, 16 fresh uniforms are drawn and the last 16
///   elements recomputed from them.
///
/// PyTorch's single-precision block transform exists in two builds that differ in the last bit of
/// some values; ``Kernel`` picks which one to match.
///
/// Matches `aten/src/ATen/native/cpu/DistributionTemplates.h` (`normal_kernel`, `normal_fill`),
/// `aten/src/ATen/core/DistributionsHelper.h` (`normal_distribution`, `uniform_real_distribution`),
/// `aten/src/ATen/core/MT19937RNGEngine.h` and `aten/src/ATen/CPUGeneratorImpl.cpp`. Only standard
/// normals in float32 are provided. Not thread-safe: one generation owns one generator.
public final class TorchGenerator: RandomSource {
    /// Which of PyTorch's builds of the 16-element Box–Muller block to reproduce.
    public enum Kernel: Sendable, Equatable {
        /// PyTorch on x86-64 CPUs with AVX2 or AVX-512 (almost every x86-64 machine since 2013): the
        /// Cephes polynomials of `avx_mathfun.h`. The default.
        case avx2
        /// PyTorch's portable build (x86-64 without AVX2, ARM, or `ATEN_CPU_CAPABILITY=default`):
        /// the C library's `logf`, `cosf` and `sinf`, so it matches PyTorch running on the same C
        /// library.
        case portable
    }

    /// The seed given at creation or by the last ``manualSeed(_:)`` (PyTorch's `initial_seed()`).
    /// Only its low 32 bits affect the stream, as in PyTorch.
    public private(set) var initialSeed: UInt64
    /// The block transform being reproduced.
    public let kernel: Kernel

    private var engine: MersenneTwister
    /// The second value of the last scalar Box–Muller pair, PyTorch's `next_double_normal_sample_`.
    private var cachedNormal: Double?

    /// Creates a generator in the state of `torch.Generator("cpu").manual_seed(seed)`.
    ///
    /// PyTorch maps a negative Python seed `s` to `0xffff_ffff_ffff_ffff + s`; pass that value.
    ///
    /// - Parameters:
    ///   - seed: The seed.
    ///   - kernel: Which PyTorch build to match; `.avx2` unless the reference ran without AVX2.
    public init(seed: UInt64, kernel: Kernel = .avx2) {
        self.initialSeed = seed
        self.kernel = kernel
        self.engine = MersenneTwister(seed: seed)
        self.cachedNormal = nil
    }

    /// Reseeds in place, as `generator.manual_seed(seed)` does (which also drops the cached
    /// normal sample).
    ///
    /// - Parameter seed: The new seed.
    public func manualSeed(_ seed: UInt64) {
        initialSeed = seed
        engine = MersenneTwister(seed: seed)
        cachedNormal = nil
    }

    /// Draws standard normal samples as one `torch.randn(shape, generator=…)` call.
    ///
    /// - Parameter shape: The shape of the result; only its element count affects the values.
    /// - Returns: A float32 tensor of standard normal samples.
    public func normal(shape: [Int]) -> Tensor {
        Tensor(shape: shape) { buffer in fillNormal(buffer) }
    }

    /// Fills `buffer` as `torch.randn` fills a contiguous float32 tensor of that many elements.
    func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        let count = buffer.count
        guard count > 0, let data = buffer.baseAddress else { return }
        if count < 16 {
            // `normal * std + mean` with std 1, mean 0, then narrowed: exact, but −0 becomes +0.
            for i in 0..<count { data[i] = Float(scalarNormal() + 0) }
            return
        }
        for i in 0..<count { data[i] = uniformFloat() }
        var start = 0
        while start + 16 <= count {
            transformBlock(data + start)
            start += 16
        }
        if count % 16 != 0 {
            // PyTorch redraws the last 16 uniforms and overwrites the last 16 outputs.
            let tail = data + (count - 16)
            for i in 0..<16 { tail[i] = uniformFloat() }
            transformBlock(tail)
        }
    }

    private func transformBlock(_ block: UnsafeMutablePointer<Float>) {
        switch kernel {
        case .avx2: TorchBoxMuller.vectorized(block)
        case .portable: TorchBoxMuller.portable(block)
        }
    }

    /// `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one 32-bit draw, times 2⁻²⁴.
    private func uniformFloat() -> Float {
        Float(engine.next32() & 0xFF_FFFF) * 0x1p-24
    }

    /// `uniform_real_distribution<double>(0, 1)`: the low 53 bits of a 64-bit draw, times 2⁻⁵³.
    private func uniformDouble() -> Double {
        Double(engine.next64() & 0x1F_FFFF_FFFF_FFFF) * 0x1p-53
    }

    /// `normal_distribution<double>(0, 1)`: returns the cached sample if there is one, else draws a
    /// pair and caches its sine half.
    private func scalarNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble()
        let u2 = uniformDouble()
        let radius = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }
}
