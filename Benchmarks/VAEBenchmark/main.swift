// Times the full-size Stable Diffusion VAE decoder (block_out_channels [128, 256, 512, 512]) on random
// weights built in memory (no download): 1 × 4 × 64 × 64 latents to a 512 × 512 image by default.
// Prints build time, the median and best decode time, CPU time per decode (robust to other processes
// on the machine), the share of time in GEMM and peak memory.
// Compare with `Benchmarks/reference/vae.py` on the same machine.
//
// Usage: VAEBenchmark [--preset sd15|sd21] [--latent-size N] [--tile PIXELS] [--runs N] [--threads N]
//   --tile enables tiled decoding with tiles of PIXELS (diffusers' tile_sample_min_size; 512 by default
//   for SD 1.5): e.g. `--latent-size 128 --tile 512` decodes 1024² in bounded memory.
import Foundation
import VAE

struct Options {
    var preset = "sd15"
    var latentSize = 64
    var tile: Int?
    var runs = 3
    var threads: Int?

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard let value = iterator.next() else { throw UsageError("\(argument) needs a value") }
            switch argument {
            case "--preset": preset = value
            case "--latent-size": latentSize = try Self.positive(argument, value)
            case "--tile": tile = try Self.positive(argument, value)
            case "--runs": runs = try Self.positive(argument, value)
            case "--threads": threads = try Self.positive(argument, value)
            default: throw UsageError("unknown option \(argument)")
            }
        }
    }

    static func positive(_ name: String, _ value: String) throws -> Int {
        guard let number = Int(value), number > 0 else { throw UsageError("\(name) must be a positive integer") }
        return number
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
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

/// User + system CPU seconds of this process so far: unlike wall time, barely affected by other
/// processes competing for the cores.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func value(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return value(usage.ru_utime) + value(usage.ru_stime)
}

func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }

/// Deterministic standard-normal-ish latents (Box–Muller over a splitmix64 stream).
func latents(_ shape: [Int]) -> Tensor {
    var state: UInt64 = 0x5EED
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
    let configuration: AutoencoderKLConfiguration
    switch options.preset {
    case "sd15": configuration = .sd15
    case "sd21": configuration = .sd21
    default: throw UsageError("unknown preset \(options.preset); use sd15 or sd21")
    }
    let blas = try BLASDiagnostics.current()
    let baseline = peakResidentMiB()

    var built: VAEDecoder?
    let buildTime = try seconds {
        let loader = WeightLoader(source: RandomWeightSource(seed: 0))
        built = try VAEDecoder(configuration: configuration, weights: loader.reader(),
                               tiling: options.tile.map { VAETiling(tileSize: $0) })
    }
    guard let decoder = built else { throw UsageError("decoder not built") }
    let afterBuild = peakResidentMiB()

    let side = options.latentSize
    let input = latents([1, configuration.latentChannels, side, side])
    var times: [Double] = []
    var image = Tensor.zeros([0])
    // No separate warm-up: one decode is tens of seconds, far above first-touch and thread start costs.
    BLASDiagnostics.resetGEMMStatistics(enabled: true)
    let cpuStart = cpuSeconds()
    for _ in 0..<options.runs {
        times.append(try seconds { image = try decoder.decode(latents: input) })
    }
    let gemm = BLASDiagnostics.gemmStatistics
    let cpu = (cpuSeconds() - cpuStart) / Double(options.runs)
    let total = times.reduce(0, +)
    times.sort()
    let values = image.scalars
    print("VAE decoder \(options.preset), 1 × \(configuration.latentChannels) × \(side) × \(side) → \(image.shape), random weights"
          + (options.tile.map { ", tiled (\($0)-pixel tiles)" } ?? ""))
    print("BLAS: \(blas.blasCore), \(blas.threads) threads")
    print("build (random weights): \(format(buildTime)) s")
    print("decode: median \(format(times[times.count / 2])) s, best \(format(times[0])) s over \(options.runs) runs; CPU time \(format(cpu)) s per decode")
    print("GEMM: \(format(gemm.seconds / Double(options.runs))) s per decode (\(format(100 * gemm.seconds / total, 0)) % of time), \(format(gemm.gflops, 1)) GFLOPS")
    print("output range: [\(format(Double(values.min() ?? .nan))), \(format(Double(values.max() ?? .nan)))]")
    print("peak RSS: \(format(peakResidentMiB(), 0)) MiB (before build \(format(baseline, 0)), after build \(format(afterBuild, 0)))")
} catch {
    FileHandle.standardError.write(Data("VAEBenchmark: \(error)\n".utf8))
    exit(1)
}
