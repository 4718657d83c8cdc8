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
            Tensor.combine(a, b, into: o, count: count, op)
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

    /// `self + other` for tensors of one shape, written over this tensor's own elements when no other
    /// value shares them (see ``groupNormConsuming(groups:weight:bias:epsilon:activation:)``),
    /// otherwise into a new tensor. Same results as ``broadcasting(_:operation:_:)`` with `+`.
    ///
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the shapes differ.
    public consuming func addingConsuming(_ other: Tensor, operation: String = "add") throws(TensorError) -> Tensor {
        guard shape == other.shape else {
            throw .shapeMismatch(operation: operation, details: "\(shape) and \(other.shape) differ")
        }
        guard ownsElementsExclusively() else { return try broadcasting(other, operation: operation, +) }
        Tensor.combine(pointer, other.pointer, into: mutablePointer, count: count, +)
        return self
    }

    /// `o[i] = op(a[i], b[i])` over `count` elements on all cores; `o` may be `a` (each element is read
    /// before it is written).
    private static func combine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>,
                                count: Int, _ op: @Sendable (Float, Float) -> Float) {
        parallelFor(count, minimumChunk: 16384) { range in
            for i in range { o[i] = op(a[i], b[i]) }
        }
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
    /// ``broadcasting(_:operation:_:)`` or ``adding(_:)`` to get an error instead.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, .add) }
    /// Element-wise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, .subtract) }
    /// Element-wise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, .multiply) }
    /// Element-wise quotient with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.combine(rhs, .divide) }
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

    /// The element-wise sum with broadcasting, as `+` but throwing on incompatible shapes (the
    /// residual connections of the models use it).
    ///
    /// - Parameter other: The other addend.
    /// - Returns: `self + other`, in the broadcast shape.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` if the shapes do not broadcast.
    public func adding(_ other: Tensor) throws(TensorError) -> Tensor {
        try arithmetic(other, .add)
    }

    private func combine(_ other: Tensor, _ operation: ArithmeticOperation) -> Tensor {
        do { return try arithmetic(other, operation) } catch {
            preconditionFailure(error.description)
        }
    }

    /// The four arithmetic operators, vectorised where both shapes are equal or one side is a
    /// scalar; other broadcasts take the general path.
    private func arithmetic(_ other: Tensor, _ operation: ArithmeticOperation) throws(TensorError) -> Tensor {
        guard shape == other.shape || other.count == 1 else {
            return try broadcasting(other, operation: operation.name, operation.function)
        }
        let out = Tensor.uninitialized(shape)
        let o = out.mutablePointer, a = pointer, b = other.pointer
        let scalar = shape != other.shape
        parallelFor(count, minimumChunk: 32768) { range in
            let n = range.count, x = a + range.lowerBound, y = b + (scalar ? 0 : range.lowerBound)
            let z = o + range.lowerBound
            switch operation {
            case .add: Tensor.vectorLoop(x, y, z, n, scalar) { $0 + $1 }
            case .subtract: Tensor.vectorLoop(x, y, z, n, scalar) { $0 - $1 }
            case .multiply: Tensor.vectorLoop(x, y, z, n, scalar) { $0 * $1 }
            case .divide: Tensor.vectorLoop(x, y, z, n, scalar) { $0 / $1 }
            }
        }
        return out
    }

    /// `z[i] = f(x[i], y[i])` (or `f(x[i], y[0])` when `scalar`) for `n` elements.
    @inline(__always)
    static func vectorLoop(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>,
                           _ n: Int, _ scalar: Bool,
                           _ f: (VectorMath.Vector, VectorMath.Vector) -> VectorMath.Vector) {
        var i = 0
        let splat = VectorMath.Vector(repeating: y[0])
        while i + VectorMath.width <= n {
            VectorMath.store(f(VectorMath.load(x + i), scalar ? splat : VectorMath.load(y + i)), z + i)
            i += VectorMath.width
        }
        while i < n {
            z[i] = f(VectorMath.Vector(repeating: x[i]), VectorMath.Vector(repeating: scalar ? y[0] : y[i]))[0]
            i += 1
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

/// Activation functions, as PyTorch defines them (vectorised; see `VectorMath`).
extension Tensor {
    /// SiLU (swish): `x · σ(x)`.
    public func silu() -> Tensor { activated(.silu) }
    /// GELU, exact (erf) form: `x/2 · (1 + erf(x/√2))`.
    public func gelu() -> Tensor { activated(.gelu) }
    /// QuickGELU as CLIP defines it: `x · σ(1.702 x)`.
    public func quickGELU() -> Tensor { activated(.quickGELU) }

    /// A new tensor with `activation` applied to every element.
    ///
    /// - Parameter activation: The function to apply.
    /// - Returns: A tensor of the same shape.
    public func activated(_ activation: Activation) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let o = out.mutablePointer, a = pointer
        parallelFor(count, minimumChunk: 16384) { range in
            switch activation {
            case .silu: VectorMath.map(a + range.lowerBound, o + range.lowerBound, count: range.count, VectorMath.silu)
            default: VectorMath.map(a + range.lowerBound, o + range.lowerBound, count: range.count) { VectorMath.apply(activation, $0) }
            }
        }
        return out
    }

    /// diffusers' GEGLU after its projection: splits the last dimension into a value half and a
    /// gate half and returns `value · gelu(gate)` (exact GELU), half as wide.
    ///
    /// - Returns: The input's shape with the last extent halved.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the last extent is odd.
    public func gatedGELU() throws(TensorError) -> Tensor {
        guard let doubled = shape.last, doubled % 2 == 0 else {
            throw .shapeMismatch(operation: "gatedGELU", details: "input \(shape): the last extent must be even")
        }
        let half = doubled / 2
        var outShape = shape
        outShape[outShape.count - 1] = half
        let out = Tensor.uninitialized(outShape)
        let rows = count / Swift.max(doubled, 1)
        let a = pointer, o = out.mutablePointer
        parallelFor(rows, minimumChunk: Swift.max(1, 8192 / Swift.max(half, 1))) { range in
            for row in range {
                let value = a + row * doubled, gate = value + half, result = o + row * half
                var i = 0
                while i + VectorMath.width <= half {
                    VectorMath.store(VectorMath.load(value + i) * VectorMath.gelu(VectorMath.load(gate + i)), result + i)
                    i += VectorMath.width
                }
                if i < half {
                    let n = half - i
                    let v = VectorMath.loadPartial(value + i, count: n) * VectorMath.gelu(VectorMath.loadPartial(gate + i, count: n))
                    VectorMath.storePartial(v, result + i, count: n)
                }
            }
        }
        return out
    }

    /// Applies `activation` to every element in place.
    ///
    /// - Parameter activation: The function to apply.
    public mutating func apply(_ activation: Activation) {
        let n = count
        withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            parallelFor(n, minimumChunk: 16384) { range in
                VectorMath.apply(activation, to: p + range.lowerBound, count: range.count)
            }
        }
    }
}

/// The element-wise arithmetic operators with fast paths.
enum ArithmeticOperation {
    case add, subtract, multiply, divide

    var name: String {
        switch self {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .divide: return "divide"
        }
    }

    var function: @Sendable (Float, Float) -> Float {
        switch self {
        case .add: return { $0 + $1 }
        case .subtract: return { $0 - $1 }
        case .multiply: return { $0 * $1 }
        case .divide: return { $0 / $1 }
        }
    }
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

    /// The scalar function. It computes exactly what the vectorised tensor operations compute for
    /// each element.
    public var function: @Sendable (Float) -> Float {
        switch self {
        case .silu: return Activation.silu
        case .gelu: return Activation.gelu
        case .geluTanh: return Activation.geluTanh
        case .quickGELU: return Activation.quickGELU
        }
    }

    @Sendable static func silu(_ x: Float) -> Float { VectorMath.scalar(x, VectorMath.silu) }
    @Sendable static func gelu(_ x: Float) -> Float { VectorMath.scalar(x, VectorMath.gelu) }
    @Sendable static func geluTanh(_ x: Float) -> Float { VectorMath.scalar(x, VectorMath.geluTanh) }
    @Sendable static func quickGELU(_ x: Float) -> Float { VectorMath.scalar(x, VectorMath.quickGELU) }
}
