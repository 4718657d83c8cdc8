// Times one forward of the full-size Stable Diffusion UNet (SD 1.5 by default: block_out_channels
// [320, 640, 1280, 1280], 2 layers per block, cross-attention 768, 8 heads) on random weights built in
// memory from its configuration (no download): batch 2 (the classifier-free-guidance layout) ×
// 4 × 64 × 64 latents (a 512 × 512 image) with 77-token text embeddings.
// Prints build time, the median and best forward time, the share of time in GEMM and peak memory.
// Compare with `Benchmarks/reference/unet.py` on the same machine.
//
// Usage: UNetBenchmark [--preset sd15|sd21] [--latent-size N] [--batch N] [--runs N] [--warmup N] [--threads N]
import Foundation
import Synchronization
import UNet

struct Options {
    var preset = "sd15"
    var latentSize = 64
    var batch = 2
    var runs = 3
    var warmup = 1
    var threads: Int?

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard let value = iterator.next() else { throw UsageError("\(argument) needs a value") }
            switch argument {
            case "--preset": preset = value
            case "--latent-size": latentSize = try Self.number(argument, value, minimum: 1)
            case "--batch": batch = try Self.number(argument, value, minimum: 1)
            case "--runs": runs = try Self.number(argument, value, minimum: 1)
            case "--warmup": warmup = try Self.number(argument, value, minimum: 0)
            case "--threads": threads = try Self.number(argument, value, minimum: 1)
            default: throw UsageError("unknown option \(argument)")
            }
        }
    }

    static func number(_ name: String, _ value: String, minimum: Int) throws -> Int {
        guard let number = Int(value), number >= minimum else { throw UsageError("\(name) must be an integer ≥ \(minimum)") }
        return number
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `RandomWeightSource` that also counts the parameters it hands out, to compare the architecture
/// with diffusers' parameter count.
final class CountingSource: WeightSource {
    let random = RandomWeightSource(seed: 0)
    let counts = Mutex<(tensors: Int, parameters: Int)>((0, 0))
    var tensorNames: Set<String>? { nil }
    var sourceDescription: String { random.sourceDescription }
    func shape(of name: String) -> [Int]? { nil }
    func loadTensor(named name: String, expectedShape: [Int]) throws(TensorError) -> Tensor {
        counts.withLock { $0 = ($0.tensors + 1, $0.parameters + expectedShape.reduce(1, *)) }
        return try random.loadTensor(named: name, expectedShape: expectedShape)
    }
}

/// VmHWM from /proc/self/status (peak resident set), in MiB.
func peakResidentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kilobytes / 1024
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }

/// Deterministic standard-normal-ish values (Box–Muller over a splitmix64 stream).
func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
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

do {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    if let threads = options.threads { ComputeConfiguration.threads = threads }
    let configuration: UNetConfiguration
    switch options.preset {
    case "sd15": configuration = .sd15
    case "sd21": configuration = .sd21
    default: throw UsageError("unknown preset \(options.preset); use sd15 or sd21")
    }
    let blas = try BLASDiagnostics.current()
    let baseline = peakResidentMiB()

    let source = CountingSource()
    var built: UNet2DConditionModel?
    let buildTime = try seconds { built = try UNet2DConditionModel(configuration: configuration, source: source) }
    guard let model = built else { throw UsageError("model not built") }
    let afterBuild = peakResidentMiB()
    let counts = source.counts.withLock { $0 }

    let side = options.latentSize
    let latents = gaussian([options.batch, configuration.inChannels, side, side], seed: 1)
    let text = gaussian([options.batch, 77, configuration.crossAttentionDim], seed: 2)
    var output = Tensor.zeros([0])
    for _ in 0..<options.warmup {
        output = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text)
    }
    var times: [Double] = []
    BLASDiagnostics.resetGEMMStatistics(enabled: true)
    for _ in 0..<options.runs {
        times.append(try seconds { output = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text) })
    }
    let gemm = BLASDiagnostics.gemmStatistics
    let total = times.reduce(0, +)
    times.sort()
    let values = output.scalars
    print("UNet2DConditionModel \(options.preset), \(options.batch) × \(configuration.inChannels) × \(side) × \(side), "
          + "text \(options.batch) × 77 × \(configuration.crossAttentionDim), random weights")
    print("parameters: \(counts.parameters) in \(counts.tensors) tensors")
    print("BLAS: \(blas.blasCore), \(blas.threads) threads")
    print("build (random weights): \(format(buildTime)) s")
    print("forward: median \(format(times[times.count / 2])) s, best \(format(times[0])) s over \(options.runs) runs (after \(options.warmup) warm-up)")
    print("GEMM: \(format(gemm.seconds / Double(options.runs))) s per forward (\(format(100 * gemm.seconds / total, 0)) % of time), "
          + "\(format(Double(gemm.flops) / Double(options.runs) / 1e12, 3)) TFLOP per forward, \(format(gemm.gflops, 1)) GFLOPS, "
          + "\(gemm.calls / options.runs) calls per forward")
    print("output: \(output.shape), range [\(format(Double(values.min() ?? .nan))), \(format(Double(values.max() ?? .nan)))]")
    print("peak RSS: \(format(peakResidentMiB(), 0)) MiB (before build \(format(baseline, 0)), after build \(format(afterBuild, 0)))")
} catch {
    FileHandle.standardError.write(Data("UNetBenchmark: \(error)\n".utf8))
    exit(1)
}
