// Times the full-size Stable Diffusion VAE decoder (block_out_channels [128, 256, 512, 512]) on random
// weights built in memory (no download): 1 × 4 × 64 × 64 latents to a 512 × 512 image by default.
// Prints build time, the median and best decode time, CPU time per decode (robust to other processes
// on the machine), the share of time in GEMM and peak memory. Weights are kept in fp16 by default, as
// an fp16 checkpoint loads (`--precision fp32` for float32).
// Compare with `Benchmarks/reference/vae.py` on the same machine.
//
// Usage: VAEBenchmark [--preset sd15|sd21] [--latent-size N] [--tile PIXELS] [--runs N] [--threads N]
//                     [--precision fp16|bf16|fp32]
//   --tile enables tiled decoding with tiles of PIXELS (diffusers' tile_sample_min_size; 512 by default
//   for SD 1.5): e.g. `--latent-size 128 --tile 512` decodes 1024² in bounded memory.
import BenchmarkSupport
import Foundation
import VAE

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()), accepted: [
        "--preset", "--latent-size", "--tile", "--runs", "--threads", "--precision",
    ])
    if let threads = try arguments.optionalInteger("--threads") { ComputeConfiguration.threads = threads }
    let preset = try arguments.choice("--preset", ["sd15", "sd21"], default: "sd15")
    let configuration: AutoencoderKLConfiguration = preset == "sd15" ? .sd15 : .sd21
    let side = try arguments.integer("--latent-size", default: 64)
    let tile = try arguments.optionalInteger("--tile")
    let runs = try arguments.integer("--runs", default: 3)
    let precision = try storedPrecision(arguments.string("--precision", default: "fp16"))
    let blas = try BLASDiagnostics.current()
    let baseline = Measure.peakResidentMiB()

    var built: VAEDecoder?
    let buildTime = try Measure.seconds {
        let loader = WeightLoader(source: RandomWeightSource(seed: 0, precision: precision))
        built = try VAEDecoder(configuration: configuration, weights: loader.reader(), tiling: tile.map { VAETiling(tileSize: $0) })
    }
    guard let decoder = built else { throw UsageError("decoder not built") }
    let afterBuild = Measure.peakResidentMiB()

    let input = SyntheticInputs.gaussian([1, configuration.latentChannels, side, side], seed: 0x5EED)
    var times: [Double] = []
    var image = Tensor.zeros([0])
    // No separate warm-up: one decode is tens of seconds, far above first-touch and thread start costs.
    BLASDiagnostics.resetGEMMStatistics(enabled: true)
    let cpuStart = Measure.cpuSeconds()
    for _ in 0..<runs {
        times.append(try Measure.seconds { image = try decoder.decode(latents: input) })
    }
    let gemm = BLASDiagnostics.gemmStatistics
    let cpu = (Measure.cpuSeconds() - cpuStart) / Double(runs)
    let total = times.reduce(0, +)
    let timings = Timings(times)
    let values = image.scalars
    print("VAE decoder \(preset), 1 × \(configuration.latentChannels) × \(side) × \(side) → \(image.shape), random weights kept in \(precision.rawValue)"
          + (tile.map { ", tiled (\($0)-pixel tiles)" } ?? ""))
    print("BLAS: \(blas.blasCore), \(blas.threads) threads")
    print("build (random weights): \(format(buildTime)) s")
    print("decode: median \(format(timings.median)) s, best \(format(timings.best)) s over \(runs) runs; CPU time \(format(cpu)) s per decode")
    print("GEMM: \(format(gemm.seconds / Double(runs))) s per decode (\(format(100 * gemm.seconds / total, 0)) % of time), \(format(gemm.gflops, 1)) GFLOPS")
    print("output range: [\(format(Double(values.min() ?? .nan))), \(format(Double(values.max() ?? .nan)))]")
    print("peak RSS: \(format(Measure.peakResidentMiB(), 0)) MiB (before build \(format(baseline, 0)), after build \(format(afterBuild, 0)))")
} catch {
    FileHandle.standardError.write(Data("VAEBenchmark: \(error)\n".utf8))
    exit(1)
}
