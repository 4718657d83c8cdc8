extension Tensor {
    /// Joins tensors along `axis`; all other extents must agree.
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` for an empty list or differing shapes.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws(TensorError) -> Tensor {
        guard let first = tensors.first, axis >= 0, axis < first.rank else {
            throw .shapeMismatch(operation: "concatenate", details: "no tensors, or axis \(axis) out of range")
        }
        for t in tensors where t.rank != first.rank
            || zip(t.shape, first.shape).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
            throw .shapeMismatch(operation: "concatenate", details: "\(t.shape) and \(first.shape) differ outside axis \(axis)")
        }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        let out = Tensor.uninitialized(outShape)
        let rowLength = outShape[axis] * inner
        var offset = 0
        for t in tensors {
            let span = t.shape[axis] * inner
            let source = t.pointer, destination = out.mutablePointer + offset
            parallelFor(outer, minimumChunk: max(1, 8192 / max(span, 1))) { range in
                for o in range { (destination + o * rowLength).initialize(from: source + o * span, count: span) }
            }
            offset += span
        }
        return out
    }

    /// The sub-tensor with indices `range` along `axis` (a copy).
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the range is out of bounds.
    public func slice(axis: Int, _ range: Range<Int>) throws(TensorError) -> Tensor {
        guard axis >= 0, axis < rank, range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw .shapeMismatch(operation: "slice", details: "range \(range) on axis \(axis) of \(shape)")
        }
        var outShape = shape
        outShape[axis] = range.count
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let out = Tensor.uninitialized(outShape)
        let span = range.count * inner, rowLength = shape[axis] * inner
        let source = pointer + range.lowerBound * inner, destination = out.mutablePointer
        parallelFor(outer, minimumChunk: max(1, 8192 / max(span, 1))) { rows in
            for o in rows { (destination + o * span).initialize(from: source + o * rowLength, count: span) }
        }
        return out
    }

    /// Splits into `parts` equal pieces along `axis` (PyTorch's `chunk` when it divides evenly).
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the extent is not divisible.
    public func chunked(_ parts: Int, axis: Int) throws(TensorError) -> [Tensor] {
        guard parts > 0, axis >= 0, axis < rank, shape[axis] % parts == 0 else {
            throw .shapeMismatch(operation: "chunk", details: "\(shape) into \(parts) along axis \(axis)")
        }
        let size = shape[axis] / parts
        var pieces: [Tensor] = []
        for i in 0..<parts { pieces.append(try slice(axis: axis, (i * size)..<((i + 1) * size))) }
        return pieces
    }

    /// The dimensions reordered: result dimension `i` is input dimension `permutation[i]` (a copy,
    /// as PyTorch's `permute(...).contiguous()`).
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` for an invalid permutation.
    public func permuted(_ permutation: [Int]) throws(TensorError) -> Tensor {
        guard permutation.sorted() == Array(0..<rank) else {
            throw .shapeMismatch(operation: "permute", details: "\(permutation) for rank \(rank)")
        }
        let outShape = permutation.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inputStrides[d] = inputStrides[d + 1] * shape[d + 1] }
        let strides = permutation.map { inputStrides[$0] }
        let out = Tensor.uninitialized(outShape)
        guard count > 0 else { return out }
        let inner = outShape.last ?? 1, innerStride = strides.last ?? 1
        let rows = count / inner
        let source = pointer, destination = out.mutablePointer
        parallelFor(rows, minimumChunk: max(1, 4096 / max(inner, 1))) { range in
            for row in range {
                var remainder = row, offset = 0
                for d in stride(from: outShape.count - 2, through: 0, by: -1) {
                    offset += (remainder % outShape[d]) * strides[d]
                    remainder /= outShape[d]
                }
                let line = destination + row * inner
                for j in 0..<inner { line[j] = source[offset + j * innerStride] }
            }
        }
        return out
    }

    /// Nearest-neighbour upsampling of an NCHW tensor to `height × width`, as PyTorch's
    /// `F.interpolate(mode="nearest", size=...)` (source index `⌊dst · in / out⌋`). With twice the
    /// input size this is diffusers' 2× upsample; other sizes serve skips of odd latent sides.
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` for a non-4-D input or empty size.
    public func upsampleNearest(height outHeight: Int, width outWidth: Int) throws(TensorError) -> Tensor {
        guard rank == 4, outHeight > 0, outWidth > 0 else {
            throw .shapeMismatch(operation: "upsampleNearest", details: "input \(shape) to \(outHeight)×\(outWidth)")
        }
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let scaleY = Float(height) / Float(outHeight), scaleX = Float(width) / Float(outWidth)
        let sourceX = (0..<outWidth).map { Swift.min(Int((Float($0) * scaleX).rounded(.down)), width - 1) }
        let sourceY = (0..<outHeight).map { Swift.min(Int((Float($0) * scaleY).rounded(.down)), height - 1) }
        let out = Tensor.uninitialized([shape[0], shape[1], outHeight, outWidth])
        let source = pointer, destination = out.mutablePointer
        parallelFor(planes) { range in
            for p in range {
                let input = source + p * height * width, output = destination + p * outHeight * outWidth
                for oy in 0..<outHeight {
                    let inLine = input + sourceY[oy] * width, outLine = output + oy * outWidth
                    for ox in 0..<outWidth { outLine[ox] = inLine[sourceX[ox]] }
                }
            }
        }
        return out
    }
}
