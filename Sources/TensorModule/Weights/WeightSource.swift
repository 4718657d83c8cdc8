/// Somewhere model weights come from: safetensors files, a dictionary in memory, or a generator of
/// random weights for benchmarks.
public protocol WeightSource: Sendable {
    /// Every tensor name the source holds, for strict unused-key checks; nil for sources that
    /// produce any requested tensor (random weights).
    var tensorNames: Set<String>? { get }
    /// Where the weights come from, for error messages (a file path, usually).
    var sourceDescription: String { get }
    /// The shape of a tensor, or nil if the source does not hold it.
    func shape(of name: String) -> [Int]?
    /// Reads a tensor as Float32. `expectedShape` lets generating sources know what to make.
    ///
    /// - Throws: ``TensorError`` when the tensor exists but cannot be read.
    func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor
}

/// Weights from one or more safetensors files (sharded checkpoints), memory-mapped.
public struct SafetensorsWeightSource: WeightSource {
    /// The open files, in the order given.
    public let files: [SafetensorsFile]
    private let owner: [String: Int]

    /// Opens and validates the files.
    ///
    /// - Throws: ``TensorError`` for unreadable or malformed files, or a tensor name in two files.
    public init(paths: [String]) throws(TensorError) {
        var files: [SafetensorsFile] = []
        var owner: [String: Int] = [:]
        for path in paths {
            let file = try SafetensorsFile(path: path)
            for name in file.entries.keys {
                if let previous = owner[name] {
                    throw .invalidSafetensors(path: path, tensor: name, reason: "also present in \(files[previous].path)")
                }
                owner[name] = files.count
            }
            files.append(file)
        }
        self.files = files
        self.owner = owner
    }

    /// Opens one file.
    public init(path: String) throws(TensorError) { try self.init(paths: [path]) }

    /// All tensor names across the files.
    public var tensorNames: Set<String>? { Set(owner.keys) }
    /// The file paths, comma-separated.
    public var sourceDescription: String { files.map(\.path).joined(separator: ", ") }
    /// The shape recorded in the header.
    public func shape(of name: String) -> [Int]? { owner[name].flatMap { files[$0].entries[name]?.shape } }
    /// Reads and widens the tensor.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        guard let index = owner[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        return try files[index].tensor(named: name)
    }
}

/// Weights held in memory, by name (tests, converted checkpoints).
public struct DictionaryWeightSource: WeightSource {
    /// The tensors.
    public var tensors: [String: Tensor]
    /// Shown in error messages.
    public var sourceDescription: String

    /// Wraps a dictionary of tensors.
    public init(_ tensors: [String: Tensor], description: String = "in-memory weights") {
        self.tensors = tensors
        self.sourceDescription = description
    }

    /// The names of the tensors.
    public var tensorNames: Set<String>? { Set(tensors.keys) }
    /// The shape of a held tensor.
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    /// Returns the held tensor.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        guard let t = tensors[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        return t
    }
}

/// Deterministic pseudo-random weights of whatever shape a model asks for: the real architecture
/// at the real cost, with no download (benchmarks, smoke tests). Values are uniform in
/// ±1/√fan-in (like PyTorch's default init), norms' scales are 1 and biases small.
public struct RandomWeightSource: WeightSource {
    /// Seed of the generator; each tensor's stream is derived from it and the tensor's name.
    public var seed: UInt64

    /// Creates a source with a seed.
    public init(seed: UInt64 = 0) { self.seed = seed }

    /// Nil: any name is produced on request.
    public var tensorNames: Set<String>? { nil }
    /// "random weights (seed N)".
    public var sourceDescription: String { "random weights (seed \(seed))" }
    /// Nil: shapes come from the model.
    public func shape(of name: String) -> [Int]? { nil }

    /// Makes a tensor of the expected shape.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        let isNormScale = name.hasSuffix(".weight") && expectedShape.count == 1
            && (name.contains("norm") || name.contains("ln_"))
        if isNormScale { return Tensor(repeating: 1, shape: expectedShape) }
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        for byte in name.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let fanIn = expectedShape.count > 1 ? expectedShape.dropFirst().reduce(1, *) : max(expectedShape.first ?? 1, 1)
        let bound = Float(expectedShape.count == 1 ? 0.02 : 1 / Double(fanIn).squareRoot())
        let base = state
        return Tensor(shape: expectedShape) { buffer in
            let p = buffer.baseAddress!
            parallelFor(buffer.count, minimumChunk: 1 << 16) { range in
                for i in range {
                    // splitmix64 of (stream, index): order-independent, so threads agree.
                    var z = base &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    z ^= z >> 31
                    p[i] = (Float(z >> 40) / Float(1 << 24) * 2 - 1) * bound
                }
            }
        }
    }
}
