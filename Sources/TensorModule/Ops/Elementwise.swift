import Foundation

extension Tensor {
    /// The shape two operands broadcast to under NumPy/PyTorch rules, or nil if they do not.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            result[i] = x == 1 ? y : x
        }
        return result
    }

    /// Applies `op` element-wise with NumPy/PyTorch broadcasting.
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` if the shapes do not broadcast.
    public func broadcasting(_ other: Tensor, operation: String = "broadcast",
                             _ op: @Sendable (Float, Float) -> Float) throws(TensorError) -> Tensor {
        guard let outShape = Tensor.broadcastShape(shape, other.shape) else {
            throw .shapeMismatch(operation: operation, details: "\(shape) and \(other.shape) do not broadcast")
        }
        let out = Tensor.uninitialized(outShape)
        let o = out.mutablePointer, a = pointer, b = other.pointer
        if shape == other.shape {
            parallelFor(count, minimumChunk: 16384) { range in
                for i in range { o[i] = op(a[i], b[i]) }
            }
            return out
        }
        if other.count == 1 {
            let s = b[0]
            parallelFor(count, minimumChunk: 16384) { range in
                for i in range { o[i] = op(a[i], s) }
            }
            return out
        }
        let rank = outShape.count
        let stridesA = Tensor.broadcastStrides(shape, rank: rank, to: outShape)
        let stridesB = Tensor.broadcastStrides(other.shape, rank: rank, to: outShape)
        let inner = outShape.last ?? 1
        let rows = out.count / max(inner, 1)
        let innerA = stridesA.last ?? 0, innerB = stridesB.last ?? 0
        parallelFor(rows, minimumChunk: max(1, 16384 / max(inner, 1))) { range in
            var index = [Int](repeating: 0, count: rank)
            for row in range {
                var remainder = row
                var offsetA = 0, offsetB = 0
                for d in stride(from: rank - 2, through: 0, by: -1) {
                    index[d] = remainder % outShape[d]
                    remainder /= outShape[d]
                    offsetA += index[d] * stridesA[d]
                    offsetB += index[d] * stridesB[d]
                }
                let base = row * inner
                for j in 0..<inner { o[base + j] = op(a[offsetA + j * innerA], b[offsetB + j * innerB]) }
            }
        }
        return out
    }

    /// Element strides of `shape` aligned to `target`, with 0 where the dimension is broadcast.
    static func broadcastStrides(_ shape: [Int], rank: Int, to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: rank)
        var running = 1
        for i in stride(from: rank - 1, through: 0, by: -1) {
            let j = i - (rank - shape.count)
            let extent = j >= 0 ? shape[j] : 1
            strides[i] = extent == 1 ? 0 : running
            running *= extent
        }
        return strides
    }

    /// A new tensor with `transform` applied to every element (in parallel).
    public func map(_ transform: @Sendable (Float) -> Float) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let o = out.mutablePointer, a = pointer
        parallelFor(count, minimumChunk: 16384) { range in
            for i in range { o[i] = transform(a[i]) }
        }
        return out
    }

    /// Applies `transform` to every element in place (in parallel).
    public mutating func apply(_ transform: @Sendable (Float) -> Float) {
        let n = count
        withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            parallelFor(n, minimumChunk: 16384) { range in
                for i in range { p[i] = transform(p[i]) }
            }
        }
    }

    /// Element-wise sum with broadcasting. Traps on incompatible shapes; use
    /// ``broadcasting(_:operation:_:)`` to get an error instead.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, "add", +) }
    /// Element-wise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, "subtract", -) }
    /// Element-wise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, "multiply", *) }
    /// Element-wise quotient with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, "divide", /) }
    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
    /// Multiplies every element by a scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }
    /// Negates every element.
    public static prefix func - (operand: Tensor) -> Tensor { operand.map { -$0 } }

    private func combine(_ other: Tensor, _ name: String, _ op: @escaping @Sendable (Float, Float) -> Float) -> Tensor {
        do { return try broadcasting(other, operation: name, op) } catch {
            preconditionFailure(error.description)
        }
    }

    /// `a · self + b · other`, element-wise on equal shapes: the workhorse of scheduler updates,
    /// computed in one pass with no temporaries.
    public func scaledSum(_ a: Float, _ other: Tensor, _ b: Float) -> Tensor {
        precondition(shape == other.shape, "scaledSum: shapes \(shape) and \(other.shape) differ")
        let out = Tensor.uninitialized(shape)
        let o = out.mutablePointer, x = pointer, y = other.pointer
        parallelFor(count, minimumChunk: 16384) { range in
            for i in range { o[i] = a * x[i] + b * y[i] }
        }
        return out
    }
}

/// Activation functions, as PyTorch defines them.
extension Tensor {
    /// SiLU (swish): `x · σ(x)`.
    public func silu() -> Tensor { map(Activation.silu) }
    /// GELU, exact (erf) form: `x/2 · (1 + erf(x/√2))`.
    public func gelu() -> Tensor { map(Activation.gelu) }
    /// QuickGELU as CLIP defines it: `x · σ(1.702 x)`.
    public func quickGELU() -> Tensor { map(Activation.quickGELU) }
}

/// Scalar activation functions shared by ops that fuse them.
public enum Activation: String, Sendable, Codable {
    /// `x · σ(x)`.
    case silu
    /// Exact GELU.
    case gelu
    /// GELU with the tanh approximation (`gelu_pytorch_tanh`).
    case geluTanh = "gelu_pytorch_tanh"
    /// CLIP's `x · σ(1.702 x)`.
    case quickGELU = "quick_gelu"

    /// The scalar function.
    public var function: @Sendable (Float) -> Float {
        switch self {
        case .silu: return Activation.silu
        case .gelu: return Activation.gelu
        case .geluTanh: return Activation.geluTanh
        case .quickGELU: return Activation.quickGELU
        }
    }

    @Sendable static func silu(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }
    @Sendable static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752)) }
    @Sendable static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)))
    }
    @Sendable static func quickGELU(_ x: Float) -> Float { x / (1 + Foundation.exp(-1.702 * x)) }
}
