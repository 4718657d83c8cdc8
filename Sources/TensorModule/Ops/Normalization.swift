extension Tensor {
    /// Group normalization as PyTorch's `nn.GroupNorm` over an `[N, C, ...]` tensor, optionally
    /// followed by an activation in the same pass (diffusers' resnets apply SiLU right after).
    ///
    /// Statistics are accumulated in a fixed order (float lanes per block, blocks in Double; see
    /// `moments`), so the result does not depend on thread count.
    ///
    /// - Parameters:
    ///   - groups: Number of channel groups; must divide `C`.
    ///   - weight: Per-channel scale `[C]`, or nil.
    ///   - bias: Per-channel shift `[C]`, or nil.
    ///   - epsilon: Added to the variance.
    ///   - activation: Applied after the affine transform, or nil.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when `C` does not fit.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                          activation: Activation? = nil) throws(TensorError) -> Tensor {
        try validateGroupNorm(groups: groups, weight: weight, bias: bias)
        let out = Tensor.uninitialized(shape)
        groupNormalize(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation,
                       into: out.mutablePointer)
        return out
    }

    /// ``groupNorm(groups:weight:bias:epsilon:activation:)`` written over this tensor's own elements
    /// when no other value shares them (a tensor handed over with `consume` that nothing else needs),
    /// otherwise into a new tensor. The result is the same either way; only the memory differs.
    ///
    /// - Parameters: As ``groupNorm(groups:weight:bias:epsilon:activation:)``.
    /// - Throws: As ``groupNorm(groups:weight:bias:epsilon:activation:)``.
    public consuming func groupNormConsuming(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                                             activation: Activation? = nil) throws(TensorError) -> Tensor {
        guard ownsElementsExclusively() else {
            return try groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation)
        }
        try validateGroupNorm(groups: groups, weight: weight, bias: bias)
        // Each group's statistics are taken before any of its elements is written, and groups do not
        // overlap, so the output may be the input.
        groupNormalize(groups: groups, weight: weight, bias: bias, epsilon: epsilon, activation: activation,
                       into: mutablePointer)
        return self
    }

    private func validateGroupNorm(groups: Int, weight: Tensor?, bias: Tensor?) throws(TensorError) {
        guard rank >= 2, groups > 0, shape[1] % groups == 0,
              weight.map({ $0.shape == [shape[1]] }) ?? true, bias.map({ $0.shape == [shape[1]] }) ?? true else {
            throw .shapeMismatch(operation: "groupNorm", details: "input \(shape), \(groups) groups, weight \(weight?.shape ?? []), bias \(bias?.shape ?? [])")
        }
    }

    /// The normalization of a validated input into `o` (which may be the input's own elements).
    private func groupNormalize(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float, activation: Activation?,
                                into o: UnsafeMutablePointer<Float>) {
        let (batch, channels) = (shape[0], shape[1])
        let spatial = count / max(1, batch * channels)
        let perGroup = channels / groups
        let x = pointer
        let w = weight?.pointer, b = bias?.pointer
        parallelFor(batch * groups) { range in
            for ng in range {
                let n = ng / groups, g = ng % groups
                let base = (n * channels + g * perGroup) * spatial
                let (high, low, invStd) = Tensor.moments(x + base, count: perGroup * spatial, epsilon: epsilon)
                for cg in 0..<perGroup {
                    let c = g * perGroup + cg
                    let start = base + cg * spatial
                    Tensor.normalizeRow(x + start, o + start, count: spatial, high: high, low: low,
                                        scale: invStd * (w?[c] ?? 1), shift: b?[c] ?? 0, activation: activation)
                }
            }
        }
    }

    /// Mean (as a float pair `high + low`) and `1/√(variance + ε)` of `count` elements, in two
    /// passes (mean, then squared deviations) so a large mean does not cancel the variance away.
    ///
    /// Sums run in eight float lanes over blocks of at most 512 elements, with the block sums added
    /// in Double; the first pass sums deviations from the first element, so the lanes hold values of
    /// the data's spread rather than its magnitude. The order is fixed by `count` alone, so results
    /// do not depend on threading.
    static func moments(_ x: UnsafePointer<Float>, count: Int, epsilon: Float) -> (high: Float, low: Float, invStd: Float) {
        guard count > 0 else { return (0, 0, 1 / epsilon.squareRoot()) }
        let blockLength = 512
        let pivot = x[0]
        var total = 0.0
        var start = 0
        while start < count {
            let length = Swift.min(blockLength, count - start)
            total += Double(blockSum(x + start, count: length) { $0 - VectorMath.Vector(repeating: pivot) })
            start += length
        }
        let mean = Double(pivot) + total / Double(count)
        // The mean as two floats: x − high is exact near the mean, so centring costs no rounding.
        let high = Float(mean), low = Float(mean - Double(high))
        var squares = 0.0
        start = 0
        while start < count {
            let length = Swift.min(blockLength, count - start)
            squares += Double(blockSum(x + start, count: length) { v in
                let d = v - VectorMath.Vector(repeating: high) - VectorMath.Vector(repeating: low)
                return d * d
            })
            start += length
        }
        let invStd = Float(1 / (squares / Double(count) + Double(epsilon)).squareRoot())
        return (high, low, invStd)
    }

    /// The sum of `f` over `count` elements, in eight lanes then pairwise (padding lanes excluded).
    @inline(__always)
    private static func blockSum(_ x: UnsafePointer<Float>, count: Int,
                                 _ f: (VectorMath.Vector) -> VectorMath.Vector) -> Float {
        var sum = VectorMath.Vector.zero
        var i = 0
        while i + VectorMath.width <= count {
            sum += f(VectorMath.load(x + i))
            i += VectorMath.width
        }
        if i < count {
            let tail = f(VectorMath.loadPartial(x + i, count: count - i))
            var masked = VectorMath.Vector.zero
            for lane in 0..<(count - i) { masked[lane] = tail[lane] }
            sum += masked
        }
        return ((sum[0] + sum[4]) + (sum[1] + sum[5])) + ((sum[2] + sum[6]) + (sum[3] + sum[7]))
    }

    /// `o = activation((x − high − low) · scale + shift)` over `count` elements.
    @inline(__always)
    static func normalizeRow(_ x: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, count: Int,
                             high: Float, low: Float, scale: Float, shift: Float, activation: Activation?) {
        let h = VectorMath.Vector(repeating: high), l = VectorMath.Vector(repeating: low)
        let s = VectorMath.Vector(repeating: scale), t = VectorMath.Vector(repeating: shift)
        switch activation {
        case nil: VectorMath.map(x, o, count: count) { ($0 - h - l) * s + t }
        case .silu?: VectorMath.map(x, o, count: count) { VectorMath.silu(($0 - h - l) * s + t) }
        case let other?: VectorMath.map(x, o, count: count) { VectorMath.apply(other, ($0 - h - l) * s + t) }
        }
    }

    /// Layer normalization over the last dimension, as PyTorch's `nn.LayerNorm(C)`.
    ///
    /// - Parameters:
    ///   - weight: Scale `[C]`, or nil.
    ///   - bias: Shift `[C]`, or nil.
    ///   - epsilon: Added to the variance.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when `C` does not fit.
    public func layerNorm(weight: Tensor?, bias: Tensor?, epsilon: Float) throws(TensorError) -> Tensor {
        guard let width = shape.last, width > 0,
              weight.map({ $0.shape == [width] }) ?? true, bias.map({ $0.shape == [width] }) ?? true else {
            throw .shapeMismatch(operation: "layerNorm", details: "input \(shape), weight \(weight?.shape ?? []), bias \(bias?.shape ?? [])")
        }
        let rows = count / width
        let out = Tensor.uninitialized(shape)
        let x = pointer, o = out.mutablePointer
        let w = weight?.pointer, b = bias?.pointer
        parallelFor(rows, minimumChunk: 16) { range in
            for r in range {
                let row = x + r * width, result = o + r * width
                let (high, low, invStd) = Tensor.moments(row, count: width, epsilon: epsilon)
                let h = VectorMath.Vector(repeating: high), l = VectorMath.Vector(repeating: low)
                let s = VectorMath.Vector(repeating: invStd)
                var i = 0
                while i + VectorMath.width <= width {
                    var v = (VectorMath.load(row + i) - h - l) * s
                    if let w { v *= VectorMath.load(w + i) }
                    if let b { v += VectorMath.load(b + i) }
                    VectorMath.store(v, result + i)
                    i += VectorMath.width
                }
                while i < width {
                    result[i] = (row[i] - high - low) * invStd * (w?[i] ?? 1) + (b?[i] ?? 0)
                    i += 1
                }
            }
        }
        return out
    }

    /// Softmax over the last dimension (max-subtracted, as PyTorch computes it).
    public func softmax() -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { buffer in
            let width = shape.last ?? 1
            let p = buffer.baseAddress!
            parallelFor(count / max(width, 1), minimumChunk: 8) { range in
                for r in range { Tensor.softmaxRow(p + r * width, count: width) }
            }
        }
        return out
    }

    /// In-place softmax of one row; `-infinity` entries become 0, and a row of only `-infinity`
    /// becomes zeros.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let inverse = exponentiateRow(row, count: count)
        VectorMath.scale(row, count: count, by: inverse)
    }

    /// Replaces a row by `exp(x − max)` and returns 1 / their sum (0 for a row of only `-infinity`,
    /// which is zeroed): the softmax without its final scaling, which callers may fold elsewhere.
    @inline(__always)
    static func exponentiateRow(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let maximum = VectorMath.maximum(row, count: count)
        if maximum == -Float.infinity {
            row.update(repeating: 0, count: count)
            return 0
        }
        return 1 / VectorMath.exponentiateAndSum(row, count: count, shift: maximum)
    }
}
