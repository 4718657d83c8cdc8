import TensorModule

/// One component's weights in a single-file checkpoint, under the names the diffusers / transformers
/// model loads. Tensors are read from the memory-mapped file only when asked for, one at a time, and
/// transformed on the way (reshaped, or cut out of a fused q/k/v projection); nothing is copied ahead,
/// and 16-bit layer weights are not copied at all (``loadStoredTensor(named:expectedShape:)``).
///
/// Use it like any other source: `WeightLoader(source: checkpoint.unet)`.
public struct SingleFileWeightSource: WeightSource {
    /// The component these weights belong to.
    public let component: SingleFileComponent
    /// The checkpoint.
    public let file: SafetensorsFile
    /// Component name → checkpoint tensor.
    public let sources: [String: SingleFileTensorSource]
    private let names: Set<String>

    /// Wraps an open checkpoint and one component's map.
    public init(component: SingleFileComponent, file: SafetensorsFile, sources: [String: SingleFileTensorSource]) {
        self.component = component
        self.file = file
        self.sources = sources
        self.names = Set(sources.keys)
    }

    /// Every component name the checkpoint provides.
    public var tensorNames: Set<String>? { names }

    /// "path/to/model.safetensors (UNet)".
    public var sourceDescription: String { "\(file.path) (\(component.displayName))" }

    /// The shape the component sees.
    public func shape(of name: String) -> [Int]? { sources[name]?.shape }

    /// The checkpoint's own name for a component tensor (for messages).
    public func checkpointKey(for name: String) -> String? { sources[name]?.checkpointKey }

    /// Reads the checkpoint tensor behind `name`, widened to Float32 and transformed.
    ///
    /// - Throws: ``TensorError/missingWeight(key:source:)`` for a name the component does not have;
    ///   the file's read errors.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        guard let source = sources[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        let stored = try file.tensor(named: source.checkpointKey)
        switch source.transform {
        case .identity:
            return stored
        case .reshape:
            return stored.reshaped(source.shape)
        case .rows(let range):
            return try stored.slice(axis: 0, range)
        case .transpose:
            return try stored.permuted([1, 0])
        }
    }

    /// Reads the checkpoint tensor behind `name` for keeping as a layer weight: fp16 / bf16 stay
    /// 16-bit, read in place from the mapped file; transformed as ``loadTensor(named:expectedShape:)``.
    ///
    /// - Throws: ``TensorError/missingWeight(key:source:)`` for a name the component does not have;
    ///   the file's read errors.
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        guard let source = sources[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        let stored = try file.storedTensor(named: source.checkpointKey)
        switch source.transform {
        case .identity:
            return stored
        case .reshape:
            return stored.reshaped(source.shape)
        case .rows(let range):
            return try stored.rows(range)
        case .transpose:
            return StoredTensor(try file.tensor(named: source.checkpointKey).permuted([1, 0]))
        }
    }
}
