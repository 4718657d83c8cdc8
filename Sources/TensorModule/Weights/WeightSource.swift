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
    /// Reads a tensor for keeping as a layer weight, in the precision the source holds it (fp16 and
    /// bf16 stay 16-bit). The default widens through ``loadTensor(named:expectedShape:)``.
    ///
    /// - Throws: ``TensorError`` when the tensor exists but cannot be read.
    func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor
}

extension WeightSource {
    /// Widens through ``loadTensor(named:expectedShape:)``: for sources that only hold float32.
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        StoredTensor(try loadTensor(named: name, expectedShape: expectedShape))
    }
}

/// Where the 16-bit weights of a safetensors file live while a model is loaded.
public enum WeightResidency: Sendable, Equatable {
    /// Read in place from the memory-mapped file: nothing is copied at load, and the pages are the
    /// system's page cache, which it may drop under memory pressure and read again.
    case memoryMapped
    /// Copied into memory of the process at load (the file's pages are released after the copy).
    case inMemory

    /// What loaders use unless told otherwise (see Documentation/Performance.md for the measurements).
    public static let `default` = WeightResidency.memoryMapped
}

/// Weights from one or more safetensors files (sharded checkpoints), memory-mapped. fp16 and bf16
/// layer weights stay 16-bit (``loadStoredTensor(named:expectedShape:)``), where `residency` says.
public struct SafetensorsWeightSource: WeightSource {
    /// The open files, in the order given.
    public let files: [SafetensorsFile]
    /// Where 16-bit layer weights live while the model is loaded.
    public let residency: WeightResidency
    private let owner: [String: Int]
    private let names: Set<String>

    /// Opens and validates the files.
    ///
    /// - Parameters:
    ///   - paths: The files (shards of one model).
    ///   - residency: Where 16-bit layer weights live while the model is loaded.
    /// - Throws: ``TensorError`` for unreadable or malformed files, or a tensor name in two files.
    public init(paths: [String], residency: WeightResidency = .default) throws(TensorError) {
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
        self.names = Set(owner.keys)
        self.residency = residency
    }

    /// Opens one file.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - residency: Where 16-bit layer weights live while the model is loaded.
    public init(path: String, residency: WeightResidency = .default) throws(TensorError) {
        try self.init(paths: [path], residency: residency)
    }

    /// All tensor names across the files.
    public var tensorNames: Set<String>? { names }
    /// The file paths, comma-separated.
    public var sourceDescription: String { files.map(\.path).joined(separator: ", ") }
    /// The shape recorded in the header.
    public func shape(of name: String) -> [Int]? { owner[name].flatMap { files[$0].entries[name]?.shape } }
    /// Reads and widens the tensor.
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        guard let index = owner[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        return try files[index].tensor(named: name)
    }
    /// Reads the tensor, keeping fp16 / bf16 16-bit where ``residency`` says.
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        guard let index = owner[name] else { throw .missingWeight(key: name, source: sourceDescription) }
        return try files[index].storedTensor(named: name, residency: residency)
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
///
/// With `precision` `.float16` (or `.bfloat16`), layer weights are made as an fp16 checkpoint holds
/// them: rounded and kept 16-bit, so a model built from random weights occupies and costs what one
/// loaded from fp16 files does. Tensors read with ``loadTensor(named:expectedShape:)`` (biases, norms)
/// are rounded the same way, then widened.
public struct RandomWeightSource: WeightSource {
    /// Seed of the generator; each tensor's stream is derived from it and the tensor's name.
    public var seed: UInt64
    /// The precision layer weights are kept in.
    public var precision: StoredPrecision

    /// Creates a source with a seed.
    ///
    /// - Parameters:
    ///   - seed: Seed of the generator.
    ///   - precision: The precision layer weights are kept in (`.float32` by default).
    public init(seed: UInt64 = 0, precision: StoredPrecision = .float32) {
        self.seed = seed
        self.precision = precision
    }

    /// Nil: any name is produced on request.
    public var tensorNames: Set<String>? { nil }
    /// "random weights (seed N)", with the precision when it is not float32.
    public var sourceDescription: String {
        "random weights (seed \(seed)\(precision == .float32 ? "" : ", \(precision.rawValue)"))"
    }
    /// Nil: shapes come from the model.
    public func shape(of name: String) -> [Int]? { nil }

    /// Makes a tensor of the expected shape (rounded to ``precision`` and widened back).
    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        let values = float32Values(named: name, shape: expectedShape)
        return precision == .float32 ? values : StoredTensor(rounding: values, to: precision).float32()
    }

    /// Makes a layer weight of the expected shape, kept in ``precision``.
    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        guard precision != .float32 else { return StoredTensor(float32Values(named: name, shape: expectedShape)) }
        let encoding: HalfWidthEncoding = precision == .float16 ? .float16 : .bfloat16
        let count = Tensor.elementCount(expectedShape)
        let generator = generator(named: name, shape: expectedShape)
        // Generated and rounded in cache-sized pieces: no float32 copy of a large weight is ever made.
        let buffer = HalfWidthBuffer.make(count: count, encoding: encoding) { memory in
            parallelFor(count, minimumChunk: 1 << 16) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 4096) { scratch in
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let length = min(4096, range.upperBound - start)
                        for i in 0..<length { scratch[i] = generator.value(at: start + i) }
                        HalfWidthBuffer.narrow(scratch.baseAddress!, into: memory + 2 * start, count: length, encoding: encoding)
                        start += length
                    }
                }
            }
        }
        return StoredTensor(shape: expectedShape, buffer: buffer)
    }

    private func float32Values(named name: String, shape: [Int]) -> Tensor {
        let generator = generator(named: name, shape: shape)
        return Tensor(shape: shape) { buffer in
            let p = buffer.baseAddress!
            parallelFor(buffer.count, minimumChunk: 1 << 16) { range in
                for i in range { p[i] = generator.value(at: i) }
            }
        }
    }

    private func generator(named name: String, shape: [Int]) -> ElementGenerator {
        let isNormScale = name.hasSuffix(".weight") && shape.count == 1
            && (name.contains("norm") || name.contains("ln_"))
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        for byte in name.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : max(shape.first ?? 1, 1)
        let bound = Float(shape.count == 1 ? 0.02 : 1 / Double(fanIn).squareRoot())
        return ElementGenerator(base: state, bound: bound, constantOne: isNormScale)
    }

    /// The value of element `i` of one tensor: splitmix64 of (stream, index), order-independent so
    /// threads agree.
    private struct ElementGenerator {
        let base: UInt64
        let bound: Float
        let constantOne: Bool

        @inline(__always)
        func value(at i: Int) -> Float {
            if constantOne { return 1 }
            var z = base &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (Float(z >> 40) / Float(1 << 24) * 2 - 1) * bound
        }
    }
}
