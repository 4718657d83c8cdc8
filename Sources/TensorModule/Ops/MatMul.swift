extension Tensor {
    /// A fully connected layer as PyTorch's `nn.Linear`: `self · weightᵀ + bias` over the last dimension.
    ///
    /// - Parameters:
    ///   - weight: `[outFeatures, inFeatures]`, PyTorch's layout.
    ///   - bias: `[outFeatures]`, or nil.
    /// - Returns: The input's shape with its last extent replaced by `outFeatures`.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the feature counts disagree.
    public func linear(weight: Tensor, bias: Tensor? = nil) throws(TensorError) -> Tensor {
        guard weight.rank == 2, let inFeatures = shape.last, weight.shape[1] == inFeatures else {
            throw .shapeMismatch(operation: "linear", details: "input \(shape), weight \(weight.shape)")
        }
        let outFeatures = weight.shape[0]
        if let bias, bias.shape != [outFeatures] {
            throw .shapeMismatch(operation: "linear", details: "bias \(bias.shape), expected [\(outFeatures)]")
        }
        let rows = count / max(inFeatures, 1)
        var outShape = shape
        outShape[outShape.count - 1] = outFeatures
        let out = Tensor.uninitialized(outShape)
        if let bias {
            // Seed C with the bias and accumulate (beta = 1): no second pass over the output.
            let o = out.mutablePointer, b = bias.pointer
            parallelFor(rows, minimumChunk: 64) { range in
                for r in range { (o + r * outFeatures).update(from: b, count: outFeatures) }
            }
        }
        GEMM.sgemm(.linear, transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                   a: pointer, lda: inFeatures, b: weight.pointer, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: out.mutablePointer, ldc: outFeatures)
        return out
    }

    /// Matrix product over the last two dimensions, batched over the leading ones (which must be
    /// equal, or absent on `other` to share one right-hand matrix).
    ///
    /// - Parameters:
    ///   - other: The right operand `[..., k, n]` (or `[..., n, k]` when `transposeOther`).
    ///   - transposeSelf: Use the transpose of each left matrix.
    ///   - transposeOther: Use the transpose of each right matrix.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when inner dimensions or batches disagree.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws(TensorError) -> Tensor {
        guard rank >= 2, other.rank >= 2 else {
            throw .shapeMismatch(operation: "matmul", details: "operands need rank ≥ 2: \(shape), \(other.shape)")
        }
        let (r0, c0) = (shape[rank - 2], shape[rank - 1])
        let (r1, c1) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        let (m, k) = transposeSelf ? (c0, r0) : (r0, c0)
        let (k2, n) = transposeOther ? (c1, r1) : (r1, c1)
        let batchShape = Array(shape.dropLast(2))
        let otherBatch = Array(other.shape.dropLast(2))
        guard k == k2, otherBatch.isEmpty || otherBatch == batchShape else {
            throw .shapeMismatch(operation: "matmul", details: "\(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        }
        let batches = batchShape.reduce(1, *)
        let out = Tensor.uninitialized(batchShape + [m, n])
        let strideB = otherBatch.isEmpty ? 0 : r1 * c1
        for i in 0..<batches {
            GEMM.sgemm(.matmul, transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                       a: pointer + i * r0 * c0, lda: c0, b: other.pointer + i * strideB, ldb: c1,
                       c: out.mutablePointer + i * m * n, ldc: n)
        }
        return out
    }
}
