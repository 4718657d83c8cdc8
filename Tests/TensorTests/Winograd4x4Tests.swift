import Testing
@testable import TensorModule

/// Winograd F(4×4, 3×3) (`Winograd` with `Plan.tile == 4`) against a float64 direct convolution and
/// unfolded (im2col) convolution, over odd sizes, partial tiles, padding variants, several bands and
/// groups of output channels; its C kernels against their portable variant; the choice of tile size.
@Suite("Winograd F(4×4, 3×3)")
struct Winograd4x4Tests {
    struct Case: Sendable, CustomStringConvertible {
        let batch: Int, channels: Int, outChannels: Int, height: Int, width: Int
        let padding: Padding2D
        var outHeight: Int { height + padding.top + padding.bottom - 2 }
        var outWidth: Int { width + padding.left + padding.right - 2 }
        var description: String {
            "\(batch)×\(channels)×\(height)×\(width) → \(outChannels), pad t\(padding.top) b\(padding.bottom) l\(padding.left) r\(padding.right)"
        }
    }

    /// Direct 3×3 convolution in float64.
    static func reference(_ x: Tensor, _ w: Tensor, _ b: Tensor, padding: Padding2D) -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = w.shape[0]
        let (oh, ow) = (h + padding.top + padding.bottom - 2, wd + padding.left + padding.right - 2)
        let xs = x.scalars, ws = w.scalars, bs = b.scalars
        var out = [Double](repeating: 0, count: n * k * oh * ow)
        for i in 0..<n { for o in 0..<k { for y in 0..<oh { for xx in 0..<ow {
            var sum = Double(bs[o])
            for ci in 0..<c { for dy in 0..<3 { for dx in 0..<3 {
                let iy = y + dy - padding.top, ix = xx + dx - padding.left
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                sum += Double(xs[((i * c + ci) * h + iy) * wd + ix]) * Double(ws[((o * c + ci) * 3 + dy) * 3 + dx])
            } } }
            out[((i * k + o) * oh + y) * ow + xx] = sum
        } } } }
        return out
    }

    /// `Winograd.convolve` with the given tile and budgets (nil: the defaults).
    static func winograd(_ c: Case, tile: Int, _ x: Tensor, _ w: Tensor, _ b: Tensor,
                         bandBytes: Int? = nil, filterBytes: Int? = nil) -> Tensor {
        let plan = Winograd.Plan(batch: c.batch, channels: c.channels, outChannels: c.outChannels, height: c.height,
                                 width: c.width, outHeight: c.outHeight, outWidth: c.outWidth,
                                 padTop: c.padding.top, padLeft: c.padding.left, tile: tile)
        var out = Tensor.uninitialized([c.batch, c.outChannels, c.outHeight, c.outWidth])
        out.withUnsafeMutableBufferPointer { pointer in
            Winograd.convolve(plan, input: x.pointer, weight: w.pointer, bias: b.pointer, output: pointer.baseAddress!,
                              bandBytes: bandBytes ?? Winograd.bandBytes, filterBytes: filterBytes ?? Winograd.filterBytes)
        }
        return out
    }

    @Test("F(4×4) matches a float64 direct convolution and unfolded convolution; bands and groups change nothing",
          arguments: [
              Case(batch: 2, channels: 16, outChannels: 24, height: 16, width: 16, padding: .uniform(1)),
              Case(batch: 1, channels: 9, outChannels: 8, height: 13, width: 21, padding: .uniform(1)),   // odd sides
              Case(batch: 2, channels: 8, outChannels: 12, height: 11, width: 30, padding: .uniform(0)),  // no padding
              Case(batch: 1, channels: 12, outChannels: 8, height: 35, width: 7, padding: .uniform(1)),   // narrow
              Case(batch: 1, channels: 8, outChannels: 9, height: 10, width: 19,                         // asymmetric
                   padding: Padding2D(top: 0, bottom: 1, left: 1, right: 0)),
              Case(batch: 2, channels: 10, outChannels: 8, height: 9, width: 14,                         // wide padding
                   padding: Padding2D(top: 2, bottom: 0, left: 0, right: 2)),
              Case(batch: 1, channels: 64, outChannels: 16, height: 12, width: 12, padding: .uniform(1)), // deeper sums
          ])
    func matchesDirectConvolution(_ c: Case) throws {
        let x = ComputeKernelTests.tensor([c.batch, c.channels, c.height, c.width], seed: 11)
        let w = ComputeKernelTests.tensor([c.outChannels, c.channels, 3, 3], seed: 12,
                                          scale: 1 / Float(9 * c.channels).squareRoot())
        let b = ComputeKernelTests.tensor([c.outChannels], seed: 13, scale: 0.1)
        let exact = Self.reference(x, w, b, padding: c.padding)
        let scale = exact.map(abs).max() ?? 1
        func error(_ t: Tensor) -> Double { zip(t.scalars, exact).map { abs(Double($0) - $1) }.max() ?? 0 }

        let four = Self.winograd(c, tile: 4, x, w, b)
        let unfolded = try x.conv2d(weight: w, bias: b, stride: 1, padding: c.padding, allowWinograd: false)
        // F(4×4) rounds its transforms (products by up to 8 and divisions by 6, 12 and 24 in
        // float32), and its output transform amplifies the rounding of the transformed-domain
        // GEMM sums (weights up to 8 and 64). Measured here: 1.5e-6–4.7e-6 of the scale, 6–11× the
        // unfolded error (2.4e-7–4.7e-7); 1e-5 of the scale is Tolerance.gemm. A wrong matrix entry
        // or tile offset gives errors of the order of the scale.
        #expect(error(four) <= 1e-5 * scale, "F(4×4) \(error(four)), unfolded \(error(unfolded)), scale \(scale)")
        #expect(error(unfolded) <= 1e-5 * scale)

        // One tile row per band and two output channels per group: the same tiles and sums, but the
        // GEMMs of other shapes may take other OpenBLAS kernels (its small-matrix paths) that sum in
        // another order, which F(4×4)'s output transform amplifies like any GEMM rounding. Measured:
        // bit-identical up to 24 channels, 4.4e-6 of the scale apart with 64; a wrong tile or
        // channel offset would be off by the scale itself.
        let plan = Winograd.Plan(batch: c.batch, channels: c.channels, outChannels: c.outChannels, height: c.height,
                                 width: c.width, outHeight: c.outHeight, outWidth: c.outWidth,
                                 padTop: c.padding.top, padLeft: c.padding.left, tile: 4)
        let split = Self.winograd(c, tile: 4, x, w, b, bandBytes: 36 * (c.channels + 2) * plan.tileColumns * 4,
                                  filterBytes: 36 * c.channels * 2 * 4)
        #expect(error(split) <= 1e-5 * scale, "split \(error(split)), whole \(error(four)), scale \(scale)")

        // conv2d takes F(4×4) or F(2×2) by its rule; either way within the same tolerance.
        let chosen = try x.conv2d(weight: w, bias: b, padding: c.padding)
        #expect(error(chosen) <= 1e-5 * scale)
    }

    @Test("The AVX2 and AVX-512 F(4×4) kernels equal the portable ones", arguments: [1, 5, 8, 16, 17, 33])
    func kernelsMatchPortable(columns: Int) {
        let tier = Int(sd_x86_vector_tier_for_tests())
        var levels: [VectorMath.KernelLevel] = []
        if tier >= 2 { levels.append(.avx2) }
        if tier >= 3 { levels.append(.avx512) }

        // Filters: `columns` filters of one input channel.
        let weight = ComputeKernelTests.values(columns * 9, seed: UInt64(columns))
        func filters(_ level: VectorMath.KernelLevel) -> [Float] {
            var u = [Float](repeating: .nan, count: 36 * columns)
            weight.withUnsafeBufferPointer { w in
                u.withUnsafeMutableBufferPointer { out in
                    Winograd.transformFilters4x4(w.baseAddress!, outChannels: columns, channels: 1, into: out.baseAddress!,
                                                 level: level)
                }
            }
            return u
        }
        // Input and output of a two-image, two-channel batch whose rows are `columns` tiles wide
        // (with a partial last tile), asymmetric padding.
        let (height, width) = (7, 4 * columns - 1)
        let plan = Winograd.Plan(batch: 2, channels: 2, outChannels: 2, height: height, width: width,
                                 outHeight: height - 1, outWidth: width, padTop: 0, padLeft: 1, tile: 4)
        let image = ComputeKernelTests.values(2 * 2 * height * width, seed: 7)
        let rows = 0..<(2 * plan.tileRows)
        let tiles = rows.count * plan.tileColumns
        func input(_ level: VectorMath.KernelLevel) -> [Float] {
            var v = [Float](repeating: .nan, count: 36 * 2 * tiles)
            image.withUnsafeBufferPointer { x in
                v.withUnsafeMutableBufferPointer { out in
                    Winograd.transformInput4x4(plan, input: x.baseAddress!, tileRows: rows, into: out.baseAddress!, level: level)
                }
            }
            return v
        }
        let products = ComputeKernelTests.values(36 * 2 * tiles, seed: 8)
        let bias: [Float] = [0.25, -0.5]
        func output(_ level: VectorMath.KernelLevel) -> [Float] {
            var y = [Float](repeating: .nan, count: 2 * 2 * plan.outHeight * plan.outWidth)
            products.withUnsafeBufferPointer { m in
                bias.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { out in
                        Winograd.transformOutput4x4(plan, products: m.baseAddress!, outChannels: 0..<2, tileRows: rows,
                                                    bias: b.baseAddress!, into: out.baseAddress!, level: level)
                    }
                }
            }
            return y
        }
        let portable = (filters(.portable), input(.portable), output(.portable))
        // Every element written (the buffers start as NaN).
        #expect(!portable.0.contains { $0.isNaN } && !portable.1.contains { $0.isNaN } && !portable.2.contains { $0.isNaN })
        // The same float operations in the same order, no FMA: bit-identical.
        for level in levels {
            #expect(filters(level) == portable.0, "\(level) filters")
            #expect(input(level) == portable.1, "\(level) input")
            #expect(output(level) == portable.2, "\(level) output")
        }
    }

    @Test("A float16 weight gives the same convolution as its float32 widening (fused into the filter transform on AVX-512 and AVX2 with F16C)",
          arguments: [
              Case(batch: 2, channels: 16, outChannels: 24, height: 32, width: 32, padding: .uniform(1)),  // F(4×4)
              Case(batch: 1, channels: 9, outChannels: 17, height: 13, width: 21, padding: .uniform(1)),   // F(2×2)
              Case(batch: 1, channels: 8, outChannels: 8, height: 5, width: 5, padding: .uniform(1)),      // unfolded
          ])
    func halfPrecisionWeight(_ c: Case) throws {
        let x = ComputeKernelTests.tensor([c.batch, c.channels, c.height, c.width], seed: 21)
        let w = ComputeKernelTests.tensor([c.outChannels, c.channels, 3, 3], seed: 22,
                                          scale: 1 / Float(9 * c.channels).squareRoot())
        let b = ComputeKernelTests.tensor([c.outChannels], seed: 23, scale: 0.1)
        let stored = StoredTensor(rounding: w, to: .float16)
        #expect(stored.precision == .float16)
        let fused = try x.conv2d(weight: stored, bias: b, padding: c.padding)
        let widened = try x.conv2d(weight: stored.float32(), bias: b, padding: c.padding)
        // Widening is exact and the transforms round identically: bit-identical.
        #expect(fused.shape == widened.shape && fused.scalars == widened.scalars)
        // Shape errors are still typed errors.
        #expect(throws: TensorError.self) { try x.conv2d(weight: StoredTensor(rounding: w, to: .float16), stride: 0) }
    }

    @Test("F(4×4) on enough tiles, F(2×2) on small images, neither on other kernels or few channels")
    func tileRule() {
        func tile(batch: Int = 2, channels: Int = 320, side: Int, kernel: Int = 3, stride: Int = 1, forced: Int? = nil) -> Int? {
            Winograd.tileSize(channels: channels, outChannels: channels, kernelHeight: kernel, kernelWidth: kernel,
                              stride: stride, batch: batch, outHeight: side, outWidth: side, forced: forced)
        }
        #expect(tile(side: 64) == 4)
        #expect(tile(channels: 640, side: 32) == 4)
        #expect(tile(channels: 1280, side: 16) == 2)
        #expect(tile(channels: 1280, side: 8) == 2)
        #expect(tile(batch: 1, side: 4) == nil)
        #expect(tile(side: 64, kernel: 1) == nil)
        #expect(tile(side: 64, stride: 2) == nil)
        #expect(tile(channels: 4, side: 64) == nil)
        #expect(tile(side: 64, forced: 2) == 2)
        #expect(tile(channels: 1280, side: 8, forced: 4) == 4)
    }
}
