import Foundation

extension Tensor {
    /// Group normalization as PyTorch's `nn.GroupNorm` over an `[N, C, ...]` tensor, optionally
    /// followed by an activation in the same pass (diffusers' resnets apply SiLU right after).
    ///
    /// Statistics are accumulated in Double, so the result does not depend on thread count.
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
        guard rank >= 2, groups > 0, shape[1] % groups == 0,
              weight.map({ $0.shape == [shape[1]] }) ?? true, bias.map({ $0.shape == [shape[1]] }) ?? true else {
            throw .shapeMismatch(operation: "groupNorm", details: "input \(shape), \(groups) groups, weight \(weight?.shape ?? []), bias \(bias?.shape ?? [])")
        }
        let (batch, channels) = (shape[0], shape[1])
        let spatial = count / max(1, batch * channels)
        let perGroup = channels / groups
        let out = Tensor.uninitialized(shape)
        let x = pointer, o = out.mutablePointer
        let w = weight?.pointer, b = bias?.pointer
        let act = activation?.function
        parallelFor(batch * groups) { range in
            for ng in range {
                let n = ng / groups, g = ng % groups
                let base = (n * channels + g * perGroup) * spatial
                let length = perGroup * spatial
                var sum = 0.0
                for i in 0..<length { sum += Double(x[base + i]) }
                let mean = sum / Double(length)
                var squares = 0.0
                for i in 0..<length { let d = Double(x[base + i]) - mean; squares += d * d }
                let invStd = 1 / (squares / Double(length) + Double(epsilon)).squareRoot()
                // Subtract the mean before scaling: folding it into the shift (x·s + (b − m·s))
                // cancels catastrophically when |mean| ≫ std. The mean is split into two floats
                // (x − high is exact near the mean), so its rounding to float costs nothing either.
                let high = Float(mean), low = Float(mean - Double(high))
                for cg in 0..<perGroup {
                    let c = g * perGroup + cg
                    let scale = Float(invStd) * (w?[c] ?? 1)
                    let shift = b?[c] ?? 0
                    let start = base + cg * spatial
                    if let act {
                        for i in start..<(start + spatial) { o[i] = act((x[i] - high - low) * scale + shift) }
                    } else {
                        for i in start..<(start + spatial) { o[i] = (x[i] - high - low) * scale + shift }
                    }
                }
            }
        }
        return out
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
                var sum = 0.0
                for i in 0..<width { sum += Double(row[i]) }
                let mean = sum / Double(width)
                var squares = 0.0
                for i in 0..<width { let d = Double(row[i]) - mean; squares += d * d }
                let invStd = Float(1 / (squares / Double(width) + Double(epsilon)).squareRoot())
                // The mean as two floats, as in groupNorm: exact centring even when |mean| ≫ std.
                let high = Float(mean), low = Float(mean - Double(high))
                for i in 0..<width {
                    result[i] = (row[i] - high - low) * invStd * (w?[i] ?? 1) + (b?[i] ?? 0)
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

    /// In-place softmax of one row; `-infinity` entries become 0.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = Swift.max(maximum, row[i]) }
        if maximum == -Float.infinity {
            row.update(repeating: 0, count: count)
            return
        }
        var sum: Float = 0
        for i in 0..<count {
            let e = Foundation.exp(row[i] - maximum)
            row[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { row[i] *= inverse }
    }
}
