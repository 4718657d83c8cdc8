import _COpenBLAS
import _CVectorKernels

/// Vectorised single-precision math for the element-wise passes (softmax, activations, norms).
///
/// Written on `SIMD8<Float>` with only operations that lower to baseline x86-64 SSE2 (and NEON)
/// instructions: Swift compiles for the generic CPU, where `rounded()`, `clamped`, `pointwiseMin`
/// and fused multiply-add become library calls per lane. Rounding uses the 1.5·2²³ trick, clamping
/// `replacing(with:where:)`.
///
/// The scalar entry points evaluate the same vector code on a splat, so an element gets the same
/// value whichever path (vector body or scalar tail) computes it.
enum VectorMath {
    typealias Vector = SIMD8<Float>
    /// Lanes per vector.
    static let width = 8

    // MARK: exp

    /// Below this, `eˣ` is subnormal in float32 and is returned as exactly 0 (so `exp(-∞) = 0`, as
    /// a masked softmax needs).
    static let expUnderflow: Float = -87.336_54
    /// Above this, the result would need an exponent of 128; inputs are clamped to it (e⁸⁸ ≈ 1.65e38).
    static let expOverflow: Float = 88

    /// `eˣ` with a relative error ≤ 1.9e-7 (`e⁰` is exactly 1): 0 below ``expUnderflow``, `e⁸⁸` above ``expOverflow``,
    /// NaN for NaN.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let clamped = x.replacing(with: Vector(repeating: expOverflow), where: x .> Vector(repeating: expOverflow))
        return expCore(clamped).replacing(with: 0, where: x .< Vector(repeating: expUnderflow))
    }

    /// `eˣ` for `x ≤ 0` (softmax numerators after subtracting the row maximum): ``exp(_:)`` without
    /// the overflow clamp.
    @inline(__always)
    static func expNonPositive(_ x: Vector) -> Vector {
        expCore(x).replacing(with: 0, where: x .< Vector(repeating: expUnderflow))
    }

    /// `2ⁿ · p(r)` with `n = round(x / ln 2)`, `r = x − n ln 2` (Cody–Waite, two constants) and `p` a
    /// degree-5 polynomial for `eʳ` on [−ln 2 / 2, ln 2 / 2] with constant term 1, fitted for minimal
    /// relative error (9.1e-8; 1.9e-7 with float32 rounding). Valid for
    /// `expUnderflow ≤ x ≤ expOverflow`.
    ///
    /// Adding 1.5·2²³ + 127 rounds `x / ln 2` to an integer and leaves `n + 127` in the low bits of
    /// the sum, so shifting its bit pattern left by 23 gives the float `2ⁿ` directly.
    @inline(__always)
    static func expCore(_ x: Vector) -> Vector {
        let magic = Vector(repeating: 12_582_912 + 127)
        let shifted = x * 1.442_695_040_888_963_4 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_400_546_905_8e-4
        var p = Vector(repeating: 8.290_314_115_583_897e-3)
        p = p * r + 4.189_793_020_486_832e-2
        p = p * r + 1.666_763_573_884_964e-1
        p = p * r + 4.999_915_063_381_195e-1
        p = p * r + 9.999_997_019_767_761e-1
        p = p * r + 1
        let scale = unsafeBitCast(unsafeBitCast(shifted, to: SIMD8<Int32>.self) &<< 23, to: Vector.self)
        return p * scale
    }

    /// `1 / (1 + e⁻ˣ)`.
    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    /// `x · σ(x)` (SiLU / swish), as `x / (1 + e⁻ˣ)` like PyTorch.
    @inline(__always)
    static func silu(_ x: Vector) -> Vector { x / (1 + exp(-x)) }

    /// CLIP's `x · σ(1.702 x)`.
    @inline(__always)
    static func quickGELU(_ x: Vector) -> Vector { x / (1 + exp(-1.702 * x)) }

    // MARK: erf, GELU

    /// `erf(x)` by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), the approximation
    /// PyTorch's vectorised CPU kernels use for `erf` and therefore for exact GELU.
    @inline(__always)
    static func erf(_ x: Vector) -> Vector {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (magnitude * 0.327_591_1 + 1)
        var r = t * 1.061_405_429 - 1.453_152_027
        r = r * t + 1.421_413_741
        r = r * t - 0.284_496_736
        r = r * t + 0.254_829_592
        let result = 1 - r * t * exp(-(x * x))
        return result.replacing(with: -result, where: x .< 0)
    }

    /// Exact GELU, `x/2 · (1 + erf(x/√2))`.
    @inline(__always)
    static func gelu(_ x: Vector) -> Vector { 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_52)) }

    /// `tanh(x)` as `1 − 2 / (e²ˣ + 1)` (absolute error a few ulps of 1).
    @inline(__always)
    static func tanh(_ x: Vector) -> Vector { 1 - 2 / (exp(2 * x) + 1) }

    /// GELU with the tanh approximation (`gelu_pytorch_tanh`).
    @inline(__always)
    static func geluTanh(_ x: Vector) -> Vector {
        0.5 * x * (1 + tanh(0.797_884_560_802_865_36 * (x + 0.044_715 * x * x * x)))
    }

    /// `activation` applied lane-wise.
    @inline(__always)
    static func apply(_ activation: Activation, _ x: Vector) -> Vector {
        switch activation {
        case .silu: return silu(x)
        case .gelu: return gelu(x)
        case .geluTanh: return geluTanh(x)
        case .quickGELU: return quickGELU(x)
        }
    }

    /// The scalar value of a vector function: lane 0 of `f` on a splat.
    @inline(__always)
    static func scalar(_ x: Float, _ f: (Vector) -> Vector) -> Float { f(Vector(repeating: x))[0] }

    // MARK: Loads and stores

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// The first `count` (< 8) elements at `p`, the other lanes `fill`.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, count: Int, fill: Float = 0) -> Vector {
        var v = Vector(repeating: fill)
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    /// Stores the first `count` (< 8) lanes of `v` at `p`.
    @inline(__always)
    static func storePartial(_ v: Vector, _ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = v[i] }
    }

    // MARK: Array passes

    /// The widest instruction set the C kernels (`_CVectorKernels`) may use on this CPU: softmax
    /// rows go through them on AVX2 and AVX-512 machines, and through the Swift code below elsewhere.
    enum KernelLevel { case portable, avx2, avx512 }

    /// Decided once per process from CPUID and the OS's register-state support.
    static let kernelLevel: KernelLevel = {
        switch sd_x86_vector_tier() {
        case 3...: return .avx512
        case 2: return .avx2
        default: return .portable
        }
    }()

    /// `destination[i] = f(source[i])` for `count` elements (source and destination may be equal).
    @inline(__always)
    static func map(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
                    _ f: (Vector) -> Vector) {
        var i = 0
        while i + width <= count {
            store(f(load(source + i)), destination + i)
            i += width
        }
        if i < count { storePartial(f(loadPartial(source + i, count: count - i)), destination + i, count: count - i) }
    }

    /// `p[i] = activation(p[i])` for `count` elements.
    static func apply(_ activation: Activation, to p: UnsafeMutablePointer<Float>, count: Int) {
        switch activation {
        case .silu: map(p, p, count: count, silu)
        case .gelu: map(p, p, count: count, gelu)
        case .geluTanh: map(p, p, count: count, geluTanh)
        case .quickGELU: map(p, p, count: count, quickGELU)
        }
    }

    /// The largest of `count` ≥ 1 elements (NaN-free input assumed; `-∞` allowed).
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, count: Int, level: KernelLevel = kernelLevel) -> Float {
        switch level {
        case .avx512: return sd_maximum_avx512(p, count)
        case .avx2: return sd_maximum_avx2(p, count)
        case .portable: return portableMaximum(p, count: count)
        }
    }

    @inline(__always)
    static func portableMaximum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var m = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= count {
            let v = load(p + i)
            m = m.replacing(with: v, where: v .> m)
            i += width
        }
        var result = -Float.infinity
        for lane in 0..<width where m[lane] > result { result = m[lane] }
        while i < count {
            if p[i] > result { result = p[i] }
            i += 1
        }
        return result
    }

    /// Replaces each of `count` elements by `exp(x − shift)` (`shift` at least their maximum) and
    /// returns their sum. The sum is
    /// accumulated in 8 lanes then added in a fixed order, so it does not depend on the caller.
    @inline(__always)
    static func exponentiateAndSum(_ p: UnsafeMutablePointer<Float>, count: Int, shift: Float,
                                   level: KernelLevel = kernelLevel) -> Float {
        switch level {
        case .avx512: return sd_exp_shifted_sum_avx512(p, count, shift)
        case .avx2: return sd_exp_shifted_sum_avx2(p, count, shift)
        case .portable: return portableExponentiateAndSum(p, count: count, shift: shift)
        }
    }

    @inline(__always)
    static func portableExponentiateAndSum(_ p: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        let s = Vector(repeating: shift)
        var sum = Vector.zero
        var i = 0
        while i + width <= count {
            let e = expNonPositive(load(p + i) - s)
            store(e, p + i)
            sum += e
            i += width
        }
        if i < count {
            // Padding lanes hold -∞, whose exp is exactly 0.
            let e = expNonPositive(loadPartial(p + i, count: count - i, fill: -.infinity) - s)
            storePartial(e, p + i, count: count - i)
            sum += e
        }
        return ((sum[0] + sum[4]) + (sum[1] + sum[5])) + ((sum[2] + sum[6]) + (sum[3] + sum[7]))
    }

    /// `p[i] *= factor` for `count` elements.
    @inline(__always)
    static func scale(_ p: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let f = Vector(repeating: factor)
        var i = 0
        while i + width <= count {
            store(load(p + i) * f, p + i)
            i += width
        }
        while i < count {
            p[i] *= factor
            i += 1
        }
    }
}
