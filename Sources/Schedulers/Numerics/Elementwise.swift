/// Element-wise formulas over tensors of one shape, evaluated in Float32 one operation at a time
/// (no fused multiply-add), so that a formula written in the same order as diffusers' PyTorch
/// expression rounds the same way. One output allocation per call.
enum Elementwise {
    static func map(_ a: Tensor, _ body: (Float) -> Float) -> Tensor {
        a.withUnsafeBufferPointer { pa in
            Tensor(shape: a.shape) { out in
                for i in 0..<out.count { out[i] = body(pa[i]) }
            }
        }
    }

    static func map(_ a: Tensor, _ b: Tensor, _ body: (Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape, "Elementwise.map: shapes \(a.shape) and \(b.shape) differ")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: a.shape) { out in
                    for i in 0..<out.count { out[i] = body(pa[i], pb[i]) }
                }
            }
        }
    }

    static func map(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ body: (Float, Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape && a.shape == c.shape, "Elementwise.map: shapes \(a.shape), \(b.shape), \(c.shape) differ")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeBufferPointer { pc in
                    Tensor(shape: a.shape) { out in
                        for i in 0..<out.count { out[i] = body(pa[i], pb[i], pc[i]) }
                    }
                }
            }
        }
    }

    static func map(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ d: Tensor,
                    _ body: (Float, Float, Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape && a.shape == c.shape && a.shape == d.shape,
                     "Elementwise.map: shapes \(a.shape), \(b.shape), \(c.shape), \(d.shape) differ")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeBufferPointer { pc in
                    d.withUnsafeBufferPointer { pd in
                        Tensor(shape: a.shape) { out in
                            for i in 0..<out.count { out[i] = body(pa[i], pb[i], pc[i], pd[i]) }
                        }
                    }
                }
            }
        }
    }

    /// Σₖ coefficients[k] · tensors[k], accumulated left to right from the first term, as Python's
    /// `sum(c * t for …)` does after its initial `0 +`.
    static func weightedSum(_ coefficients: [Float], _ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty && coefficients.count == tensors.count)
        var total = map(tensors[0]) { coefficients[0] * $0 }
        for k in 1..<tensors.count {
            let c = coefficients[k]
            total = map(total, tensors[k]) { acc, x in acc + c * x }
        }
        return total
    }
}
