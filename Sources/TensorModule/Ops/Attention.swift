import Foundation
import _CVectorKernels

extension Tensor {
    /// Queries per block: enough rows for each GEMM to amortise packing its keys and values.
    static let attentionQueryBlock = 256
    /// Keys per block: a block of scores (`attentionQueryBlock × attentionKeyBlock` floats, 512 KB)
    /// stays in a core's L2 cache from the GEMM that writes it to the GEMM that reads it. Measured on
    /// SD's 4096-token self-attention, CPU time relative to one block of all 4096 keys: 512 keys
    /// 0.83, 256 keys 0.88; 128 queries per block instead of 256: 0.9–1.0.
    static let attentionKeyBlock = 512
    /// Whether a block's scores come from the SDK's own kernel (`sd_attention_scores_avx2`) rather
    /// than an OpenBLAS GEMM, for heads up to ``scoreKernelHeadDimensions`` wide: on AVX2 machines
    /// without AVX-512, where it was measured faster (see Performance.md). AVX-512 machines keep
    /// OpenBLAS's SkylakeX kernel, which it was not measured against. The environment variable
    /// `SD_ATTENTION_KERNEL=0` turns it off: an internal knob for benchmarking one against the other.
    static let usesScoreKernel = VectorMath.kernelLevel == .avx2
        && ProcessInfo.processInfo.environment["SD_ATTENTION_KERNEL"] != "0"
    /// The widest heads the score kernel takes: the widest measured. One core, a 256-query ×
    /// 512-key block, against OpenBLAS's single-threaded GEMM (AMD EPYC, Zen 3): 79 against 59
    /// GFLOPS at 40 dimensions (SD 1.x's first level), 77 against 64 at 64 (SD 2.x, SDXL), 81
    /// against 66 at 80, 79 against 76 at 160.
    static let scoreKernelHeadDimensions = 160

    /// Multi-head scaled dot-product attention, `softmax(Q Kᵀ · scale [+ causal mask]) V`, on
    /// `[batch, tokens, heads · headDim]` tensors, with heads interleaved as PyTorch's
    /// `view(b, n, heads, d)` lays them out.
    ///
    /// Computed as flash attention: the work is cut into (batch, head, block of queries) units that
    /// the compute threads share out, and each thread runs its units start to finish with
    /// single-threaded GEMMs reading Q, K and V in place (strided). Within a unit, keys are taken a
    /// block at a time: scores for the block, their exponentials against the running row maximum
    /// (rescaling what was accumulated when the maximum grows), then `P V` added into the output
    /// rows; the output is divided by the softmax denominators at the end. A thread holds one block
    /// of scores, small enough to stay in its core's cache; no score matrix for a whole head exists.
    ///
    /// - Parameters:
    ///   - key: `[batch, Lk, heads · headDim]`.
    ///   - value: `[batch, Lk, heads · valueDim]`.
    ///   - heads: Number of heads; must divide the channel counts.
    ///   - causal: Mask keys after each query (CLIP's text encoder).
    ///   - scale: Score scale; `1/√headDim` when nil.
    /// - Returns: `[batch, Lq, heads · valueDim]`.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` on inconsistent shapes.
    public func attention(key: Tensor, value: Tensor, heads: Int, causal: Bool = false,
                          scale: Float? = nil) throws(TensorError) -> Tensor {
        guard rank == 3, key.rank == 3, value.rank == 3, heads > 0,
              key.shape[0] == shape[0], value.shape[0] == shape[0], key.shape[1] == value.shape[1],
              shape[2] == key.shape[2], shape[2] % heads == 0, value.shape[2] % heads == 0 else {
            throw .shapeMismatch(operation: "attention", details: "query \(shape), key \(key.shape), value \(value.shape), \(heads) heads")
        }
        let (batch, queries, width) = (shape[0], shape[1], shape[2])
        let keys = key.shape[1], valueWidth = value.shape[2]
        let out = Tensor.uninitialized([batch, queries, valueWidth])
        guard batch > 0, queries > 0 else { return out }
        let layout = AttentionLayout(
            keys: keys, width: width, valueWidth: valueWidth, headDim: width / heads, valueDim: valueWidth / heads,
            causal: causal, scale: scale ?? 1 / Float(width / heads).squareRoot(),
            queryBlock: Swift.min(queries, Tensor.attentionQueryBlock),
            keyBlock: Swift.max(1, Swift.min(keys, Tensor.attentionKeyBlock)),
            scoreKernel: Tensor.usesScoreKernel && width / heads <= Tensor.scoreKernelHeadDimensions)
        let blocksPerHead = (queries + layout.queryBlock - 1) / layout.queryBlock
        let q = pointer, k = key.pointer, v = value.pointer, o = out.mutablePointer
        OpenBLAS.withSingleThreadedCalls {
            parallelFor(batch * heads * blocksPerHead) { units in
                let scratch = TensorStorage(uninitializedCount: layout.scratchCount)
                for unit in units {
                    let head = unit / blocksPerHead
                    let (b, h) = (head / heads, head % heads)
                    let start = (unit % blocksPerHead) * layout.queryBlock
                    layout.run(rows: start..<Swift.min(queries, start + layout.queryBlock),
                               query: q + b * queries * width + h * layout.headDim,
                               key: k + b * keys * width + h * layout.headDim,
                               value: v + b * keys * valueWidth + h * layout.valueDim,
                               output: o + b * queries * valueWidth + h * layout.valueDim,
                               scratch: scratch.pointer)
                }
            }
        }
        return out
    }
}

