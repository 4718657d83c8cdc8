/// A dense, contiguous, row-major tensor of `Float` (32-bit) values.
///
/// Images and feature maps use NCHW layout; token sequences use `[batch, tokens, channels]`.
/// `Tensor` has value semantics: copies share memory until one of them is written
/// (copy-on-write), so passing tensors between tasks is cheap and safe.
public struct Tensor: Sendable {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    var storage: TensorStorage

    /// The number of elements (the product of `shape`).
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Creates a tensor from a shape and its elements in row-major order.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape` and no extent is negative.
    public init(shape: [Int], scalars: [Float]) {
        let count = Tensor.elementCount(shape)
        precondition(scalars.count == count, "Tensor(shape: \(shape)) needs \(count) scalars, got \(scalars.count)")
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: count)
        scalars.withUnsafeBufferPointer { source in
            if count > 0 { storage.pointer.update(from: source.baseAddress!, count: count) }
        }
    }

    /// Creates a tensor of the given shape whose every element is `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Tensor.elementCount(shape))
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    /// Creates a tensor of the given shape and fills it by calling `body` once with its
    /// (uninitialised) element buffer. `body` must write every element.
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Tensor.elementCount(shape))
        try body(storage.buffer)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// The elements in row-major order, copied into an array.
    public var scalars: [Float] { Array(storage.buffer) }

    /// Calls `body` with read access to the elements in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Calls `body` with write access to the elements, copying them first if another value shares them.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(storage.buffer)
    }

    /// Whether this value is the only one using its memory, so an operation that consumes it may write
    /// its result over the elements.
    mutating func ownsElementsExclusively() -> Bool {
        isKnownUniquelyReferenced(&storage) && storage.ownsMemory
    }

    /// The same elements viewed with another shape of equal element count (no copy).
    ///
    /// One extent may be `-1`, inferred from the others.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(Tensor.elementCount(resolved) == count, "cannot reshape \(shape) to \(newShape)")
        var result = self
        result.shape = resolved
        return result
    }

    /// The element at a multi-dimensional index (slow; for tests and diagnostics).
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == shape.count, "index rank \(index.count) does not match tensor rank \(shape.count)")
        var offset = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "index \(index) out of range for shape \(shape)")
            offset = offset * extent + i
        }
        return storage.pointer[offset]
    }

    /// Read-only base address, valid while `self` is alive. Internal fast path for ops.
    var pointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// A new tensor with uninitialised elements, for ops that write every element.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage(uninitializedCount: elementCount(shape)), shape: shape)
    }

    init(storage: TensorStorage, shape: [Int]) {
        precondition(storage.count == Tensor.elementCount(shape))
        self.storage = storage
        self.shape = shape
    }

    /// Mutable base address of a tensor known to be uniquely owned (fresh from `uninitialized`).
    var mutablePointer: UnsafeMutablePointer<Float> { storage.pointer }

    static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1) { partial, extent in
            precondition(extent >= 0, "negative extent in shape \(shape)")
            return partial * extent
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: shape and the first few elements.
    public var description: String {
        let head = scalars.prefix(6).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 6 ? ", …" : "")])"
    }
}
