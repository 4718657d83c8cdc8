import BenchmarkSupport
import Foundation
import StableDiffusion

/// One measured item: its timings and what they cost.
struct ItemResult: Codable {
    var item: String
    var runs: [Double]
    var median: Double
    var spread: Double
    var peakRSSMiB: Double
    /// Seconds inside GEMM per run, and the share of the wall time that is.
    var gemmSecondsPerRun: Double
    var gemmShare: Double
    var gemmGFLOPS: Double
    /// Seconds spent widening 16-bit weights to float32 per run, and the share of the wall time that is.
    var wideningSecondsPerRun: Double
    var wideningShare: Double
    /// Item-specific figures (seconds per step, decode time, …).
    var details: [String: Double]

    enum CodingKeys: String, CodingKey {
        case item, runs, median, spread, details
        case peakRSSMiB = "peak_rss_mib", gemmSecondsPerRun = "gemm_seconds_per_run", gemmShare = "gemm_share"
        case gemmGFLOPS = "gemm_gflops", wideningSecondsPerRun = "widening_seconds_per_run"
        case wideningShare = "widening_share"
    }
}

/// The items, by name.
enum Item: String, CaseIterable {
    case textEncode = "text-encode"
    case unet512 = "unet-512", unet256 = "unet-256", unet768 = "unet-768", unet1024 = "unet-1024"
    case vae512 = "vae-512", vae256 = "vae-256", vae768 = "vae-768", vae1024 = "vae-1024"
    case vaeTiled1024 = "vae-tiled-1024"
    case generate512 = "generate-512", generate256 = "generate-256"
    case unetXL1024 = "unet-xl-1024", generateXL1024 = "generate-xl-1024"
    case widen = "widen"
    case load = "load"
    case previewTAESD512 = "preview-taesd-512", previewApproximation512 = "preview-approx-512"
    case precisionAB = "precision-ab"
    case residencyAB = "residency-ab"
    case loraAB = "lora-ab"
    case controlNetAB = "controlnet-ab"

    /// The latent side of a sized item: its name's last number (the image side) over the VAE's factor 8.
    var latentSide: Int { (Int(rawValue.split(separator: "-").last ?? "") ?? 0) / 8 }

    var summary: String {
        switch self {
        case .textEncode: return "CLIP text encoder, batch 2 × 77 tokens"
        case .unet512: return "UNet forward, batch 2 × 4 × 64 × 64 (one guided 512² step)"
        case .unet256: return "UNet forward, batch 2 × 4 × 32 × 32 (one guided 256² step)"
        case .unet768: return "UNet forward, batch 2 × 4 × 96 × 96 (one guided 768² step)"
        case .unet1024: return "UNet forward, batch 2 × 4 × 128 × 128 (one guided 1024² step)"
        case .vae512: return "VAE decode 1 × 4 × 64 × 64 → 512²"
        case .vae256: return "VAE decode 1 × 4 × 32 × 32 → 256²"
        case .vae768: return "VAE decode 1 × 4 × 96 × 96 → 768²"
        case .vae1024: return "VAE decode 1 × 4 × 128 × 128 → 1024² (SD's and SDXL's VAE have one architecture)"
        case .vaeTiled1024: return "tiled VAE decode 1 × 4 × 128 × 128 → 1024², 512-pixel tiles overlapping by 0.25 (sd --vae-tiling)"
        case .unetXL1024: return "SDXL base UNet forward, batch 2 × 4 × 128 × 128 with pooled embedding and time ids (one guided 1024² step)"
        case .generateXL1024: return "full SDXL base generation 1024²: both text encoders, Euler, guidance 5.0, decode"
        case .generate512: return "full generation 512², PNDM, guidance 7.5"
        case .generate256: return "full generation 256², PNDM, guidance 7.5"
        case .widen: return "widening every UNet weight to float32 once (the per-step cost of 16-bit storage)"
        case .load: return "StableDiffusionPipeline(contentsOf:) on a diffusers folder"
        case .previewTAESD512: return "live preview at 512²: TAESD decode of 1 × 4 × 64 × 64, to RGB8, PNG encoded"
        case .previewApproximation512: return "live preview at 512²: latent → RGB approximation of 1 × 4 × 64 × 64, to RGB8, PNG encoded"
        case .precisionAB: return "UNet 512² step with weights kept fp16 (A) and float32 (B), forwards alternated"
        case .residencyAB: return "UNet 512² step with fp16 weights memory-mapped (A) and copied into memory (B), alternated"
        case .controlNetAB: return "guided 512² step with one SD 1.5 ControlNet (A: ControlNet forward, then the UNet with its residuals) and without (B: the UNet), alternated; the ControlNet forward alone"
        case .loraAB: return "UNet 512² step with a rank-32 LoRA on every transformer layer (A) and without (B), fp16 weights, alternated; apply time and memory"
        }
    }
}

