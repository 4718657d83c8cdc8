/// Another source's weights with changes: low-rank deltas on some layer weights (LoRA) and whole
/// tensors replaced (a text encoder's token embedding grown by textual inversion). Every other
/// tensor is the base source's, read as the base reads it, so a model rebuilt from this source
/// shares every untouched weight with the model built from the base.
public struct PatchedWeightSource: WeightSource {
    /// The unchanged weights.
    public let base: any WeightSource
    /// Deltas by tensor name, in the order they are added.
    public let updates: [String: [LowRankUpdate]]
    /// Tensors served instead of the base's (they may have other shapes).
    public let replacements: [String: Tensor]

    /// Wraps a base source.
    ///
    /// - Parameters:
    ///   - base: The unchanged weights.
    ///   - updates: Low-rank deltas by tensor name (names the base holds).
    ///   - replacements: Tensors served instead of the base's.
    public init(base: any WeightSource, updates: [String: [LowRankUpdate]] = [:], replacements: [String: Tensor] = [:]) {
        self.base = base
        self.updates = updates
        self.replacements = replacements
    }

    /// The base's names plus the replacements'.
    public var tensorNames: Set<String>? { base.tensorNames.map { $0.union(replacements.keys) } }
    /// The base's description, marked as patched.
    public var sourceDescription: String { "\(base.sourceDescription) (with adapters)" }
    /// A replacement's shape, else the base's.
    public func shape(of name: String) -> [Int]? { replacements[name]?.shape ?? base.shape(of: name) }

    /// A replacement, or the base's tensor with its deltas merged in float32.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        if let replacement = replacements[name] { return replacement }
        guard let deltas = updates[name], !deltas.isEmpty else {
            return try base.loadTensor(named: name, expectedShape: expectedShape)
        }
        return try patched(name, expectedShape: expectedShape, deltas: deltas).float32()
    }

    /// A replacement, or the base's stored tensor carrying its deltas (applied when widened).
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        if let replacement = replacements[name] { return StoredTensor(replacement) }
        guard let deltas = updates[name], !deltas.isEmpty else {
            return try base.loadStoredTensor(named: name, expectedShape: expectedShape)
        }
        return try patched(name, expectedShape: expectedShape, deltas: deltas)
    }

    private func patched(_ name: String, expectedShape: [Int], deltas: [LowRankUpdate]) throws(TensorError) -> StoredTensor {
        var stored = try base.loadStoredTensor(named: name, expectedShape: expectedShape)
        for delta in deltas { stored = try stored.adding(delta) }
        return stored
    }
}

/// A source that keeps what it hands out, so that a model can be built again from the same tensors
/// (with ``PatchedWeightSource`` on top) without reading its files again: float32 tensors are not
/// copied a second time, mapped 16-bit weights stay the same mapping.
///
/// The record shares storage with the model built from it, so it costs no memory of its own while
/// that model lives.
public final class RecordingWeightSource: WeightSource {
    /// The source read the first time.
    public let base: any WeightSource
    private let tensors = Locked<[String: Tensor]>([:])
    private let stored = Locked<[String: StoredTensor]>([:])

    /// Wraps a source.
    public init(base: any WeightSource) { self.base = base }

    /// The base's names.
    public var tensorNames: Set<String>? { base.tensorNames }
    /// The base's description.
    public var sourceDescription: String { base.sourceDescription }
    /// The base's shape.
    public func shape(of name: String) -> [Int]? { base.shape(of: name) }

    /// The names and shapes of the layer weights handed out so far (``loadStoredTensor(named:expectedShape:)``),
    /// for listing what a model reads from a source that cannot list its names (random weights).
    public var recordedLayerWeights: [String: [Int]] { stored.withLock { $0.mapValues(\.shape) } }

    /// The tensor read before, or read now and kept.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        if let kept = tensors.withLock({ $0[name] }), kept.shape == expectedShape { return kept }
        let tensor = try base.loadTensor(named: name, expectedShape: expectedShape)
        tensors.withLock { $0[name] = tensor }
        return tensor
    }

    /// The stored tensor read before, or read now and kept.
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        if let kept = stored.withLock({ $0[name] }), kept.shape == expectedShape { return kept }
        let tensor = try base.loadStoredTensor(named: name, expectedShape: expectedShape)
        stored.withLock { $0[name] = tensor }
        return tensor
    }
}
