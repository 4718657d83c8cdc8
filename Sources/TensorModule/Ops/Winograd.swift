import Foundation
import _CHalfPrecision
import _CVectorKernels

/// 3×3 stride-1 convolution by Winograd's minimal filtering F(m×m, 3×3) with m = 2 or 4 (Lavin &
/// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
///
/// Each m×m block of outputs ("tile") is computed from the (m+2)×(m+2) input patch around it as
/// `Y = Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A`. The element-wise products summed over input channels
/// are (m+2)² independent GEMMs, one per position ξ of the transformed tile:
/// `M_ξ[K × T] = U_ξ[K × C] · V_ξ[C × T]` (K output channels, C input channels, T tiles).
/// F(2×2) does 16 multiply-adds per 4 outputs, F(4×4) 36 per 16, where im2col does 9 per output:
/// 2.25× and 4× less arithmetic, for three cheap linear passes (filter, input and output
/// transforms) and slightly different rounding. F(2×2)'s transforms only add and halve; F(4×4)'s
/// multiply by up to 8 and divide by 24, so its error is a few times larger (still well within the
/// tolerance of a float32 GEMM, see the tests). F(2×2)'s transforms are below; F(4×4)'s are C
/// kernels (`Winograd4x4.swift`).
///
/// Tiles are processed in bands of tile rows so the transformed input and output stay within
/// ``bandBytes`` whatever the image size; the GEMMs of a band are shared out between the compute
/// threads, each running single-threaded GEMMs on its own ξ.
enum Winograd {
    /// Transformed-domain bytes (`V` and `M`) per band.
    static let bandBytes = 48 << 20
    /// Transformed-filter bytes (`U`) per group of output channels.
    static let filterBytes = 32 << 20
    /// Fewest F(2×2) tiles for which the transforms pay for themselves: below this, the filter
    /// transform and the thin GEMMs cost more than the arithmetic they save.
    static let minimumTiles = 32
    /// Fewest F(4×4) tiles for which F(4×4) beats F(2×2): its transformed filters are 2.25× larger
    /// (written by the filter transform, then packed by every GEMM) and its GEMMs 4× thinner, which
    /// the saved arithmetic only repays on enough tiles. Measured on SD 1.5's UNet convolutions at
    /// batch 2 (2 threads, AVX-512), F(4×4) against F(2×2) alone: 64² × 320 channels (512 tiles)
    /// −37 %, 32² × 640 (128 tiles) −27 %, 16² × 1280 (32 tiles) −5 %, 8² × 1280 (8 tiles) +20 %;
    /// VAE levels −20 to −48 %. In whole UNet steps, F(4×4) from 64 tiles (not at 16²) was fastest:
    /// median 6.8 s against 7.4 s from 32 tiles and 7.3 s from 129 (F(2×2): 8.5 s).
    static let minimumTiles4x4 = 64
    /// Fewest input and output channels for the same reason.
    static let minimumChannels = 8

    /// The tile size forced by the environment variable `SD_WINOGRAD_TILE` ("2" or "4"), an internal
    /// knob for benchmarking one method against the other; nil (the default) lets ``tileSize`` choose.
    static let forcedTile: Int? = {
        guard let value = ProcessInfo.processInfo.environment["SD_WINOGRAD_TILE"] else { return nil }
        return value == "2" ? 2 : value == "4" ? 4 : nil
    }()

    /// Whether float16 filters may be widened inside the filter transform (`Filters.float16`), on
    /// AVX-512 machines and on AVX2 machines with F16C. The environment variable
    /// `SD_WINOGRAD_FUSED_F16=0` turns it off (widening first, as before): an internal knob for
    /// benchmarking, like ``forcedTile``.
    static let fusesHalfWidening: Bool = {
        halfFilterLevel != nil && ProcessInfo.processInfo.environment["SD_WINOGRAD_FUSED_F16"] != "0"
    }()

    /// The C kernels that can widen float16 filters inside the transform on this CPU, if any.
    static let halfFilterLevel: VectorMath.KernelLevel? = {
        switch VectorMath.kernelLevel {
        case .avx512: return .avx512
        case .avx2: return sd_half_precision_hardware() != 0 ? .avx2 : nil
        case .portable: return nil
        }
    }()

    /// Whether `conv2d` should take this path (with either tile size) for the given operands.
    static func applies(channels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int,
                        batch: Int, outHeight: Int, outWidth: Int) -> Bool {
        tileSize(channels: channels, outChannels: outChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                 stride: stride, batch: batch, outHeight: outHeight, outWidth: outWidth) != nil
    }

