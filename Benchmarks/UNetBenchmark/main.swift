// Times one forward of the full-size Stable Diffusion UNet (SD 1.5 by default: block_out_channels
// [320, 640, 1280, 1280], 2 layers per block, cross-attention 768, 8 heads) on random weights built in
// memory from its configuration (no download): batch 2 (the classifier-free-guidance layout) ×
// 4 × 64 × 64 latents (a 512 × 512 image) with 77-token text embeddings.
// Prints build time, the median and best forward time, the share of time in GEMM and peak memory.
// Weights are kept in fp16 by default, as an fp16 checkpoint loads (`--precision fp32` for float32).
// Compare with `Benchmarks/reference/unet.py` on the same machine.
//
// Usage: UNetBenchmark [--preset sd15|sd21] [--latent-size N] [--batch N] [--runs N] [--warmup N] [--threads N]
//                      [--precision fp16|bf16|fp32]
import BenchmarkSupport
import Foundation
import UNet

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()), accepted: [
        "--preset", "--latent-size", "--batch", "--runs", "--warmup", "--threads", "--precision",
    ])
    if let threads = try arguments.optionalInteger("--threads") { ComputeConfiguration.threads = threads }
    let preset = try arguments.choice("--preset", ["sd15", "sd21"], default: "sd15")
    let configuration: UNetConfiguration = preset == "sd15" ? .sd15 : .sd21
    let side = try arguments.integer("--latent-size", default: 64)
    let batch = try arguments.integer("--batch", default: 2)
    let runs = try arguments.integer("--runs", default: 3)
    let warmup = try arguments.integer("--warmup", default: 1, minimum: 0)
    let precision = try storedPrecision(arguments.string("--precision", default: "fp16"))
    let blas = try BLASDiagnostics.current()
    let baseline = Measure.peakResidentMiB()

    let source = CountingSource(RandomWeightSource(seed: 0, precision: precision))
    var built: UNet2DConditionModel?
    let buildTime = try Measure.seconds { built = try UNet2DConditionModel(configuration: configuration, source: source) }
    guard let model = built else { throw UsageError("model not built") }
    let afterBuild = Measure.peakResidentMiB()
    let counts = source.counts

    let latents = SyntheticInputs.gaussian([batch, configuration.inChannels, side, side], seed: 1)
    let text = SyntheticInputs.gaussian([batch, 77, configuration.crossAttentionDim], seed: 2)
    var output = Tensor.zeros([0])
    for _ in 0..<warmup {
        output = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text)
    }
    var times: [Double] = []
    BLASDiagnostics.resetGEMMStatistics(enabled: true)
    for _ in 0..<runs {
        times.append(try Measure.seconds { output = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text) })
    }
    let gemm = BLASDiagnostics.gemmStatistics
    let total = times.reduce(0, +)
    let timings = Timings(times)
    let values = output.scalars
    print("UNet2DConditionModel \(preset), \(batch) × \(configuration.inChannels) × \(side) × \(side), "
          + "text \(batch) × 77 × \(configuration.crossAttentionDim), random weights kept in \(precision.rawValue)")
    print("parameters: \(counts.parameters) in \(counts.tensors) tensors, \(format(Double(counts.storedBytes) / 1_048_576, 0)) MiB stored")
    print("BLAS: \(blas.blasCore), \(blas.threads) threads")
    print("build (random weights): \(format(buildTime)) s")
    print("forward: median \(format(timings.median)) s, best \(format(timings.best)) s over \(runs) runs (after \(warmup) warm-up)")
    print("GEMM: \(format(gemm.seconds / Double(runs))) s per forward (\(format(100 * gemm.seconds / total, 0)) % of time), "
          + "\(format(Double(gemm.flops) / Double(runs) / 1e12, 3)) TFLOP per forward, \(format(gemm.gflops, 1)) GFLOPS, "
          + "\(gemm.calls / runs) calls per forward")
    print("output: \(output.shape), range [\(format(Double(values.min() ?? .nan))), \(format(Double(values.max() ?? .nan)))]")
    print("peak RSS: \(format(Measure.peakResidentMiB(), 0)) MiB (before build \(format(baseline, 0)), after build \(format(afterBuild, 0)))")
} catch {
    FileHandle.standardError.write(Data("UNetBenchmark: \(error)\n".utf8))
    exit(1)
}
