extension Tensor {
    /// Rows of queries processed together: the score block per (batch, head) is at most
    /// `attentionQueryBlock × keys` floats (4 MB at 1024 × 1024 keys).
    static let attentionQueryBlock = 1024

    /// Multi-head scaled dot-product attention, `softmax(Q Kᵀ · scale [+ causal mask]) V`, on
    /// `[batch, tokens, heads · headDim]` tensors, with heads interleaved as PyTorch's
    /// `view(b, n, heads, d)` lays them out.
    ///
    /// Computed one (batch, head, block of ≤ 1024 queries) at a time, reading Q, K and V in place
    /// with strided GEMMs: the working memory is one `min(1024, Lq) × Lk` score block, so at 4096
    /// tokens at most 16 MB of scores exist at once instead of heads × 64 MB for all heads.
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
        let headDim = width / heads, valueDim = valueWidth / heads
        let factor = scale ?? 1 / Float(headDim).squareRoot()
        let out = Tensor.uninitialized([batch, queries, valueWidth])
        let block = Swift.min(queries, Tensor.attentionQueryBlock)
        let scores = TensorStorage(uninitializedCount: block * keys)
        for b in 0..<batch {
            for h in 0..<heads {
                let q = pointer + b * queries * width + h * headDim
                let k = key.pointer + b * keys * width + h * headDim
                let v = value.pointer + b * keys * valueWidth + h * valueDim
                let o = out.mutablePointer + b * queries * valueWidth + h * valueDim
                var start = 0
                while start < queries {
                    let rows = Swift.min(block, queries - start)
                    GEMM.sgemm(transposeA: false, transposeB: true, m: rows, n: keys, k: headDim, alpha: factor,
                               a: q + start * width, lda: width, b: k, ldb: width,
                               c: scores.pointer, ldc: keys)
                    let s = scores.pointer
                    parallelFor(rows, minimumChunk: 16) { range in
                        for r in range {
                            let row = s + r * keys
                            if causal {
                                let visible = Swift.min(keys, start + r + 1)
                                (row + visible).update(repeating: -Float.infinity, count: keys - visible)
                            }
                            Tensor.softmaxRow(row, count: keys)
                        }
                    }
                    GEMM.sgemm(transposeA: false, transposeB: false, m: rows, n: valueDim, k: keys,
                               a: scores.pointer, lda: keys, b: v, ldb: valueWidth,
                               c: o + start * valueWidth, ldc: valueWidth)
                    start += rows
                }
            }
        }
        return out
    }
}