    /// The output tile side `conv2d` should use (2 for F(2×2), 4 for F(4×4)), or nil when the
    /// convolution is not by Winograd: F(4×4) from ``minimumTiles4x4`` of its tiles on, F(2×2) from
    /// ``minimumTiles`` of its own.
    static func tileSize(channels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int,
                         batch: Int, outHeight: Int, outWidth: Int, forced: Int? = Winograd.forcedTile) -> Int? {
        guard kernelHeight == 3, kernelWidth == 3, stride == 1,
              channels >= minimumChannels, outChannels >= minimumChannels else { return nil }
        let tiles4x4 = batch * ((outHeight + 3) / 4) * ((outWidth + 3) / 4)
        let tiles2x2 = batch * ((outHeight + 1) / 2) * ((outWidth + 1) / 2)
        if let forced { return tiles2x2 >= minimumTiles ? forced : nil }
        if tiles4x4 >= minimumTiles4x4 { return 4 }
        return tiles2x2 >= minimumTiles ? 2 : nil
    }

    /// The geometry of one convolution.
    struct Plan {
        let batch: Int, channels: Int, outChannels: Int
        let height: Int, width: Int
        let outHeight: Int, outWidth: Int
        let padTop: Int, padLeft: Int
        /// Output tile side: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3).
        var tile: Int = 2
        /// Tiles per column and per row of one image.
        var tileRows: Int { (outHeight + tile - 1) / tile }
        var tileColumns: Int { (outWidth + tile - 1) / tile }
        /// Positions ξ of a transformed tile: the number of GEMMs.
        var positions: Int { (tile + 2) * (tile + 2) }
    }

    /// Convolves `input` (`[N, C, H, W]`) with `weight` (`[K, C, 3, 3]`) into `output`
    /// (`[N, K, Ho, Wo]`), adding `bias` (`[K]`) if given. `bandBytes` and `filterBytes` default to
    /// the type's budgets (tests pass small ones to exercise several bands and groups).
    ///
    /// Output channels go in groups whose transformed filters fit ``filterBytes``; within a group,
    /// tiles go in bands of tile rows whose transformed input and products fit ``bandBytes``. When a
    /// whole image batch is one band (every UNet level at 512²), its input is transformed once for
    /// all groups.
    static func convolve(_ plan: Plan, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                         bandBytes: Int = Winograd.bandBytes, filterBytes: Int = Winograd.filterBytes) {
        convolve(plan, input: input, filters: .float32(weight), bias: bias, output: output,
                 bandBytes: bandBytes, filterBytes: filterBytes)
    }

    /// The 3×3 filters `[K, C, 3, 3]` of a convolution, as stored.
    enum Filters {
        case float32(UnsafePointer<Float>)
        /// IEEE half precision, any alignment; only where ``halfFilterLevel`` is set
        /// (`transformHalfFilters`).
        case float16(UnsafeRawPointer)
    }

    /// ``convolve(_:input:weight:bias:output:bandBytes:filterBytes:)`` with the filters in float32
    /// or float16.
    static func convolve(_ plan: Plan, input: UnsafePointer<Float>, filters: Filters,
                         bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                         bandBytes: Int = Winograd.bandBytes, filterBytes: Int = Winograd.filterBytes) {
        precondition(plan.tile == 2 || plan.tile == 4, "Winograd tile \(plan.tile)")
        let (c, k, positions) = (plan.channels, plan.outChannels, plan.positions)
        let groupSize = Swift.max(1, Swift.min(k, filterBytes / (positions * c * MemoryLayout<Float>.stride)))
        let tileRowsTotal = plan.batch * plan.tileRows
        let bytesPerTileRow = positions * (c + groupSize) * plan.tileColumns * MemoryLayout<Float>.stride
        let bandRows = Swift.max(1, Swift.min(tileRowsTotal, bandBytes / bytesPerTileRow))
        let bandTiles = bandRows * plan.tileColumns
        let transformedFilters = TensorStorage(uninitializedCount: positions * groupSize * c)
        let transformedInput = TensorStorage(uninitializedCount: positions * c * bandTiles)
        let products = TensorStorage(uninitializedCount: positions * groupSize * bandTiles)
        let u = transformedFilters.pointer, v = transformedInput.pointer, m = products.pointer
        var transformedRows: Range<Int>?
        var firstChannel = 0
        while firstChannel < k {
            let channels = firstChannel..<Swift.min(k, firstChannel + groupSize)
            let kc = channels.count
            switch filters {
            case .float32(let weight) where plan.tile == 4:
                transformFilters4x4(weight + firstChannel * c * 9, outChannels: kc, channels: c, into: u)
            case .float32(let weight):
                transformFilters(weight + firstChannel * c * 9, outChannels: kc, channels: c, into: u)
            case .float16(let weight):
                transformHalfFilters(weight + 2 * firstChannel * c * 9, outChannels: kc, channels: c, tile: plan.tile, into: u)
            }
            var firstRow = 0
            while firstRow < tileRowsTotal {
                let rows = firstRow..<Swift.min(tileRowsTotal, firstRow + bandRows)
                let tiles = rows.count * plan.tileColumns
                if transformedRows != rows {
                    if plan.tile == 4 {
                        transformInput4x4(plan, input: input, tileRows: rows, into: v)
                    } else {
                        transformInput(plan, input: input, tileRows: rows, into: v)
                    }
                    transformedRows = rows
                }
                OpenBLAS.withSingleThreadedCalls {
                    parallelFor(positions) { range in
                        for xi in range {
                            GEMM.sgemm(.winogradConvolution, transposeA: false, transposeB: false, m: kc, n: tiles, k: c,
                                       a: u + xi * kc * c, lda: c, b: v + xi * c * tiles, ldb: tiles,
                                       c: m + xi * kc * tiles, ldc: tiles, sharedOut: false)
                        }
                    }
                }
                if plan.tile == 4 {
                    transformOutput4x4(plan, products: m, outChannels: channels, tileRows: rows, bias: bias, into: output)
                } else {
                    transformOutput(plan, products: m, outChannels: channels, tileRows: rows, bias: bias, into: output)
                }
                firstRow = rows.upperBound
            }
            firstChannel = channels.upperBound
        }
    }

