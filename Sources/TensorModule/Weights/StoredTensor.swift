/// The element type a weight is kept in between uses.
public enum StoredPrecision: String, Sendable, CaseIterable {
    /// 32-bit floats, used as they are.
    case float32
    /// IEEE half precision, widened to float32 where used (exact).
    case float16
    /// bfloat16, widened to float32 where used (exact).
    case bfloat16

    /// Bytes per element.
    public var byteSize: Int { self == .float32 ? 4 : 2 }
}

/// A model weight as its checkpoint stores it: float32, or fp16 / bf16 kept 16-bit (in memory, or in
/// the memory-mapped safetensors file) and widened to float32 only while a layer uses it.
///
/// Keeping SD 1.5's fp16 files 16-bit halves the memory its weights take (2.1 GB instead of 4.3 GB).
/// Widening is exact, so results are identical to widening everything at load. Layers call
/// ``withFloat32(_:)`` around the operation that needs the weight; the float32 copy lives in a buffer
/// that is reused from call to call (``WideningBuffers``).
public struct StoredTensor: Sendable {
    /// The extents, outermost first.
    public let shape: [Int]
    // Stored as optionals rather than as an enum with two payloads: Swift keeps a multi-payload enum's
    // case in the spare high bits of its payload's object pointer, and LeakSanitizer, not seeing
    // the pointer, then reports every mapped weight buffer as leaked.
    private let wide: Tensor?
    private let half: HalfWidthBuffer?
    private let halfOffset: Int
    /// Low-rank deltas added in float32 whenever the weight is widened (LoRA); empty for a plain weight.
    public let lowRankUpdates: [LowRankUpdate]

    enum Representation {
        case float32(Tensor)
        /// `count` elements of `buffer` starting at element `offset`.
        case halfWidth(HalfWidthBuffer, offset: Int)
    }

    var representation: Representation {
        if let half { return .halfWidth(half, offset: halfOffset) }
        guard let wide else { preconditionFailure("StoredTensor holds neither representation") }
        return .float32(wide)
    }

    /// Wraps a float32 tensor (used as is, never copied).
    public init(_ tensor: Tensor) {
        self.shape = tensor.shape
        (self.wide, self.half, self.halfOffset) = (tensor, nil, 0)
        self.lowRankUpdates = []
    }

    init(shape: [Int], buffer: HalfWidthBuffer, offset: Int = 0) {
        precondition(offset >= 0 && offset + Tensor.elementCount(shape) <= buffer.count, "stored tensor outside its buffer")
        self.shape = shape
        (self.wide, self.half, self.halfOffset) = (nil, buffer, offset)
        self.lowRankUpdates = []
    }

    private init(_ base: StoredTensor, shape: [Int], updates: [LowRankUpdate]) {
        self.shape = shape
        (self.wide, self.half, self.halfOffset) = (base.wide, base.half, base.halfOffset)
        self.lowRankUpdates = updates
    }

    /// The same stored elements with a low-rank delta added on every use: the weight a layer sees
    /// is `widened + scale · up · down`, computed in float32 (the stored elements are not changed
    /// or copied). Deltas accumulate: several LoRAs on one layer sum.
    ///
    /// - Parameter update: The delta; `rows` must be the first extent and `columns` the elements
    ///   per row.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the delta does not fit.
    public func adding(_ update: LowRankUpdate) throws(TensorError) -> StoredTensor {
        guard let first = shape.first, update.rows == first, update.rows * update.columns == count else {
            throw .shapeMismatch(operation: "StoredTensor.adding", details: "delta \(update.rows)×\(update.columns) for weight \(shape)")
        }
        return StoredTensor(self, shape: shape, updates: lowRankUpdates + [update])
    }

    /// Rounds a float32 tensor to a 16-bit precision (round to nearest even), as `tensor.half()` does
    /// in PyTorch; `.float32` keeps it as is.
    ///
    /// - Parameters:
    ///   - tensor: The values.
    ///   - precision: The precision to keep them in.
    public init(rounding tensor: Tensor, to precision: StoredPrecision) {
        switch precision {
        case .float32: self.init(tensor)
        case .float16, .bfloat16:
            let buffer = tensor.withUnsafeBufferPointer { HalfWidthBuffer.narrowing($0, to: precision == .float16 ? .float16 : .bfloat16) }
            self.init(shape: tensor.shape, buffer: buffer)
        }
    }

    /// Number of elements.
    public var count: Int { Tensor.elementCount(shape) }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// How the elements are kept.
    public var precision: StoredPrecision {
        switch representation {
        case .float32: return .float32
        case .halfWidth(let buffer, _): return buffer.encoding == .float16 ? .float16 : .bfloat16
        }
    }

    /// Whether the elements are read from a memory-mapped file (pages the system can drop and reload)
    /// rather than memory of their own.
    public var isMemoryMapped: Bool {
        if case .halfWidth(let buffer, _) = representation { return buffer.isMapped }
        return false
    }

    /// Bytes the elements occupy while stored.
    public var storedBytes: Int { count * precision.byteSize }