/// The shape of one attention call and the work on one block of queries of one head.
private struct AttentionLayout {
    let keys: Int, width: Int, valueWidth: Int, headDim: Int, valueDim: Int
    let causal: Bool
    let scale: Float
    let queryBlock: Int, keyBlock: Int
    /// Whether scores come from `sd_attention_scores_avx2` instead of a GEMM.
    let scoreKernel: Bool

    /// Floats of scratch per thread: a score block, each row's running maximum and sum, then the
    /// score kernel's copies of a key block (whole panels of 8 keys) and of a query block.
    var scratchCount: Int {
        queryBlock * (keyBlock + 2) + (scoreKernel ? ((keyBlock + 7) / 8 * 8 + queryBlock) * headDim : 0)
    }

    /// Computes output rows `rows` of one head. Pointers are at the head's first channel of token 0.
    // swiftlint:disable:next function_parameter_count
    func run(rows: Range<Int>, query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
             output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let count = rows.count
        let scores = scratch, maxima = scratch + queryBlock * keyBlock, sums = maxima + queryBlock
        let packedKeys = sums + queryBlock
        maxima.update(repeating: -.infinity, count: count)
        sums.update(repeating: 0, count: count)
        let out = output + rows.lowerBound * valueWidth
        // Keys a causal block can see at all: up to its last query.
        let visibleKeys = causal ? Swift.min(keys, rows.upperBound) : keys
        var first = 0
        while first < visibleKeys {
            let span = Swift.min(keyBlock, visibleKeys - first)
            AttentionScores.compute(byKernel: scoreKernel, query: query + rows.lowerBound * width, key: key + first * width,
                                    stride: width, rows: count, keys: span, dimensions: headDim, scale: scale,
                                    into: scores, packedKeys: packedKeys)
            for r in 0..<count {
                let row = scores + r * span
                if causal {
                    let visible = Swift.max(0, Swift.min(span, rows.lowerBound + r + 1 - first))
                    (row + visible).update(repeating: -.infinity, count: span - visible)
                }
                let blockMaximum = VectorMath.maximum(row, count: span)
                let previous = maxima[r]
                let maximum = Swift.max(previous, blockMaximum)
                guard maximum > -.infinity else {
                    // Nothing visible yet in this row: no contribution.
                    row.update(repeating: 0, count: span)
                    continue
                }
                if maximum > previous, first > 0, previous > -.infinity {
                    // Earlier blocks were exponentiated against a smaller maximum.
                    let factor = VectorMath.scalar(previous - maximum, VectorMath.expNonPositive)
                    sums[r] *= factor
                    VectorMath.scale(out + r * valueWidth, count: valueDim, by: factor)
                }
                maxima[r] = maximum
                sums[r] += VectorMath.exponentiateAndSum(row, count: span, shift: maximum)
            }
            GEMM.sgemm(.attentionValues, transposeA: false, transposeB: false, m: count, n: valueDim, k: span,
                       a: scores, lda: span, b: value + first * valueWidth, ldb: valueWidth,
                       beta: first == 0 ? 0 : 1, c: out, ldc: valueWidth, sharedOut: false)
            first += span
        }
        if visibleKeys == 0 {
            for r in 0..<count { (out + r * valueWidth).update(repeating: 0, count: valueDim) }
        }
        for r in 0..<count {
            VectorMath.scale(out + r * valueWidth, count: valueDim, by: sums[r] > 0 ? 1 / sums[r] : 0)
        }
    }
}

/// One block of attention scores, `S = scale · Q Kᵀ`.
enum AttentionScores {
    /// Writes `scores[r·keys + j] = scale · Σ_d query[r·stride + d] · key[j·stride + d]` for
    /// `r < rows`, `j < keys`, by `sd_attention_scores_avx2` (`byKernel`, AVX2 machines only;
    /// `packedKeys` then holds `(8·⌈keys/8⌉ + rows)·dimensions` floats of scratch) or by a
    /// single-threaded GEMM.
    // swiftlint:disable:next function_parameter_count
    static func compute(byKernel: Bool, query: UnsafePointer<Float>, key: UnsafePointer<Float>, stride: Int,
                        rows: Int, keys: Int, dimensions: Int, scale: Float, into scores: UnsafeMutablePointer<Float>,
                        packedKeys: UnsafeMutablePointer<Float>) {
        if byKernel {
            sd_attention_scores_avx2(query, stride, key, stride, rows, keys, dimensions, scale, scores, keys, packedKeys)
        } else {
            GEMM.sgemm(.attentionScores, transposeA: false, transposeB: true, m: rows, n: keys, k: dimensions, alpha: scale,
                       a: query, lda: stride, b: key, ldb: stride, c: scores, ldc: keys, sharedOut: false)
        }
    }
}
