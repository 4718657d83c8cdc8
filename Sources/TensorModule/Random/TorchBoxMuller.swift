#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PyTorch's Box–Muller transform of 16 uniforms into 16 normals (`NormalFill16` in
/// `aten/src/ATen/native/cpu/DistributionTemplates.h`): lanes `j` and `j + 8` of a block become
/// `r·cos θ` and `r·sin θ` with `r = √(−2 ln(1 − u[j]))` and `θ = 2π · u[j + 8]`.
///
/// PyTorch has two builds of it that round differently, so both are reproduced here lane by lane.
enum TorchBoxMuller {
    /// The AVX2 build (also used by PyTorch's AVX-512 kernels), with the Cephes polynomials of
    /// `avx_mathfun.h`. GCC compiles those intrinsics with floating-point contraction on, so some
    /// multiply–add pairs are fused: the fused pairs below were read from the machine code and the
    /// result checked bit for bit against `torch.randn`.
    static func vectorized(_ block: UnsafeMutablePointer<Float>) {
        let twoPi = Float(bitPattern: 0x40C9_0FDB)  // (float)(2π)
        for j in 0..<8 {
            let u1 = 1 - block[j]
            let u2 = block[j + 8]
            let radius = (-2 * cephesLog(u1)).squareRoot()
            let (sine, cosine) = cephesSinCos(twoPi * u2)
            // `fmadd(n, std = 1, mean = 0)`: exact, except that it turns −0 into +0.
            block[j] = radius * cosine + 0
            block[j + 8] = radius * sine + 0
        }
    }

    /// The portable build (CPUs without AVX2, and non-x86 machines), calling the C library's
    /// single-precision `logf`, `cosf` and `sinf`.
    static func portable(_ block: UnsafeMutablePointer<Float>) {
        for j in 0..<8 {
            let u1 = 1 - block[j]
            let u2 = block[j + 8]
            let radius = (-2 * logf(u1)).squareRoot()
            // `2.0f * c10::pi<double> * u2` is evaluated in double, then stored as float.
            let theta = Float(2 * Double.pi * Double(u2))
            block[j] = radius * cosf(theta) + 0
            block[j + 8] = radius * sinf(theta) + 0
        }
    }

    // MARK: - One lane of avx_mathfun.h

    /// `log256_ps` for one lane: Cephes `logf` with its range reduction, NaN for x ≤ 0.
    static func cephesLog(_ input: Float) -> Float {
        let invalid = input <= 0
        var x = Swift.max(input, Float(bitPattern: 0x0080_0000))  // cut off denormals
        let biasedExponent = Int32(bitPattern: x.bitPattern >> 23)
        x = Float(bitPattern: (x.bitPattern & ~0x7F80_0000) | Float(0.5).bitPattern)
        var e = Float(biasedExponent - 0x7F) + 1
        let below = x < Float(bitPattern: 0x3F35_04F3)  // √½
        let tmp: Float = below ? x : 0
        x = x - 1
        e = e - (below ? 1 : 0)
        x = x + tmp
        let z = x * x
        let coefficients: [UInt32] = [
            0x3D90_21BB, 0xBDEB_D1B8, 0x3DEF_251A, 0xBDFE_5D4F, 0x3E11_E9BF,
            0xBE2A_AE50, 0x3E4C_CEAC, 0xBE7F_FFFC, 0x3EAA_AAAA,
        ]
        var y = Float(bitPattern: coefficients[0])
        for c in coefficients.dropFirst() { y = Float(bitPattern: c).addingProduct(y, x) }
        y = y * x
        let q1 = Float(bitPattern: 0xB95E_8083), q2 = Float(bitPattern: 0x3F31_8000)
        y = (e * q1).addingProduct(y, z)
        y = y.addingProduct(-z, 0.5)
        x = x + y
        x = x.addingProduct(e, q2)
        return invalid ? .nan : x
    }

    /// `sincos256_ps` for one lane: Cephes `sinf`/`cosf` with the extended-precision reduction
    /// modulo π/4.
    static func cephesSinCos(_ input: Float) -> (sin: Float, cos: Float) {
        var signSin = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        let scaled = x * Float(bitPattern: 0x3FA2_F983)  // 4/π
        // cvttps2dq: truncation, with the "integer indefinite" value for out-of-range inputs.
        var j = scaled.isFinite && abs(scaled) < 2_147_483_648 ? Int32(scaled) : Int32.min
        j = (j &+ 1) & ~1
        let y = Float(j)
        signSin ^= UInt32(bitPattern: j & 4) << 29
        let firstPolynomial = (j & 2) == 0
        x = x.addingProduct(y, Float(bitPattern: 0xBF49_0000))
        x = x.addingProduct(y, Float(bitPattern: 0xB97D_A000))
        x = x.addingProduct(y, Float(bitPattern: 0xB322_2169))
        let signCos = UInt32(bitPattern: ~(j &- 2) & 4) << 29
        let z = x * x

        var cosine = Float(bitPattern: 0x37CC_F5CE)
        cosine = Float(bitPattern: 0xBAB6_061A).addingProduct(cosine, z)
        cosine = Float(bitPattern: 0x3D2A_AAA5).addingProduct(cosine, z)
        cosine = z * cosine
        let halfZ = z * 0.5
        cosine = (-halfZ).addingProduct(cosine, z)
        cosine = cosine + 1

        var sine = Float(bitPattern: 0xB94C_A1F9)
        sine = Float(bitPattern: 0x3C08_839E).addingProduct(sine, z)
        sine = Float(bitPattern: 0xBE2A_AAA3).addingProduct(sine, z)
        sine = z * sine
        sine = x.addingProduct(sine, x)

        // The blend, written as the vector code computes it so signed zeros come out the same.
        let sinFromSine: Float = firstPolynomial ? sine : 0
        let sinFromCosine: Float = firstPolynomial ? 0 : cosine
        let sinValue = sinFromCosine + sinFromSine
        let cosValue = (cosine - sinFromCosine) + (sine - sinFromSine)
        return (Float(bitPattern: sinValue.bitPattern ^ signSin), Float(bitPattern: cosValue.bitPattern ^ signCos))
    }
}