    /// Calls `body` with the weight as a float32 tensor, valid only inside `body`.
    ///
    /// A float32 weight is passed as it is; a 16-bit one is widened into a reused buffer first (on all
    /// compute threads). Do not keep the tensor, or a view of it, after `body` returns: keep
    /// ``float32()`` instead.
    ///
    /// - Parameter body: The work that needs the weight (usually one tensor operation).
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public func withFloat32<Result, Failure: Error>(_ body: (Tensor) throws(Failure) -> Result) throws(Failure) -> Result {
        if !lowRankUpdates.isEmpty {
            return try WideningBuffers.withTensor(shape: shape, fill: { destination in
                writeFloat32(into: destination)
            }, body)
        }
        switch representation {
        case .float32(let tensor):
            return try body(tensor)
        case .halfWidth(let buffer, let offset):
            let count = self.count
            return try WideningBuffers.withTensor(shape: shape, fill: { destination in
                buffer.widen(offset..<(offset + count), into: destination)
            }, body)
        }
    }

    /// The weight as a float32 tensor of its own (a copy for 16-bit weights): for tests, and for code
    /// that transforms a weight once at load.
    public func float32() -> Tensor {
        if !lowRankUpdates.isEmpty {
            let out = Tensor.uninitialized(shape)
            writeFloat32(into: out.mutablePointer)
            return out
        }
        switch representation {
        case .float32(let tensor):
            return tensor
        case .halfWidth(let buffer, let offset):
            let out = Tensor.uninitialized(shape)
            buffer.widen(offset..<(offset + count), into: out.mutablePointer)
            return out
        }
    }

    /// One row of the outermost dimension (an embedding table's entry), widened to float32 with its
    /// low-rank deltas, written to `destination`: a lookup reads only the rows it needs.
    ///
    /// - Precondition: `row` lies in the first dimension.
    public func writeFloat32(row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(rank >= 1 && (0..<shape[0]).contains(row), "row \(row) of \(shape)")
        writeFloat32(rows: row..<(row + 1), into: destination)
    }

    /// The widened elements plus the low-rank deltas, written to `destination` (`count` floats).
    private func writeFloat32(into destination: UnsafeMutablePointer<Float>) {
        writeFloat32(rows: 0..<(shape.first ?? 1), into: destination)
    }

    /// Rows `rows` of the outermost dimension (a scalar is one row), widened, plus the matching rows of
    /// the low-rank deltas, written to `destination`.
    private func writeFloat32(rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let width = count / Swift.max(1, shape.first ?? 1)
        let elements = (rows.lowerBound * width)..<(rows.upperBound * width)
        switch representation {
        case .float32(let tensor):
            tensor.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + elements.lowerBound, count: elements.count) }
        case .halfWidth(let buffer, let offset):
            buffer.widen((offset + elements.lowerBound)..<(offset + elements.upperBound), into: destination)
        }
        for update in lowRankUpdates { update.add(rows: rows, into: destination) }
    }

    /// The same elements viewed with another shape of equal element count (no copy).
    ///
    /// - Precondition: The element counts are equal.
    public func reshaped(_ newShape: [Int]) -> StoredTensor {
        if !lowRankUpdates.isEmpty {
            // A delta is a row-major [rows, columns] block; another first extent would cut it differently.
            precondition(newShape.first == shape.first && Tensor.elementCount(newShape) == count,
                         "cannot reshape a weight with low-rank updates from \(shape) to \(newShape)")
            let base = StoredTensor(self, shape: shape, updates: []).reshaped(newShape)
            return StoredTensor(base, shape: newShape, updates: lowRankUpdates)
        }
        switch representation {
        case .float32(let tensor):
            return StoredTensor(tensor.reshaped(newShape))
        case .halfWidth(let buffer, let offset):
            precondition(Tensor.elementCount(newShape) == count, "cannot reshape \(shape) to \(newShape)")
            return StoredTensor(shape: newShape, buffer: buffer, offset: offset)
        }
    }

    /// A range of the outermost dimension (rows of a matrix), sharing the stored 16-bit elements; a
    /// float32 weight is copied (as ``Tensor/slice(axis:_:)`` does).
    ///
    /// - Parameter range: Indices along the first dimension.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` for a scalar or a range outside it.
    public func rows(_ range: Range<Int>) throws(TensorError) -> StoredTensor {
        guard let extent = shape.first, range.lowerBound >= 0, range.upperBound <= extent else {
            throw .shapeMismatch(operation: "StoredTensor.rows", details: "rows \(range) of \(shape)")
        }
        if !lowRankUpdates.isEmpty {
            let base = try StoredTensor(self, shape: shape, updates: []).rows(range)
            var updates: [LowRankUpdate] = []
            for update in lowRankUpdates {
                updates.append(try LowRankUpdate(up: try update.up.slice(axis: 0, range), down: update.down, scale: update.scale))
            }
            return StoredTensor(base, shape: base.shape, updates: updates)
        }
        switch representation {
        case .float32(let tensor):
            return StoredTensor(try tensor.slice(axis: 0, range))
        case .halfWidth(let buffer, let offset):
            let rowCount = Tensor.elementCount(Array(shape.dropFirst()))
            return StoredTensor(shape: [range.count] + shape.dropFirst(), buffer: buffer,
                                offset: offset + range.lowerBound * rowCount)
        }
    }
}
