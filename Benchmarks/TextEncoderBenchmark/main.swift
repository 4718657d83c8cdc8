// Times the full-size CLIP text encoder on random weights (no download): batch 2, 77 tokens, as a
// guided Stable Diffusion prompt encodes [negative, positive]. Prints build time, the median and best
// encode time, and peak memory. Weights are kept in fp16 by default, as an fp16 checkpoint loads
// (`--precision fp32` for float32). Compare with `Benchmarks/reference/text_encoder.py` on the same machine.
//
// Usage: TextEncoderBenchmark [--preset sd15|sd21] [--runs N] [--threads N] [--clip-skip N] [--precision fp16|bf16|fp32]
import BenchmarkSupport
import Foundation
import TextEncoder

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()), accepted: [
        "--preset", "--runs", "--threads", "--clip-skip", "--precision",
    ])
    if let threads = try arguments.optionalInteger("--threads") { ComputeConfiguration.threads = threads }
    let preset = try arguments.choice("--preset", ["sd15", "sd21"], default: "sd15")
    let configuration: CLIPTextConfiguration = preset == "sd15" ? .sd15 : .sd21
    let runs = try arguments.integer("--runs", default: 10)
    let clipSkip = try arguments.optionalInteger("--clip-skip", minimum: 0)
    let precision = try storedPrecision(arguments.string("--precision", default: "fp16"))
    let blas = try BLASDiagnostics.current()
    let baseline = Measure.peakResidentMiB()

    var model: CLIPTextModel?
    let buildTime = try Measure.seconds {
        model = try CLIPTextModel(configuration: configuration, weightSource: RandomWeightSource(seed: 0, precision: precision))
    }
    guard let model else { throw UsageError("model not built") }
    let afterBuild = Measure.peakResidentMiB()

    let batch = SyntheticInputs.guidedTokenBatch
    _ = try model.encode(tokenIDs: batch, clipSkip: clipSkip) // warm-up: first-touch of buffers, BLAS threads
    var times: [Double] = []
    BLASDiagnostics.resetGEMMStatistics(enabled: true)
    for _ in 0..<runs {
        times.append(try Measure.seconds { _ = try model.encode(tokenIDs: batch, clipSkip: clipSkip) })
    }
    let gemm = BLASDiagnostics.gemmStatistics
    let timings = Timings(times)
    print("text encoder \(preset) (\(configuration.hiddenSize) wide, \(configuration.layerCount) layers), batch 2 × 77, random weights kept in \(precision.rawValue)")
    print("BLAS: \(blas.blasCore), \(blas.threads) threads")
    print("build (random weights): \(format(buildTime)) s")
    print("encode: median \(format(timings.median)) s, best \(format(timings.best)) s over \(runs) runs")
    print("GEMM: \(format(gemm.seconds / Double(runs))) s per encode (\(format(100 * gemm.seconds / times.reduce(0, +), 0)) % of time), \(format(gemm.gflops, 1)) GFLOPS")
    print("peak RSS: \(format(Measure.peakResidentMiB(), 0)) MiB (before build \(format(baseline, 0)), after build \(format(afterBuild, 0)))")
} catch {
    FileHandle.standardError.write(Data("TextEncoderBenchmark: \(error)\n".utf8))
    exit(1)
}
