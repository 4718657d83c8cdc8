import Foundation
import TensorModule

/// Deterministic inputs for benchmarks.
public enum SyntheticInputs {
    /// Standard-normal-ish values (Box–Muller over a splitmix64 stream).
    public static func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed
        func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return (Double((z ^ (z >> 31)) >> 11) + 0.5) / Double(1 << 53)
        }
        return Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count {
                buffer[i] = Float((-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()))
            }
        }
    }

    /// A tokenizer-shaped CLIP batch: [negative (empty prompt), positive prompt of 20 tokens], padded
    /// to 77 with the end token, as a guided Stable Diffusion prompt encodes.
    public static let guidedTokenBatch: [[Int]] = {
        let (bos, eos) = (49406, 49407)
        let negative = [bos, eos] + Array(repeating: eos, count: 75)
        let positive = [bos] + (0..<20).map { 320 + 37 * $0 } + [eos] + Array(repeating: eos, count: 55)
        return [negative, positive]
    }()
}

/// Parses `fp16`, `bf16` or `fp32` as a stored precision.
public func storedPrecision(_ name: String) throws -> StoredPrecision {
    switch name {
    case "fp16": return .float16
    case "bf16": return .bfloat16
    case "fp32": return .float32
    default: throw UsageError("precision must be fp16, bf16 or fp32")
    }
}

/// A weight source that counts the parameters and bytes it hands out (to compare an architecture
/// with diffusers' parameter count, and to see what stays resident).
public final class CountingSource: WeightSource, @unchecked Sendable {
    /// The source counted.
    public let base: any WeightSource
    private let lock = NSLock()
    private var tensorCount = 0
    private var parameterCount = 0
    private var storedByteCount = 0
    private var stored: [StoredTensor] = []

    /// Counts what `base` hands out.
    public init(_ base: any WeightSource) { self.base = base }

    /// Every layer weight handed out so far (sharing the model's storage, so keeping them costs nothing).
    public var storedTensors: [StoredTensor] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }

    /// Tensors, parameters and stored bytes handed out so far.
    public var counts: (tensors: Int, parameters: Int, storedBytes: Int) {
        lock.lock(); defer { lock.unlock() }
        return (tensorCount, parameterCount, storedByteCount)
    }

    public var tensorNames: Set<String>? { base.tensorNames }
    public var sourceDescription: String { base.sourceDescription }
    public func shape(of name: String) -> [Int]? { base.shape(of: name) }

    public func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        let tensor = try base.loadTensor(named: name, expectedShape: expectedShape)
        record(tensor.count, bytes: 4 * tensor.count)
        return tensor
    }

    public func loadStoredTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> StoredTensor {
        let tensor = try base.loadStoredTensor(named: name, expectedShape: expectedShape)
        record(tensor.count, bytes: tensor.storedBytes)
        lock.lock(); defer { lock.unlock() }
        stored.append(tensor)
        return tensor
    }

    private func record(_ parameters: Int, bytes: Int) {
        lock.lock(); defer { lock.unlock() }
        tensorCount += 1
        parameterCount += parameters
        storedByteCount += bytes
    }
}
