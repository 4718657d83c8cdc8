import Foundation
import Testing
@testable import TensorModule

/// The compute kernels behind the ops: vectorised exp and its C versions, Winograd convolution
/// against unfolded (im2col) convolution and a float64 reference, GEMM independence from the
/// thread count, and buffer reuse.
@Suite("Compute kernels")
struct ComputeKernelTests {
    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    static func tensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: values(shape.reduce(1, *), seed: seed).map { $0 * scale })
    }

    @Test("exp: relative error ≤ 2e-7 over the float range, exact at 0, 0 below it, NaN kept")
    func exp() {
        var worst = 0.0
        var x: Float = -87.3
        while x < 88 {
            let value = Double(VectorMath.scalar(x, VectorMath.exp))
            worst = max(worst, abs(value / Foundation.exp(Double(x)) - 1))
            x += 0.0137
        }
        // 1.9e-7 measured (degree-5 polynomial, float32 rounding); an error in a coefficient's
        // third digit gives 1e-5 or more.
        #expect(worst <= 2e-7)
        #expect(VectorMath.scalar(0, VectorMath.exp) == 1)
        #expect(VectorMath.scalar(-.infinity, VectorMath.exp) == 0)
        #expect(VectorMath.scalar(-100, VectorMath.expNonPositive) == 0)
        #expect(VectorMath.scalar(.nan, VectorMath.exp).isNaN)
        #expect(VectorMath.scalar(1000, VectorMath.exp).isFinite)
    }

    @Test("The AVX2 and AVX-512 softmax kernels agree with the portable code", arguments: [1, 7, 8, 17, 77, 512, 1000])
    func softmaxKernels(count: Int) {
        let tier = Int(sd_x86_vector_tier_for_tests())
        let input = Self.values(count, seed: UInt64(count)).map { $0 * 30 } + [-.infinity]
        let n = input.count
        let shift = input.max()!
        var reference = input
        let referenceSum = reference.withUnsafeMutableBufferPointer {
            VectorMath.exponentiateAndSum($0.baseAddress!, count: n, shift: shift, level: .portable)
        }
        #expect(input.withUnsafeBufferPointer { VectorMath.maximum($0.baseAddress!, count: n, level: .portable) } == shift)
        var levels: [VectorMath.KernelLevel] = []
        if tier >= 2 { levels.append(.avx2) }
        if tier >= 3 { levels.append(.avx512) }
        for level in levels {
            let name = "\(level)"
            #expect(input.withUnsafeBufferPointer { VectorMath.maximum($0.baseAddress!, count: n, level: level) } == shift, "\(name) maximum")
            var values = input
            let sum = values.withUnsafeMutableBufferPointer {
                VectorMath.exponentiateAndSum($0.baseAddress!, count: n, shift: shift, level: level)
            }
            // Same polynomial with fused multiply-adds: a few ulps apart.
            #expect(abs(sum / referenceSum - 1) <= 1e-6, "\(name) sum \(sum) vs \(referenceSum)")
            for (a, b) in zip(values, reference) { #expect(abs(a - b) <= 1e-6 * max(abs(b), 1e-30), "\(name): \(a) vs \(b)") }
            #expect(values.last == 0, "\(name): exp(-inf) must be 0")
        }
    }

    /// Direct 3×3 convolution in float64 (zero padding `pad` on every side).
    static func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor, pad: Int) -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = w.shape[0]
        let (oh, ow) = (h + 2 * pad - 2, wd + 2 * pad - 2)
        let xs = x.scalars, ws = w.scalars, bs = b.scalars
        var out = [Double](repeating: 0, count: n * k * oh * ow)
        for i in 0..<n { for o in 0..<k { for y in 0..<oh { for xx in 0..<ow {
            var sum = Double(bs[o])
            for ci in 0..<c { for dy in 0..<3 { for dx in 0..<3 {
                let iy = y + dy - pad, ix = xx + dx - pad
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                sum += Double(xs[((i * c + ci) * h + iy) * wd + ix]) * Double(ws[((o * c + ci) * 3 + dy) * 3 + dx])
            } } }
            out[((i * k + o) * oh + y) * ow + xx] = sum
        } } } }
        return out
    }

    struct ConvolutionCase: Sendable, CustomStringConvertible {
        let batch: Int, channels: Int, outChannels: Int, height: Int, width: Int, pad: Int
        var description: String { "\(batch)×\(channels)×\(height)×\(width) → \(outChannels), pad \(pad)" }
    }

    @Test("Winograd F(2×2, 3×3) matches unfolded convolution and a float64 reference", arguments: [
        ConvolutionCase(batch: 2, channels: 16, outChannels: 24, height: 16, width: 16, pad: 1),
        ConvolutionCase(batch: 1, channels: 9, outChannels: 8, height: 13, width: 21, pad: 1),   // odd sides
        ConvolutionCase(batch: 2, channels: 8, outChannels: 12, height: 11, width: 30, pad: 0),  // no padding
        ConvolutionCase(batch: 1, channels: 12, outChannels: 8, height: 35, width: 7, pad: 1),   // narrow
    ])
    func winograd(_ c: ConvolutionCase) throws {
        let x = Self.tensor([c.batch, c.channels, c.height, c.width], seed: 1)
        let w = Self.tensor([c.outChannels, c.channels, 3, 3], seed: 2, scale: 1 / Float(9 * c.channels).squareRoot())
        let b = Self.tensor([c.outChannels], seed: 3, scale: 0.1)
        let (oh, ow) = (c.height + 2 * c.pad - 2, c.width + 2 * c.pad - 2)
        #expect(Winograd.applies(channels: c.channels, outChannels: c.outChannels, kernelHeight: 3, kernelWidth: 3,
                                 stride: 1, batch: c.batch, outHeight: oh, outWidth: ow))
        // F(2×2) explicitly: conv2d may take F(4×4) (Winograd4x4Tests).
        var winograd = Tensor.uninitialized([c.batch, c.outChannels, oh, ow])
        let plan = Winograd.Plan(batch: c.batch, channels: c.channels, outChannels: c.outChannels, height: c.height,
                                 width: c.width, outHeight: oh, outWidth: ow, padTop: c.pad, padLeft: c.pad, tile: 2)
        winograd.withUnsafeMutableBufferPointer { out in
            Winograd.convolve(plan, input: x.pointer, weight: w.pointer, bias: b.pointer, output: out.baseAddress!)
        }
        let unfolded = try x.conv2d(weight: w, bias: b, stride: 1, padding: .uniform(c.pad), allowWinograd: false)
        let exact = Self.reference(x, w, b, pad: c.pad)
        let scale = exact.map(abs).max() ?? 1
        func error(_ t: Tensor) -> Double { zip(t.scalars, exact).map { abs(Double($0) - $1) }.max() ?? 0 }
        // Both round float32 sums of 9·C products; Winograd also rounds its transforms (adds and
        // halvings). Measured: ≤ 1.3× the unfolded error. 1e-5 of the scale is Tolerance.gemm.
        #expect(error(winograd) <= 1e-5 * scale, "winograd \(error(winograd)), unfolded \(error(unfolded)), scale \(scale)")
        #expect(error(unfolded) <= 1e-5 * scale)

        // Several bands of tile rows and several groups of output channels give the same result.
        var split = Tensor.uninitialized(winograd.shape)
        split.withUnsafeMutableBufferPointer { out in
            Winograd.convolve(plan, input: x.pointer, weight: w.pointer, bias: b.pointer, output: out.baseAddress!,
                              bandBytes: 16 * (c.channels + 5) * plan.tileColumns * 4, filterBytes: 16 * c.channels * 5 * 4)
        }
        // Different bands are differently shaped GEMMs, which OpenBLAS's Haswell/Zen kernels round
        // differently at block edges (bit-identical with the SkylakeX kernel): the Winograd tolerance.
        #expect(error(split) <= 1e-5 * scale, "split \(error(split)), scale \(scale)")
    }

    @Test("The C filter transforms equal the portable one", arguments: [1, 7, 8, 9, 16, 17, 100])
    func filterTransforms(filters: Int) {
        let tier = Int(sd_x86_vector_tier_for_tests())
        let weight = Self.values(filters * 9, seed: UInt64(filters))
        func transform(_ level: VectorMath.KernelLevel) -> [Float] {
            var u = [Float](repeating: .nan, count: 16 * filters)
            weight.withUnsafeBufferPointer { w in
                u.withUnsafeMutableBufferPointer { out in
                    Winograd.transformFilters(w.baseAddress!, outChannels: filters, channels: 1, into: out.baseAddress!, level: level)
                }
            }
            return u
        }
        let portable = transform(.portable)
        #expect(!portable.contains { $0.isNaN })
        // Adds and halvings in the same order: bit-identical.
        if tier >= 2 { #expect(transform(.avx2) == portable) }
        if tier >= 3 { #expect(transform(.avx512) == portable) }
    }

    @Test("GEMM results do not depend on the OpenBLAS thread count (attention and Winograd run GEMMs single-threaded)")
    func gemmThreadIndependence() throws {
        let saved = ComputeConfiguration.threads
        defer { ComputeConfiguration.threads = saved }
        // 154×768: the text encoder's projections, cut into eight column tiles for the threads.
        for (m, n, k) in [(300, 200, 96), (64, 520, 40), (2, 130, 70), (154, 768, 24)] {
            let a = Self.tensor([m, k], seed: 4), b = Self.tensor([n, k], seed: 5)
            ComputeConfiguration.threads = 1
            let one = try a.matmul(b, transposeOther: true)
            ComputeConfiguration.threads = 2
            let two = try a.matmul(b, transposeOther: true)
            let single = try OpenBLAS.withSingleThreadedCalls { try a.matmul(b, transposeOther: true) }
            #expect(one.scalars == two.scalars && two.scalars == single.scalars, "\(m)×\(n)×\(k)")
        }
    }

    @Test("Products are cut into equal tiles, at least eight when the shape allows; single-threaded call sites keep 256×512")
    func gemmTiling() throws {
        func tiles(_ m: Int, _ n: Int, sharedOut: Bool = true) -> (side: (Int, Int), count: Int) {
            let side = GEMM.tiling(m: m, n: n, sharedOut: sharedOut)
            return (side, ((m + side.rows - 1) / side.rows) * ((n + side.columns - 1) / side.columns))
        }
        // Large products: tiles of at most 256 × 512, equal (1280 columns: 3 × 432, not 512 + 512 + 256).
        #expect(tiles(8192, 320).side == (256, 320) && tiles(8192, 1280).side == (256, 432))
        // 320 rows: two equal tiles, not 256 + 64; then split along the columns to eight tiles.
        #expect(tiles(320, 1024).side == (160, 256) && tiles(320, 1024).count == 8)
        // The text encoder (154 × 768): A is the small operand, so the columns are split.
        #expect(tiles(154, 768).side == (160, 96) && tiles(154, 768).count == 8)
        // An im2col convolution at 8² (1280 output channels × 64 positions): rows are split.
        #expect(tiles(1280, 64).side == (160, 64) && tiles(1280, 64).count == 8)
        // Too small to split: one tile.
        #expect(tiles(20, 50).count == 1)
        // Winograd's and attention's single-threaded GEMMs: the fixed tiles.
        #expect(tiles(320, 1024, sharedOut: false).side == (256, 512))
        // Every element is computed once: a split product equals the naive one (float32 sums of 24
        // products of values ≤ 1 in magnitude: ≤ 24 · 2⁻²⁴ · 24 ≈ 3.4e-5 apart).
        let (m, n, k) = (154, 300, 24)
        let a = Self.tensor([m, k], seed: 8), b = Self.tensor([k, n], seed: 9)
        let product = try a.matmul(b)
        let (x, y) = (a.scalars, b.scalars)
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += x[i * k + p] * y[p * n + j] }
                worst = max(worst, abs(sum - product.scalars[i * n + j]))
            }
        }
        #expect(worst <= 3.4e-5)
    }

    @Test("Freed large buffers are reused for requests that fill most of them")
    func bufferReuse() {
        // A pool of its own, so that other tests running meanwhile neither take nor drain the buffer.
        let pool = BufferPool()
        let bytes = (29 << 20) + 4096 * 7
        let first = pool.allocate(byteCount: bytes)
        pool.release(first.pointer, byteCount: first.byteCount)
        let again = pool.allocate(byteCount: bytes - 4096)
        #expect(again.pointer == first.pointer && again.byteCount == first.byteCount)
        pool.release(again.pointer, byteCount: again.byteCount)
        // Too small a request for that buffer: fresh memory instead.
        let small = pool.allocate(byteCount: bytes / 2)
        #expect(small.pointer != first.pointer)
        pool.release(small.pointer, byteCount: small.byteCount)
        let tiny = pool.allocate(byteCount: 100)
        #expect(tiny.byteCount == 100)
        pool.release(tiny.pointer, byteCount: tiny.byteCount)
    }

    @Test("Inside withoutGrowing a kept buffer still serves its size, and a miss first returns kept memory of its size")
    func bufferPoolWithoutGrowing() {
        let pool = BufferPool()
        let small = (0..<3).map { _ in pool.allocate(byteCount: 1 << 20) }
        for buffer in small { pool.release(buffer.pointer, byteCount: buffer.byteCount) }
        #expect(pool.retainedBytes == 3 << 20)
        pool.withoutGrowing {
            // A hit: reused as always, nothing returned.
            let hit = pool.allocate(byteCount: 1 << 20)
            #expect(small.contains { $0.pointer == hit.pointer } && pool.retainedBytes == 2 << 20)
            pool.release(hit.pointer, byteCount: hit.byteCount)
            #expect(pool.retainedBytes == 3 << 20)
            // A miss for 2 MiB: the two oldest 1 MiB buffers go back to the system first.
            let miss = pool.allocate(byteCount: 2 << 20)
            #expect(pool.retainedBytes == 1 << 20)
            pool.release(miss.pointer, byteCount: miss.byteCount)
            // A miss larger than all that is kept returns all of it.
            let large = pool.allocate(byteCount: 8 << 20)
            #expect(pool.retainedBytes == 0)
            pool.release(large.pointer, byteCount: large.byteCount)
        }
        // Outside the scope a miss leaves the kept buffers alone.
        let other = pool.allocate(byteCount: 4 << 20)
        #expect(pool.retainedBytes == 8 << 20)
        pool.release(other.pointer, byteCount: other.byteCount)
    }

    @Test("The pool keeps at most its capacity, oldest buffers going first; lowering it trims at once")
    func bufferPoolCapacity() {
        let pool = BufferPool(capacityBytes: 3 << 20)
        let buffers = (0..<4).map { _ in pool.allocate(byteCount: 1 << 20) }
        for buffer in buffers { pool.release(buffer.pointer, byteCount: buffer.byteCount) }
        // Four 1 MiB buffers released into 3 MiB: the first one released was returned to the system.
        #expect(pool.retainedBytes == 3 << 20)
        let reused = pool.allocate(byteCount: 1 << 20)
        #expect(buffers.dropFirst().contains { $0.pointer == reused.pointer })
        pool.release(reused.pointer, byteCount: reused.byteCount)
        pool.capacityBytes = 1 << 20
        #expect(pool.retainedBytes == 1 << 20)
        pool.capacityBytes = 0
        #expect(pool.retainedBytes == 0)
        // Nothing is kept any more: a release frees at once.
        let last = pool.allocate(byteCount: 1 << 20)
        pool.release(last.pointer, byteCount: last.byteCount)
        #expect(pool.retainedBytes == 0)
    }
}
