/// Another source's float32 weights kept 16-bit: a float32 checkpoint held in memory as fp16 or
/// bf16, for half the memory (`LoadOptions.weightsPrecision`, `sd generate --weights-precision`).
///
/// Layer weights (``loadStoredTensor(named:expectedShape:)``) are rounded to nearest even, one tensor
/// at a time, and stay 16-bit, widened exactly per use as an fp16 checkpoint's are. Every other
/// tensor (biases, norms, embeddings read with ``loadTensor(named:expectedShape:)``) is rounded the
/// same way and widened back, so the model computes exactly what it computes from the same weights
/// saved in 16 bits: parity then holds to the 16-bit weights. Tensors the base already holds in 16
/// bits are passed through unchanged (an fp16 tensor is never re-rounded to bf16).
public struct NarrowingWeightSource: WeightSource {
    /// The float32 weights.
    public let base: any WeightSource
    /// What float32 weights become: `.float16` or `.bfloat16` (`.float32` passes everything through).
    public let precision: StoredPrecision

    /// Wraps a source.
    ///
    /// - Parameters:
    ///   - base: The weights as stored.
    ///   - precision: The 16-bit precision float32 weights are kept in.
    public init(base: any WeightSource, precision: StoredPrecision) {
        self.base = base
        self.precision = precision
    }

    /// The base's names.
    public var tensorNames: Set<String>? { base.tensorNames }
    /// The base's description with the precision.
    public var sourceDescription: String {
        precision == .float32 ? base.sourceDescription : "\(base.sourceDescription) (kept as \(precision.rawValue))"
    }
    /// The base's shape.
    public func shape(of name: String) -> [Int]? { base.shape(of: name) }

    /// The base's tensor rounded to ``precision`` and widened back.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        guard precision != .float32 else { return try base.loadTensor(named: name, expectedShape: expectedShape) }
        let stored = try base.loadStoredTensor(named: name, expectedShape: expectedShape)
        let tensor = stored.float32()
        return stored.precision == .float32 ? StoredTensor(rounding: tensor, to: precision).float32() : tensor
    }

    /// The base's layer weight, rounded to ``precision`` when it is float32.
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        let stored = try base.loadStoredTensor(named: name, expectedShape: expectedShape)
        guard precision != .float32, stored.precision == .float32 else { return stored }
        return StoredTensor(rounding: stored.float32(), to: precision)
    }
}