/// Runs items with shared components.
struct ItemRunner {
    let models: Models
    let runs: Int
    let generationRuns: Int
    let steps: Int
    let warmup: Int
    let modelFolder: URL?
    /// Shapes the GEMM table by call site lists after each item (`--gemm-sites N`); 0: no table, and
    /// no recording by site (it costs a lock per GEMM call).
    let gemmSites: Int

    func run(_ item: Item) throws -> ItemResult {
        switch item {
        case .textEncode:
            let model = try models.textEncoder()
            return try timed(item, runs: max(runs, 5), warmup: 1) { _ = try model.encode(tokenIDs: SyntheticInputs.guidedTokenBatch) }
        case .unet512, .unet256, .unet768, .unet1024:
            let model = try models.unet()
            let side = item.latentSide
            let latents = SyntheticInputs.gaussian([2, 4, side, side], seed: 1)
            let text = SyntheticInputs.gaussian([2, 77, 768], seed: 2)
            return try timed(item, runs: runs, warmup: warmup) {
                _ = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text)
            }
        case .unetXL1024:
            let model = try models.xlUNet()
            let latents = SyntheticInputs.gaussian([2, 4, 128, 128], seed: 1)
            // diffusers' defaults at 1024²: original size = target size = (1024, 1024), crop (0, 0).
            let timeIDs = Tensor(shape: [2, 6], scalars: Array(repeating: [1024, 1024, 0, 0, 1024, 1024], count: 2).flatMap { $0 })
            let conditioning = DenoiserConditioning(
                context: SyntheticInputs.gaussian([2, 77, 2048], seed: 2),
                pooledTextEmbedding: SyntheticInputs.gaussian([2, 1280], seed: 5), timeIDs: timeIDs)
            return try timed(item, runs: runs, warmup: warmup) {
                _ = try model.predictNoise(latents: latents, timestep: 999, conditioning: conditioning)
            }
        case .generateXL1024:
            return try generation(item, side: 1024, pipeline: models.xlPipeline(), guidance: 5.0)
        case .vaeTiled1024:
            var decoder = try models.decoder()
            decoder.tiling = VAETiling(tileSize: 512)
            let latents = SyntheticInputs.gaussian([1, 4, 128, 128], seed: 3)
            return try timed(item, runs: runs, warmup: 0) { [decoder] in _ = try decoder.decode(latents: latents) }
        case .vae512, .vae256, .vae768, .vae1024:
            let decoder = try models.decoder()
            let side = item.latentSide
            let latents = SyntheticInputs.gaussian([1, 4, side, side], seed: 3)
            // No warm-up: a decode is seconds to tens of seconds, far above first-touch costs.
            return try timed(item, runs: runs, warmup: 0) { _ = try decoder.decode(latents: latents) }
        case .generate512, .generate256:
            return try generation(item, side: item == .generate512 ? 512 : 256, pipeline: models.pipeline(), guidance: 7.5)
        case .previewTAESD512, .previewApproximation512:
            // TAESD as published (madebyollin/taesd: 64 channels, blocks 3-3-3-1), random float32 weights.
            let decoder: any LatentDecoding = item == .previewTAESD512
                ? try TinyDecoder(configuration: .taesd, weights: WeightLoader(source: RandomWeightSource(seed: 4)).reader())
                : LatentRGBApproximation.stableDiffusion
            let latents = SyntheticInputs.gaussian([1, 4, 64, 64], seed: 3)
            // What `sd generate --preview` does per preview, short of the file write.
            return try timed(item, runs: max(runs, 5), warmup: 1) {
                _ = try RGBImage(decoderOutput: decoder.decode(latents: latents)).pngData()
            }
        case .widen:
            return try widening()
        case .load:
            return try loading()
        case .precisionAB:
            let unets = try [StoredPrecision.float16, .float32].map { precision in
                try UNet2DConditionModel(configuration: .sd15, source: RandomWeightSource(seed: 0, precision: precision))
            }
            return try alternating(item, unets[0], unets[1])
        case .residencyAB:
            guard let folder = modelFolder else { throw UsageError("residency-ab needs --model-folder PATH") }
            let unets = try [WeightResidency.memoryMapped, .inMemory].map { residency in
                try UNet2DConditionModel(configuration: .sd15, source: ModelOrigin.folder(folder, residency).source("unet"))
            }
            return try alternating(item, unets[0], unets[1])
        case .loraAB:
            return try loraComparison(item)
        case .controlNetAB:
            return try controlNetComparison(item)
        }
    }

    /// A kohya-style LoRA (rank 32 on every linear and 1×1 projection inside the transformers: attention
    /// q/k/v/out, proj_in/out, feed-forward; 192 modules, as most SD 1.5 LoRAs) applied the way
    /// `StableDiffusionPipeline.applying` does it: the UNet rebuilt from the recorded weights with the
    /// factors attached.
    private func loraComparison(_ item: Item) throws -> ItemResult {
        let recorded = RecordingWeightSource(base: RandomWeightSource(seed: 0, precision: .float16))
        let base = try UNet2DConditionModel(configuration: .sd15, source: recorded)
        let rank = 32
        let targets = recorded.recordedLayerWeights.filter { $0.key.contains("attentions") && !$0.key.contains("norm") }
        var updates: [String: [LowRankUpdate]] = [:]
        var seed: UInt64 = 10
        for (name, shape) in targets.sorted(by: { $0.key < $1.key }) {
            let inner = shape.dropFirst().reduce(1, *)
            seed += 1
            updates[name] = [try LowRankUpdate(up: SyntheticInputs.gaussian([shape[0], rank], seed: seed),
                                               down: SyntheticInputs.gaussian([rank, inner], seed: seed + 10_000), scale: 0.01)]
        }
        let factorMiB = Double(updates.values.joined().reduce(0) { $0 + 4 * ($1.up.count + $1.down.count) }) / 1_048_576
        let residentBefore = Measure.residentMiB()
        var adapted: UNet2DConditionModel?
        let applySeconds = try Measure.seconds {
            adapted = try UNet2DConditionModel(configuration: .sd15, source: PatchedWeightSource(base: recorded, updates: updates))
        }
        let residentAfter = Measure.residentMiB()
        log("lora-ab: \(targets.count) modules, factors \(format(factorMiB, 1)) MiB, applied in \(format(applySeconds, 3)) s; resident \(format(residentBefore, 0)) → \(format(residentAfter, 0)) MiB")
        var result = try alternating(item, adapted!, base)
        // An LCM-LoRA generation runs unguided: one image per UNet call.
        let latents = SyntheticInputs.gaussian([1, 4, 64, 64], seed: 1)
        let text = SyntheticInputs.gaussian([1, 77, 768], seed: 2)
        let unguided = try (0..<max(2, runs / 2)).map { _ in
            try Measure.seconds { _ = try adapted!.predictNoise(latents: latents, timestep: 999, textEmbeddings: text) }
        }
        result.details["a_unguided_step_median"] = Timings(unguided).median
        result.details["apply_seconds"] = applySeconds
        result.details["modules"] = Double(targets.count)
        result.details["factor_mib"] = factorMiB
        result.details["resident_before_apply_mib"] = residentBefore
        result.details["resident_after_apply_mib"] = residentAfter
        return result
    }

    /// Times `body` `runs` times after `warmup` untimed runs, with GEMM statistics on.
    private func timed(_ item: Item, runs: Int, warmup: Int, _ body: () throws -> Void) throws -> ItemResult {
        for _ in 0..<warmup { try body() }
        resetStatistics()
        var times: [Double] = []
        for run in 0..<runs {
            times.append(try Measure.seconds(body))
            log("\(item.rawValue) run \(run + 1)/\(runs): \(format(times.last!)) s")
        }
        return result(item, times: times, details: [:])
    }

    /// `statisticsTime`: the wall time the GEMM and widening statistics were collected over, when it
    /// is not the sum of `times` (the A/B items time A's runs but count both models' work).
    func result(_ item: Item, times: [Double], details: [String: Double], statisticsTime: Double? = nil) -> ItemResult {
        let gemm = BLASDiagnostics.gemmStatistics
        let calls = BLASDiagnostics.gemmCallStatistics
        let widening = WideningBuffers.statistics
        BLASDiagnostics.resetGEMMStatistics(enabled: false)
        WideningBuffers.resetStatistics(enabled: false)
        let timings = Timings(times)
        let total = statisticsTime ?? times.reduce(0, +)
        let count = Double(max(times.count, 1)) * (statisticsTime == nil ? 1 : 2)
        if gemmSites > 0 {
            print(GEMMSiteReport(statistics: calls, threads: ComputeConfiguration.threads, runs: Int(count), shapeRows: gemmSites).text)
        }
        return ItemResult(item: item.rawValue, runs: times, median: timings.median, spread: timings.spread,
                          peakRSSMiB: Measure.peakResidentMiB(),
                          gemmSecondsPerRun: gemm.seconds / count, gemmShare: total > 0 ? gemm.seconds / total : 0,
                          gemmGFLOPS: gemm.gflops, wideningSecondsPerRun: widening.seconds / count,
                          wideningShare: total > 0 ? widening.seconds / total : 0, details: details)
    }

    /// Zeroes the GEMM and widening statistics and turns their timing on (GEMM by call site too, with
    /// `--gemm-sites`).
    func resetStatistics() {
        BLASDiagnostics.resetGEMMStatistics(enabled: true, bySite: gemmSites > 0)
        WideningBuffers.resetStatistics(enabled: true)
    }

    /// Alternates guided 512² steps of two UNets (A, B, A, B, …) so that the machine's changing load
    /// hits both alike; the runs reported are A's, with B's and the paired ratios in the details.
    private func alternating(_ item: Item, _ a: UNet2DConditionModel, _ b: UNet2DConditionModel) throws -> ItemResult {
        let latents = SyntheticInputs.gaussian([2, 4, 64, 64], seed: 1)
        let text = SyntheticInputs.gaussian([2, 77, 768], seed: 2)
        for model in [a, b] { _ = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text) }
        resetStatistics()
        var timesA: [Double] = [], timesB: [Double] = [], cpuA: [Double] = [], cpuB: [Double] = []
        func step(_ model: UNet2DConditionModel) throws -> (wall: Double, cpu: Double) {
            let cpuStart = Measure.cpuSeconds()
            let wall = try Measure.seconds { _ = try model.predictNoise(latents: latents, timestep: 999, textEmbeddings: text) }
            return (wall, Measure.cpuSeconds() - cpuStart)
        }
        for run in 0..<runs {
            let first = try step(a), second = try step(b)
            timesA.append(first.wall); cpuA.append(first.cpu)
            timesB.append(second.wall); cpuB.append(second.cpu)
            log("\(item.rawValue) pair \(run + 1)/\(runs): A \(format(first.wall)) s (CPU \(format(first.cpu, 1)) s), B \(format(second.wall)) s (CPU \(format(second.cpu, 1)) s)")
        }
        let ratios = zip(timesA, timesB).map { $0 / $1 }
        let cpuRatios = zip(cpuA, cpuB).map { $0 / $1 }
        return result(item, times: timesA, details: [
            "b_median": Timings(timesB).median, "a_over_b_paired_median": Timings(ratios).median,
            "a_cpu_median": Timings(cpuA).median, "b_cpu_median": Timings(cpuB).median,
            "a_over_b_cpu_paired_median": Timings(cpuRatios).median,
        ], statisticsTime: timesA.reduce(0, +) + timesB.reduce(0, +))
    }

    /// A full generation, driven through a session so that the peak memory of the denoising loop and
    /// of the decode are seen apart.
    private func generation(_ item: Item, side: Int, pipeline: StableDiffusionPipeline, guidance: Float) throws -> ItemResult {
        let parameters = GenerationParameters(steps: steps, guidanceScale: guidance, width: side, height: side, seed: 0)
        resetStatistics()
        var times: [Double] = [], stepMedians: [Double] = [], decodes: [Double] = [], texts: [Double] = []
        var denoisePeak = 0.0, decodePeak = 0.0
        // Per step: wall and CPU seconds, faults, context switches, the machine's steal time, and a
        // reading of the cores' clock and FMA rate just after it.
        var stepUsage: [[String: Double]] = []
        for run in 0..<generationRuns {
            var session: DenoisingSession?
            var decode = 0.0
            times.append(try Measure.seconds {
                session = try pipeline.makeSession(prompt: "a photograph of an astronaut riding a horse", parameters: parameters)
                while !session!.isFinished {
                    let before = ResourceSnapshot.now()
                    try session!.step()
                    var usage = ResourceSnapshot.now().since(before)
                    // Right after the step, outside its timing: the cores' clock and FMA rate.
                    if let probe = CoreProbeReading.read(threads: ComputeConfiguration.threads) {
                        usage.merge(probe.figures) { $1 }
                    }
                    stepUsage.append(usage)
                }
                denoisePeak = max(denoisePeak, Measure.peakResidentMiB())
                Measure.resetPeakResident()
                decode = try Measure.seconds { _ = try session!.decode() }
                decodePeak = max(decodePeak, Measure.peakResidentMiB())
            })
            stepMedians.append(Timings(session!.stepSeconds).median)
            decodes.append(decode)
            texts.append(session!.textEncodingSeconds)
            log("\(item.rawValue) run \(run + 1)/\(generationRuns): \(format(times.last!)) s (steps \(session!.stepSeconds.map { format($0, 2) }.joined(separator: " ")); decode \(format(decode, 2)) s)")
        }
        let outliers = StepOutliers(stepUsage)
        log(outliers.report)
        var result = result(item, times: times, details: outliers.details.merging([
            "steps": Double(steps), "step_seconds_median": Timings(stepMedians).median,
            "decode_seconds": Timings(decodes).median, "text_encode_seconds": Timings(texts).median,
            "peak_rss_denoising_mib": denoisePeak, "peak_rss_decoding_mib": decodePeak,
        ]) { $1 })
        result.peakRSSMiB = max(denoisePeak, decodePeak)
        return result
    }

    /// Widens every UNet layer weight once, as one forward pass does, with no arithmetic after it.
    private func widening() throws -> ItemResult {
        _ = try models.unet()
        guard let weights = models.unetSource?.storedTensors else { throw UsageError("UNet not built") }
        let wide = weights.filter { $0.precision != .float32 }
        let elements = wide.reduce(0) { $0 + $1.count }
        var checksum: Float = 0
        let body = { for weight in wide { weight.withFloat32 { checksum += $0.withUnsafeBufferPointer { $0[0] } } } }
        body()  // first use: buffers allocated, mapped pages touched
        var times: [Double] = []
        for _ in 0..<max(runs, 5) { times.append(Measure.seconds(body)) }
        log("widened \(wide.count) of \(weights.count) weights, \(elements) elements (checksum \(checksum))")
        var result = result(.widen, times: times, details: [
            "elements": Double(elements), "widening_buffers_mib": Double(WideningBuffers.retainedBytes) / 1_048_576,
        ])
        result.details["gb_per_second_written"] = Double(elements * 4) / result.median / 1e9
        return result
    }

    /// Loads the whole pipeline from a folder, as an application does; then each part on its own, to
    /// show where the time goes.
    private func loading() throws -> ItemResult {
        guard let folder = modelFolder else { throw UsageError("the load item needs --model-folder PATH") }
        var times: [Double] = []
        var parts: [String: [Double]] = [:]
        for run in 0..<runs {
            var pipeline: StableDiffusionPipeline?
            times.append(try Measure.seconds { pipeline = try StableDiffusionPipeline(contentsOf: folder.path) })
            log("load run \(run + 1)/\(runs): \(format(times.last!)) s (the pipeline reports \(format(pipeline!.loadSeconds)) s); resident \(format(Measure.residentMiB(), 0)) MiB")
            pipeline = nil
            parts["tokenizer_seconds", default: []].append(try Measure.seconds { _ = try CLIPTokenizer(folder: folder.appendingPathComponent("tokenizer")) })
            parts["text_encoder_seconds", default: []].append(try Measure.seconds { _ = try CLIPTextModel(folder: folder.appendingPathComponent("text_encoder")) })
            parts["unet_seconds", default: []].append(try Measure.seconds { _ = try UNet2DConditionModel(folder: folder.appendingPathComponent("unet").path) })
            parts["vae_seconds", default: []].append(try Measure.seconds { _ = try AutoencoderKL(directory: folder.appendingPathComponent("vae")) })
        }
        return result(.load, times: times, details: parts.mapValues { Timings($0).median })
    }
}
