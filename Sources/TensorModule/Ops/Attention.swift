extension Tensor {
    /// Bytes of scores one worker keeps per block of queries (256 queries × 4096 keys). Smaller
    /// blocks keep the scores in a core's L2 cache, but each block's GEMMs pack all keys and values
    /// again; on SD's 4096-token attention 4 MB measured best (1 MB: 1.3× the CPU time, 8 MB: 1.15×).
    static let attentionScoreBlockBytes = 4 << 20
    /// Fewest queries per block, so that each GEMM still has rows to amortise its packing.
    static let attentionMinimumBlock = 32

    /// Queries per block for `keys` keys (at least ``attentionMinimumBlock``, at most `queries`).
    static func attentionBlockRows(queries: Int, keys: Int) -> Int {
        let fitting = attentionScoreBlockBytes / (MemoryLayout<Float>.stride * Swift.max(keys, 1))
        return Swift.max(1, Swift.min(queries, Swift.max(attentionMinimumBlock, fitting & ~7)))
    }

    /// Multi-head scaled dot-product attention, `softmax(Q Kᵀ · scale [+ causal mask]) V`, on
    /// `[batch, tokens, heads · headDim]` tensors, with heads interleaved as PyTorch's
    /// `view(b, n, heads, d)` lays them out.
    ///
    /// The work is cut into (batch, head, block of queries) units that the compute threads share
    /// out; each thread runs its units start to finish with single-threaded GEMMs that read Q, K
    /// and V in place (strided): scores `Q Kᵀ` for the block, softmax numerators in place, then
    /// `P V` straight into the output rows, scaled by the softmax denominators. Each thread holds
    /// one block of scores (`attentionScoreBlockBytes`); no score matrix for a whole head exists.
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
            queries: queries, keys: keys, width: width, valueWidth: valueWidth, headDim: width / heads,
            valueDim: valueWidth / heads, causal: causal, scale: scale ?? 1 / Float(width / heads).squareRoot(),
            block: Tensor.attentionBlockRows(queries: queries, keys: keys))
        let blocksPerHead = (queries + layout.block - 1) / layout.block
        let q = pointer, k = key.pointer, v = value.pointer, o = out.mutablePointer
        OpenBLAS.withSingleThreadedCalls {
            parallelFor(batch * heads * blocksPerHead) { units in
                let scratch = TensorStorage(uninitializedCount: layout.block * (Swift.max(keys, 1) + 1))
                for unit in units {
                    let head = unit / blocksPerHead
                    let (b, h) = (head / heads, head % heads)
                    let start = (unit % blocksPerHead) * layout.block
                    layout.run(rows: start..<Swift.min(queries, start + layout.block),
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
    let queries: Int, keys: Int, width: Int, valueWidth: Int, headDim: Int, valueDim: Int
    let causal: Bool
    let scale: Float
    /// Queries per block.
    let block: Int

    /// Computes output rows `rows` of one head. Pointers are at the head's first channel of
    /// token 0; `scratch` holds `block · (keys + 1)` floats.
    // swiftlint:disable:next function_parameter_count
    func run(rows: Range<Int>, query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
             output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let count = rows.count
        let scores = scratch, inverseSums = scratch + block * keys
        GEMM.sgemm(transposeA: false, transposeB: true, m: count, n: keys, k: headDim, alpha: scale,
                   a: query + rows.lowerBound * width, lda: width, b: key, ldb: width,
                   c: scores, ldc: keys)
        for r in 0..<count {
            let row = scores + r * keys
            if causal {
                let visible = Swift.min(keys, rows.lowerBound + r + 1)
                (row + visible).update(repeating: -Float.infinity, count: keys - visible)
            }
            inverseSums[r] = Tensor.exponentiateRow(row, count: keys)
        }
        let out = output + rows.lowerBound * valueWidth
        GEMM.sgemm(transposeA: false, transposeB: false, m: count, n: valueDim, k: keys,
                   a: scores, lda: keys, b: value, ldb: valueWidth,
                   c: out, ldc: valueWidth)
        for r in 0..<count { VectorMath.scale(out + r * valueWidth, count: valueDim, by: inverseSums[r]) }
    }
}
