// The benchmark suite of the performance issue: SD 1.5 at full size on random weights built in memory
// from the published configurations (no download), each item timed over several runs in release:
//
//   text-encode   CLIP, batch 2 × 77                     unet-512 / unet-256   one guided step
//   vae-512 / vae-256   decode to 512² / 256²            generate-512 / generate-256   a full generation
//   unet-768 / unet-1024, vae-768 / vae-1024   the same at larger sizes; vae-tiled-1024   512-pixel tiles
//   unet-xl-1024  one guided SDXL base step               generate-xl-1024   a full SDXL base generation
//   widen         the per-step cost of keeping weights 16-bit
//   load          StableDiffusionPipeline(contentsOf:) on a diffusers folder (--model-folder)
//
// For each it prints the median and spread of the runs, the peak resident memory, the share of the
// time spent in GEMM and the GFLOPS reached, the time spent widening 16-bit weights to float32, then
// one `RESULT {json}` line (read by side-by-side.py).
// Peak memory is the process's (VmHWM) since the item started, models included: run one item per
// process for a peak comparable with diffusers' (the side-by-side script does).
//
// Usage: PipelineBenchmark [--items a,b,…|all] [--runs N] [--warmup N] [--generation-runs N] [--steps N]
//                          [--precision fp16|bf16|fp32] [--model-folder PATH [--residency mapped|memory]]
//                          [--threads N] [--cache-limit-mib N] [--gemm-sites N]
//   --gemm-sites N prints, after each item, its GEMM time by call site (linear layers, Winograd products,
//   attention's P V, …) and its N longest GEMM shapes.
//   --model-folder with items other than load builds the components from that folder's files
//   (fp16 or fp32) instead of random weights.
import BenchmarkSupport
import Foundation
import StableDiffusion

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()), accepted: [
        "--items", "--runs", "--warmup", "--generation-runs", "--steps", "--precision", "--model-folder", "--residency",
        "--threads", "--cache-limit-mib", "--gemm-sites",
    ])
    if let threads = try arguments.optionalInteger("--threads") { ComputeConfiguration.threads = threads }
    if let limit = try arguments.optionalInteger("--cache-limit-mib", minimum: 0) { ComputeMemory.cacheLimitBytes = limit << 20 }
    let itemNames = arguments.string("--items", default: "text-encode,unet-256,vae-256,generate-256")
    let items = try (itemNames == "all" ? Item.allCases.filter { $0 != .load }.map(\.rawValue) : itemNames.split(separator: ",").map(String.init))
        .map { name -> Item in
            guard let item = Item(rawValue: name) else {
                throw UsageError("unknown item \(name); items: \(Item.allCases.map(\.rawValue).joined(separator: ", ")), all")
            }
            return item
        }
    let modelFolder = arguments.optionalString("--model-folder").map { URL(fileURLWithPath: $0) }
    let residency: WeightResidency = try arguments.choice("--residency", ["mapped", "memory"], default: "mapped") == "mapped"
        ? .memoryMapped : .inMemory
    let origin: ModelOrigin = try modelFolder.map { .folder($0, residency) }
        ?? .random(try storedPrecision(arguments.string("--precision", default: "fp16")))
    let runner = ItemRunner(models: Models(origin: origin), runs: try arguments.integer("--runs", default: 3),
                            generationRuns: try arguments.integer("--generation-runs", default: 1),
                            steps: try arguments.integer("--steps", default: 20),
                            warmup: try arguments.integer("--warmup", default: 1, minimum: 0), modelFolder: modelFolder,
                            gemmSites: try arguments.integer("--gemm-sites", default: 0, minimum: 0))
    let blas = try BLASDiagnostics.current()
    print("PipelineBenchmark: SD 1.5, \(origin.description); BLAS \(blas.blasCore), \(blas.threads) threads")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    for (index, item) in items.enumerated() {
        if index > 0 { Measure.resetPeakResident() }
        log("\(item.rawValue): \(item.summary)")
        let result = try runner.run(item)
        let timings = Timings(result.runs)
        var line = "\(item.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(timings.summary); peak RSS \(format(result.peakRSSMiB, 0)) MiB"
        if result.gemmSecondsPerRun > 0 {
            line += "; GEMM \(format(result.gemmSecondsPerRun, 2)) s per run (\(format(100 * result.gemmShare, 0)) %), \(format(result.gemmGFLOPS, 1)) GFLOPS"
        }
        if result.wideningSecondsPerRun > 0 {
            line += "; widening \(format(result.wideningSecondsPerRun, 2)) s per run (\(format(100 * result.wideningShare, 1)) %)"
        }
        if !result.details.isEmpty {
            line += "; " + result.details.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value))" }.joined(separator: ", ")
        }
        print(line)
        print("RESULT " + String(decoding: try encoder.encode(result), as: UTF8.self))
    }
} catch {
    FileHandle.standardError.write(Data("PipelineBenchmark: \(error)\n".utf8))
    exit(1)
}