    // MARK: Filter transform

    /// `U_ξ[k][c] = (G g G ᵀ)_ξ` for every filter, with `G = [[1,0,0], [½,½,½], [½,-½,½], [0,0,1]]`.
    /// Filter `f = k·C + c` lands at `u[ξ·K·C + f]`, so the work is one flat loop over filters: the
    /// C kernels on AVX2/AVX-512 machines (gathering the taps of 8 or 16 filters at once), else eight
    /// filters per Swift vector.
    static func transformFilters(_ weight: UnsafePointer<Float>, outChannels k: Int, channels c: Int,
                                 into u: UnsafeMutablePointer<Float>, level: VectorMath.KernelLevel = VectorMath.kernelLevel) {
        let plane = k * c
        parallelFor(plane, minimumChunk: 4096) { range in
            let count = range.count, first = range.lowerBound
            switch level {
            case .avx512: sd_winograd_filters_avx512(weight + first * 9, count, u + first, plane)
            case .avx2: sd_winograd_filters_avx2(weight + first * 9, count, u + first, plane)
            case .portable: portableTransformFilters(weight + first * 9, count: count, into: u + first, plane: plane)
            }
        }
    }

    /// ``transformFilters(_:outChannels:channels:into:level:)`` or its F(4×4) counterpart for
    /// filters stored as IEEE half precision, widened inside the transform (AVX-512, or AVX2 with F16C).
    static func transformHalfFilters(_ weight: UnsafeRawPointer, outChannels k: Int, channels c: Int, tile: Int,
                                     into u: UnsafeMutablePointer<Float>) {
        guard let level = halfFilterLevel else {
            preconditionFailure("float16 filter transform without AVX-512 or AVX2 with F16C")
        }
        let plane = k * c
        parallelFor(plane, minimumChunk: 2048) { range in
            let (source, count, destination) = (weight + 18 * range.lowerBound, range.count, u + range.lowerBound)
            switch (level, tile) {
            case (.avx512, 4): sd_winograd4_filters_f16_avx512(source, count, destination, plane)
            case (.avx512, _): sd_winograd_filters_f16_avx512(source, count, destination, plane)
            case (_, 4): sd_winograd4_filters_f16_avx2(source, count, destination, plane)
            default: sd_winograd_filters_f16_avx2(source, count, destination, plane)
            }
        }
    }

