// Times the full-size CLIP text encoder on random weights (no download): batch 2, 77 tokens, as a
// guided Stable Diffusion prompt encodes [negative, positive]. Prints build time, the median and best
// encode time, and peak memory. Compare with `Benchmarks/reference/text_encoder.py` on the same machine.
//
// Usage: TextEncoderBenchmark [--preset sd15|sd21] [--runs N] [--threads N] [--clip-skip N]
import Foundation
import TextEncoder

struct Options {
    var preset = "sd15"
    var runs = 10
    var threads: Int?
    var clipSkip: Int?

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard let value = iterator.next() else { throw UsageError("\(argument) needs a value") }
            switch argument {
            case "--preset": preset = value
            case "--runs": runs = try Self.positive(argument, value)
            case "--threads": threads = try Self.positive(argument, value)
            case "--clip-skip": clipSkip = Int(value)
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

func format(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }

do {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    if let threads = options.threads { ComputeConfiguration.threads = threads }
    let configuration: CLIPTextConfiguration
    switch options.preset {
    case "sd15": configuration = .sd15
    case "sd21": configuration = .sd21
    default: throw UsageError("unknown preset \(options.preset); use sd15 or sd21")
    }
    let blas = try BLASDiagnostics.current()
    let baseline = peakResidentMiB()

    var model: CLIPTextModel?
    let buildTime = try seconds { model = try CLIPTextModel(configuration: configuration, weightSource: RandomWeightSource(seed: 0)) }
    guard let model else { throw UsageError("model not built") }
    let afterBuild = peakResidentMiB()

    // A tokenizer-shaped batch: [negative (empty prompt), positive prompt], padded with the end token.
    let (bos, eos) = (49406, 49407)
    let negative = [bos, eos] + Array(repeating: eos, count: 75)
    let positive = [bos] + (0..<20).map { 320 + 37 * $0 } + [eos] + Array(repeating: eos, count: 55)
    let batch = [negative, positive]

    _ = try model.encode(tokenIDs: batch, clipSkip: options.clipSkip) // warm-up: first-touch of buffers, BLAS threads
    var times: [Double] = []
    BLASDiagnostics.resetGEMMStatistics(enabled: true)
    for _ in 0..<options.runs {
        times.append(try seconds { _ = try model.encode(tokenIDs: batch, clipSkip: options.clipSkip) })
    }
    let gemm = BLASDiagnostics.gemmStatistics
    times.sort()
    let median = times[times.count / 2]
    print("text encoder \(options.preset) (\(configuration.hiddenSize) wide, \(configuration.layerCount) layers), batch 2 × 77, random weights")
    print("BLAS: \(blas.blasCore), \(blas.threads) threads")
    print("build (random weights): \(format(buildTime)) s")
    print("encode: median \(format(median)) s, best \(format(times[0])) s over \(options.runs) runs")
    print("GEMM: \(format(gemm.seconds / Double(options.runs))) s per encode (\(format(100 * gemm.seconds / times.reduce(0, +), 0)) % of time), \(format(gemm.gflops, 1)) GFLOPS")
    print("peak RSS: \(format(peakResidentMiB(), 0)) MiB (before build \(format(baseline, 0)), after build \(format(afterBuild, 0)))")
} catch {
    FileHandle.standardError.write(Data("TextEncoderBenchmark: \(error)\n".utf8))
    exit(1)
}
