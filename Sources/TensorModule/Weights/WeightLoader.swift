import Synchronization

/// Loads a model's weights strictly: every tensor a layer asks for must exist with the expected
/// shape, and ``finish(ignoring:)`` reports any tensor in the source that no layer used.
///
/// Layers receive a ``WeightReader`` scoped to their own prefix and name their tensors in the
/// checkpoint's spelling (`reader.scoped("norm1").tensor("weight", shape: [c])`).
public final class WeightLoader: Sendable {
    /// Where the tensors come from.
    public let source: any WeightSource
    private let used = Locked<Set<String>>([])

    /// Wraps a source.
    public init(source: any WeightSource) { self.source = source }

    /// A reader at the root (or under `prefix`).
    public func reader(prefix: String = "") -> WeightReader { WeightReader(loader: self, prefix: prefix) }

    func load(_ name: String, shape expected: [Int]?) throws(TensorError) -> Tensor {
        let shape = try checkedShape(name, expected: expected)
        let tensor = try source.loadTensor(named: name, expectedShape: shape)
        used.withLock { _ = $0.insert(name) }
        return tensor
    }

    func loadStored(_ name: String, shape expected: [Int]?) throws(TensorError) -> StoredTensor {
        let shape = try checkedShape(name, expected: expected)
        let tensor = try source.loadStoredTensor(named: name, expectedShape: shape)
        used.withLock { _ = $0.insert(name) }
        return tensor
    }

    /// The shape to read `name` with, after the strict checks: present, and of the expected shape.
    private func checkedShape(_ name: String, expected: [Int]?) throws(TensorError) -> [Int] {
        let actual = source.shape(of: name)
        if actual == nil, source.tensorNames != nil {
            throw .missingWeight(key: name, source: source.sourceDescription)
        }
        if let expected, let actual, actual != expected {
            throw .weightShapeMismatch(key: name, expected: expected, actual: actual, source: source.sourceDescription)
        }
        guard let shape = expected ?? actual else {
            throw .missingWeight(key: name, source: source.sourceDescription)
        }
        return shape
    }

    func contains(_ name: String) -> Bool {
        // Through shape(of:) rather than tensorNames: a source may build that set on every call.
        source.shape(of: name) != nil || source.tensorNames == nil
    }

    /// Marks a tensor as deliberately unused (a buffer the model recomputes, such as CLIP's `position_ids`).
    public func markUsed(_ name: String) { used.withLock { _ = $0.insert(name) } }

    /// Checks that every tensor in the source was used.
    ///
    /// - Parameter ignoring: A predicate for names that may stay unused.
    /// - Throws: ``TensorError/unusedWeights(keys:source:)`` listing the unused names.
    public func finish(ignoring: (String) -> Bool = { _ in false }) throws(TensorError) {
        guard let names = source.tensorNames else { return }
        let usedNames = used.withLock { $0 }
        let unused = names.subtracting(usedNames).filter { !ignoring($0) }.sorted()
        if !unused.isEmpty { throw .unusedWeights(keys: unused, source: source.sourceDescription) }
    }
}

/// A view of a ``WeightLoader`` under a key prefix, handed to one layer.
public struct WeightReader: Sendable {
    let loader: WeightLoader
    /// The prefix (ending without a dot), e.g. `down_blocks.0.resnets.1`.
    public let prefix: String

    /// The full checkpoint key of a tensor under this reader.
    public func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    /// A reader for a child module (`scoped("norm1")`).
    public func scoped(_ name: String) -> WeightReader { WeightReader(loader: loader, prefix: key(name)) }

    /// A reader for a child at an index (`scoped("resnets", 0)` → `resnets.0`).
    public func scoped(_ name: String, _ index: Int) -> WeightReader { scoped("\(name).\(index)") }

    /// Loads a tensor that must exist with exactly `shape`.
    ///
    /// - Throws: ``TensorError/missingWeight(key:source:)`` or ``TensorError/weightShapeMismatch(key:expected:actual:source:)``.
    public func tensor(_ name: String, shape: [Int]) throws(TensorError) -> Tensor {
        try loader.load(key(name), shape: shape)
    }

    /// Loads a tensor that must exist with one of the given shapes (a legacy layout, such as an
    /// attention projection stored as a 1×1 convolution), returned reshaped to the first.
    ///
    /// - Throws: ``TensorError/missingWeight(key:source:)`` or ``TensorError/weightShapeMismatch(key:expected:actual:source:)``.
    public func tensor(_ name: String, shape: [Int], orLegacyShape legacy: [Int]) throws(TensorError) -> Tensor {
        let full = key(name)
        if let actual = loader.source.shape(of: full), actual == legacy {
            return try loader.load(full, shape: legacy).reshaped(shape)
        }
        return try loader.load(full, shape: shape)
    }

    /// Loads a layer weight that must exist with exactly `shape`, kept in the precision the source
    /// holds it (fp16 and bf16 stay 16-bit; see ``StoredTensor``).
    ///
    /// - Throws: ``TensorError/missingWeight(key:source:)`` or ``TensorError/weightShapeMismatch(key:expected:actual:source:)``.
    public func storedTensor(_ name: String, shape: [Int]) throws(TensorError) -> StoredTensor {
        try loader.loadStored(key(name), shape: shape)
    }

    /// Loads a layer weight that must exist with one of the given shapes (a legacy layout), kept in
    /// the precision the source holds it and viewed with the first shape.
    ///
    /// - Throws: ``TensorError/missingWeight(key:source:)`` or ``TensorError/weightShapeMismatch(key:expected:actual:source:)``.
    public func storedTensor(_ name: String, shape: [Int], orLegacyShape legacy: [Int]) throws(TensorError) -> StoredTensor {
        let full = key(name)
        if let actual = loader.source.shape(of: full), actual == legacy {
            return try loader.loadStored(full, shape: legacy).reshaped(shape)
        }
        return try loader.loadStored(full, shape: shape)
    }

    /// Whether the source has a tensor under this reader (always true for random sources).
    public func contains(_ name: String) -> Bool { loader.contains(key(name)) }

    /// The recorded shape of a tensor, if the source knows it.
    public func shape(of name: String) -> [Int]? { loader.source.shape(of: key(name)) }
}