    private static func portableTransformFilters(_ weight: UnsafePointer<Float>, count total: Int,
                                                 into u: UnsafeMutablePointer<Float>, plane: Int) {
        var f = 0
        while f < total {
            let count = Swift.min(8, total - f)
            let g = weight + f * 9
            // Tap q of the eight filters (stride 9 apart).
            func tap(_ q: Int) -> Vector {
                if count == 8 {
                    return Vector(g[q], g[9 + q], g[18 + q], g[27 + q], g[36 + q], g[45 + q], g[54 + q], g[63 + q])
                }
                var v = Vector.zero
                for lane in 0..<count { v[lane] = g[lane * 9 + q] }
                return v
            }
            let destination = u + f
            // Row `row` of t = G g, times Gᵀ.
            func emitRow(_ row: Int, _ t0: Vector, _ t1: Vector, _ t2: Vector) {
                store(t0, destination + (row * 4 + 0) * plane, count: count)
                store(0.5 * (t0 + t1 + t2), destination + (row * 4 + 1) * plane, count: count)
                store(0.5 * (t0 - t1 + t2), destination + (row * 4 + 2) * plane, count: count)
                store(t2, destination + (row * 4 + 3) * plane, count: count)
            }
            let (a0, a1, a2) = (tap(0), tap(3), tap(6))
            let (b0, b1, b2) = (tap(1), tap(4), tap(7))
            let (c0, c1, c2) = (tap(2), tap(5), tap(8))
            emitRow(0, a0, b0, c0)
            emitRow(1, 0.5 * (a0 + a1 + a2), 0.5 * (b0 + b1 + b2), 0.5 * (c0 + c1 + c2))
            emitRow(2, 0.5 * (a0 - a1 + a2), 0.5 * (b0 - b1 + b2), 0.5 * (c0 - c1 + c2))
            emitRow(3, a2, b2, c2)
            f += 8
        }
    }

    // MARK: Input transform

    typealias Vector = SIMD8<Float>

    /// `V_ξ[c][t] = (Bᵀ d B)_ξ` for the tiles of `tileRows` (tile rows of all images, image-major),
    /// with `Bᵀ = [[1,0,-1,0], [0,1,1,0], [0,-1,1,0], [0,1,0,-1]]`. Eight tiles at a time: their
    /// 4×4 patches overlap by two columns, so the columns of a patch are the even and odd lanes of
    /// two overlapping 16-float loads.
    static func transformInput(_ plan: Plan, input: UnsafePointer<Float>, tileRows: Range<Int>,
                               into v: UnsafeMutablePointer<Float>) {
        let columns = plan.tileColumns
        let tiles = tileRows.count * columns
        let plane = plan.channels * tiles
        // Padded copy of the four input rows a tile row reads: two columns per tile, two more on
        // the right, rounded up to whole vectors of eight tiles plus the overlap.
        let vectors = (columns + 7) / 8
        let paddedWidth = vectors * 16 + 2
        parallelFor(plan.channels) { channels in
            let rows = TensorStorage(uninitializedCount: 4 * paddedWidth)
            let padded = rows.pointer
            for channel in channels {
                for (index, tileRow) in tileRows.enumerated() {
                    let n = tileRow / plan.tileRows, i = tileRow % plan.tileRows
                    let source = input + (n * plan.channels + channel) * plan.height * plan.width
                    for r in 0..<4 {
                        fillPaddedRow(padded + r * paddedWidth, width: paddedWidth,
                                      source: source, row: 2 * i + r - plan.padTop, plan: plan)
                    }
                    let destination = v + channel * tiles + index * columns
                    for vector in 0..<vectors {
                        let base = padded + vector * 16
                        let r0 = rowTransform(base), r1 = rowTransform(base + paddedWidth)
                        let r2 = rowTransform(base + 2 * paddedWidth), r3 = rowTransform(base + 3 * paddedWidth)
                        let j = vector * 8
                        let count = Swift.min(8, columns - j)
                        let out = destination + j
                        // Bᵀ on the left: rows 0..3 of the tile are r0..r3.
                        store(r0.0 - r2.0, out, count: count)
                        store(r0.1 - r2.1, out + plane, count: count)
                        store(r0.2 - r2.2, out + 2 * plane, count: count)
                        store(r0.3 - r2.3, out + 3 * plane, count: count)
                        store(r1.0 + r2.0, out + 4 * plane, count: count)
                        store(r1.1 + r2.1, out + 5 * plane, count: count)
                        store(r1.2 + r2.2, out + 6 * plane, count: count)
                        store(r1.3 + r2.3, out + 7 * plane, count: count)
                        store(r2.0 - r1.0, out + 8 * plane, count: count)
                        store(r2.1 - r1.1, out + 9 * plane, count: count)
                        store(r2.2 - r1.2, out + 10 * plane, count: count)
                        store(r2.3 - r1.3, out + 11 * plane, count: count)
                        store(r1.0 - r3.0, out + 12 * plane, count: count)
                        store(r1.1 - r3.1, out + 13 * plane, count: count)
                        store(r1.2 - r3.2, out + 14 * plane, count: count)
                        store(r1.3 - r3.3, out + 15 * plane, count: count)
                    }
                }
            }
        }
    }

