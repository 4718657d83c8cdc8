import Foundation
import StableDiffusion

// Runs the denoising loop the pipeline runs, on any SchedulerConfiguration, with a stand-in "model"
// that knows the clean sample (an oracle noise predictor). A correct scheduler then lands on the
// clean sample; the built-in DDIM and the custom QuadraticDDIM both do.

/// A fixed, reproducible source of normal noise (a real generation passes the pipeline's).
final class DemoNoise: RandomSource {
    private var state: UInt64 = 0x5EED
    func normal(shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u1 = (Double(state >> 11) + 0.5) / 9_007_199_254_740_992.0
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u2 = (Double(state >> 11) + 0.5) / 9_007_199_254_740_992.0
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
        return Tensor(shape: shape, scalars: values)
    }
}

/// The oracle: the noise that takes `clean` to `sample` at timestep `t`.
func oracleNoise(_ sample: Tensor, _ t: Double, clean: Tensor, alphas: [Float]) -> Tensor {
    let alpha = alphas[Int(t.rounded())]
    return sample.scaledSum(1 / (1 - alpha).squareRoot(), clean, -alpha.squareRoot() / (1 - alpha).squareRoot())
}

/// What the pipeline does with the configuration it holds: text-to-image from noise, or
/// image-to-image from a noised `start` when a strength is given.
func generate(with configuration: any SchedulerConfiguration, steps: Int, clean: Tensor,
              imageToImage: (start: Tensor, strength: Double)? = nil) throws -> Tensor {
    let alphas = try TrainingSchedule.stableDiffusion.alphasCumprod()
    let random = DemoNoise()
    var scheduler: any Scheduler
    var latents: Tensor
    if let imageToImage {
        scheduler = try configuration.makeScheduler(steps: steps, strength: imageToImage.strength)
        latents = try scheduler.addNoise(to: imageToImage.start, noise: random.normal(shape: clean.shape),
                                         timestep: scheduler.timesteps[0])
    } else {
        scheduler = try configuration.makeScheduler(steps: steps)
        latents = random.normal(shape: clean.shape) * scheduler.initNoiseSigma
    }
    for t in scheduler.timesteps {
        let input = try scheduler.scaleModelInput(latents, timestep: t)
        let prediction = oracleNoise(input, t, clean: clean, alphas: alphas)
        latents = try scheduler.step(modelOutput: prediction, timestep: t, sample: latents, random: random).nextSample
    }
    return latents
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

do {
    let clean = Tensor(shape: [1, 4, 8, 8], scalars: (0..<256).map { Float(sin(Double($0) * 0.37)) })
    let configurations: [any SchedulerConfiguration] = [
        DDIMScheduler.Configuration(training: .stableDiffusion, clipSample: false),
        QuadraticDDIMConfiguration(),
    ]
    for configuration in configurations {
        let result = try generate(with: configuration, steps: 12, clean: clean)
        print("\(configuration.name): max |result − clean| = \(maxDifference(result, clean))")
    }
    let partial = try QuadraticDDIMConfiguration().makeScheduler(steps: 12, strength: 0.5)
    print("QuadraticDDIM image-to-image at strength 0.5 runs timesteps \(partial.timesteps.map { Int($0) })")
    let edited = try generate(with: QuadraticDDIMConfiguration(), steps: 12, clean: clean,
                              imageToImage: (start: clean * 0.5, strength: 0.5))
    print("QuadraticDDIM image-to-image: max |result − clean| = \(maxDifference(edited, clean))")

    // With a model folder or checkpoint as the argument, the same scheduler drives a real pipeline:
    //     swift run CustomScheduler Tests/Fixtures/pipeline/sd15-tiny
    if CommandLine.arguments.count > 1 {
        let pipeline = try StableDiffusionPipeline(contentsOf: CommandLine.arguments[1])
        var parameters = GenerationParameters()
        parameters.scheduler = QuadraticDDIMConfiguration()
        parameters.steps = 12
        parameters.seed = 42
        let result = try pipeline.generate(prompt: "an astronaut riding a horse", parameters: parameters)
        try result.images[0].writePNG(to: "quadratic-ddim.png", text: [("parameters", result.parametersText)])
        print("wrote quadratic-ddim.png with \(result.statistics.stepSeconds.count) QuadraticDDIM steps")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
