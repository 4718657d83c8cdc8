import BenchmarkSupport
import Foundation
import StableDiffusion

extension ItemRunner {
    /// One guided 512² step with a ControlNet as the pipeline runs it (`ControlGuidance`, then the
    /// UNet): the ControlNet (SD 1.5's published ControlNet architecture: the UNet's encoder, a
    /// conditioning embedding of widths 16-32-96-256 reading a 512² image, zero convolutions) on the
    /// batch-2 latents, then the UNet with its residuals (A); the UNet alone (B), alternated with A; the
    /// ControlNet forward alone. diffusers' `StableDiffusionControlNetPipeline` makes the same two calls
    /// per step (reference/pipeline.py's `controlnet-ab`).
    func controlNetComparison(_ item: Item) throws -> ItemResult {
        let unet = try models.unet()
        let precision: StoredPrecision = if case .random(let chosen) = models.origin { chosen } else { .float16 }
        let configuration = ControlNetConfiguration(unet: .sd15)
        let controlNet = try ControlNetModel(configuration: configuration, source: RandomWeightSource(seed: 5, precision: precision))
        let latents = SyntheticInputs.gaussian([2, 4, 64, 64], seed: 1)
        let text = SyntheticInputs.gaussian([2, 77, 768], seed: 2)
        // A control image in 0…1, the same for both halves of the batch, as the pipeline repeats it.
        let image = Tensor(shape: [2, 3, 512, 512]) { buffer in
            let half = buffer.count / 2
            for index in 0..<half {
                buffer[index] = Float(index * 7919 % 256) / 255
                buffer[half + index] = buffer[index]
            }
        }
        func controlled() throws {
            let residuals = try controlNet.residuals(latents: latents, timestep: 999, context: text, controlImage: image, scale: 1)
            _ = try unet.predictNoise(latents: latents, timestep: 999,
                                      conditioning: DenoiserConditioning(context: text, controlResiduals: residuals))
        }
        func plain() throws { _ = try unet.predictNoise(latents: latents, timestep: 999, textEmbeddings: text) }
        func controlNetAlone() throws {
            _ = try controlNet.residuals(latents: latents, timestep: 999, context: text, controlImage: image, scale: 1)
        }
        for _ in 0..<max(warmup, 1) { try controlled(); try plain() }
        resetStatistics()
        var timesA: [Double] = [], timesB: [Double] = [], timesC: [Double] = []
        // CPU seconds too: on a shared host the wall time carries other processes' load.
        var cpuA: [Double] = [], cpuB: [Double] = [], cpuC: [Double] = []
        func measure(_ body: () throws -> Void, _ wall: inout [Double], _ cpu: inout [Double]) throws {
            let cpuStart = Measure.cpuSeconds()
            wall.append(try Measure.seconds(body))
            cpu.append(Measure.cpuSeconds() - cpuStart)
        }
        for run in 0..<runs {
            try measure(controlled, &timesA, &cpuA)
            try measure(plain, &timesB, &cpuB)
            try measure(controlNetAlone, &timesC, &cpuC)
            log("\(item.rawValue) run \(run + 1)/\(runs): with ControlNet \(format(timesA.last!)) s (CPU \(format(cpuA.last!, 1)) s), without \(format(timesB.last!)) s (CPU \(format(cpuB.last!, 1)) s), ControlNet alone \(format(timesC.last!)) s (CPU \(format(cpuC.last!, 1)) s)")
        }
        let added = zip(timesA, timesB).map { $0 - $1 }
        return result(item, times: timesA, details: [
            "b_median": Timings(timesB).median, "b_spread": Timings(timesB).spread,
            "controlnet_median": Timings(timesC).median, "controlnet_spread": Timings(timesC).spread,
            "added_paired_median": Timings(added).median,
            "added_over_controlnet": Timings(added).median / Timings(timesC).median,
            "a_cpu_median": Timings(cpuA).median, "b_cpu_median": Timings(cpuB).median, "controlnet_cpu_median": Timings(cpuC).median,
        ], statisticsTime: timesA.reduce(0, +) + timesB.reduce(0, +) + timesC.reduce(0, +))
    }
}