    /// One padded input row times B for eight consecutive tiles: `(d0 − d2, d1 + d2, d2 − d1, d1 − d3)`
    /// where `d0…d3` are the patch columns (the even and odd lanes of two loads two floats apart).
    @inline(__always)
    private static func rowTransform(_ p: UnsafePointer<Float>) -> (Vector, Vector, Vector, Vector) {
        let first = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        let second = UnsafeRawPointer(p + 2).loadUnaligned(as: SIMD16<Float>.self)
        let (d0, d1, d2, d3) = (first.evenHalf, first.oddHalf, second.evenHalf, second.oddHalf)
        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// Writes input row `row` (zeros outside the image) shifted by the left padding into `line`.
    @inline(__always)
    private static func fillPaddedRow(_ line: UnsafeMutablePointer<Float>, width: Int, source: UnsafePointer<Float>,
                                      row: Int, plan: Plan) {
        guard row >= 0, row < plan.height else {
            line.initialize(repeating: 0, count: width)
            return
        }
        // Padded column p holds input column p − padLeft.
        let first = Swift.min(width, plan.padLeft)
        let last = Swift.min(width, plan.padLeft + plan.width)
        if first > 0 { line.initialize(repeating: 0, count: first) }
        if last > first { (line + first).initialize(from: source + row * plan.width, count: last - first) }
        if last < width { (line + last).initialize(repeating: 0, count: width - last) }
    }

    @inline(__always)
    private static func store(_ value: Vector, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: value, as: Vector.self)
        } else {
            for lane in 0..<count { p[lane] = value[lane] }
        }
    }

    // MARK: Output transform

    /// `Y = Aᵀ M A + bias` for output channels `group` (the products hold only those) and the tiles
    /// of `tileRows`, with `Aᵀ = [[1,1,1,0], [0,1,-1,-1]]`, written
    /// to the output rows the tiles cover (a last odd row or column is left out).
    static func transformOutput(_ plan: Plan, products m: UnsafePointer<Float>, outChannels group: Range<Int>,
                                tileRows: Range<Int>, bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>) {
        let columns = plan.tileColumns
        let tiles = tileRows.count * columns
        let plane = group.count * tiles
        let (outHeight, outWidth) = (plan.outHeight, plan.outWidth)
        let vectors = (columns + 7) / 8
        parallelFor(group.count) { locals in
            for local in locals {
                let channel = group.lowerBound + local
                let shift = Vector(repeating: bias?[channel] ?? 0)
                for (index, tileRow) in tileRows.enumerated() {
                    let n = tileRow / plan.tileRows, i = tileRow % plan.tileRows
                    let destination = output + ((n * plan.outChannels + channel) * outHeight + 2 * i) * outWidth
                    let source = m + local * tiles + index * columns
                    for vector in 0..<vectors {
                        let j = vector * 8
                        let count = Swift.min(8, columns - j)
                        // Aᵀ on the left: s (row 0) and t (row 1), each across the four columns.
                        func column(_ col: Int) -> (Vector, Vector) {
                            let m0 = load(source + col * plane + j, count: count)
                            let m1 = load(source + (4 + col) * plane + j, count: count)
                            let m2 = load(source + (8 + col) * plane + j, count: count)
                            let m3 = load(source + (12 + col) * plane + j, count: count)
                            return (m0 + m1 + m2, m1 - m2 - m3)
                        }
                        let (s0, t0) = column(0), (s1, t1) = column(1), (s2, t2) = column(2), (s3, t3) = column(3)
                        let width = Swift.min(16, outWidth - 2 * j)
                        write(s0 + s1 + s2 + shift, s1 - s2 - s3 + shift, to: destination + 2 * j, width: width)
                        if 2 * i + 1 < outHeight {
                            write(t0 + t1 + t2 + shift, t1 - t2 - t3 + shift, to: destination + outWidth + 2 * j, width: width)
                        }
                    }
                }
            }
        }
    }

    /// Interleaves the left and right outputs of eight tiles into `width` (≤ 16) floats of a row.
    @inline(__always)
    private static func write(_ left: Vector, _ right: Vector, to line: UnsafeMutablePointer<Float>, width: Int) {
        var pair = SIMD16<Float>()
        pair.evenHalf = left
        pair.oddHalf = right
        if width == 16 {
            UnsafeMutableRawPointer(line).storeBytes(of: pair, as: SIMD16<Float>.self)
        } else {
            for lane in 0..<width { line[lane] = pair[lane] }
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, count: Int) -> Vector {
        if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        var v = Vector.zero
        for lane in 0..<count { v[lane] = p[lane] }
        return v
    }
}
