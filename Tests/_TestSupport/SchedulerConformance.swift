import Foundation
import Schedulers
import TensorModule

/// A deterministic source of standard normal noise for tests (SplitMix64 and Box–Muller). Not
/// PyTorch-compatible: for conformance checks, where only reproducibility matters.
public final class SeededNormalSource: RandomSource {
    private var state: UInt64
    /// The number of tensors drawn so far.
    public private(set) var drawCount = 0

    /// Creates a source; equal seeds give equal sequences.
    public init(seed: UInt64) { state = seed }

    private func nextUniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// Draws `shape` independent standard normal values.
    public func normal(shape: [Int]) -> Tensor {
        drawCount += 1
        let count = shape.reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(count)
        while values.count < count {
            let radius = (-2 * Foundation.log(nextUniform())).squareRoot(), angle = 2 * Double.pi * nextUniform()
            values.append(Float(radius * Foundation.cos(angle)))
            if values.count < count { values.append(Float(radius * Foundation.sin(angle))) }
        }
        return Tensor(shape: shape, scalars: values)
    }
}

/// The contract every ``Scheduler`` must keep, checked on any ``SchedulerConfiguration`` — the
/// built-in ones and those written outside the library alike. Returns a description of each
/// violation; an empty list means the configuration conforms.
///
/// Checked for each step count: the number of timesteps; their order (finite, non-increasing,
/// decreasing overall); a positive initial noise sigma; shapes kept by `scaleModelInput`, `step`
/// and `addNoise`; finite samples through a whole run with a stand-in model; errors (not traps) for
/// a wrong timestep, a wrong model output shape, a step past the end and step counts below 1;
/// identical results from two fresh schedulers given equal random sources; no state shared between
/// two schedulers run interleaved. Image-to-image, unless the configuration throws
/// ``SchedulerError/imageToImageUnsupported(scheduler:)``: the remaining timesteps are a suffix of
/// the full schedule, strength 1 keeps all of it, strengths outside 0…1 or leaving no step throw.
public enum SchedulerConformance {
    /// Runs every check.
    /// - Parameters:
    ///   - configuration: The configuration under test.
    ///   - steps: The step counts to try.
    ///   - shape: The sample shape.
    ///   - expectedTimestepCount: The number of model calls for a step count (`2n − 1` for Heun,
    ///     `n + 1` for PNDM with PLMS only, `n` for most).
    /// - Returns: The violations, empty if none.
    public static func check(_ configuration: any SchedulerConfiguration, steps: [Int] = [1, 4, 10],
                             shape: [Int] = [1, 4, 8, 8], expectedTimestepCount: (Int) -> Int = { $0 }) -> [String] {
        var failures: [String] = []
        func fail(_ message: String) { failures.append("\(configuration.name): \(message)") }

        for count in steps {
            let scheduler: any Scheduler
            do { scheduler = try configuration.makeScheduler(steps: count) } catch {
                fail("makeScheduler(steps: \(count)) threw \(error)")
                continue
            }
            checkSchedule(scheduler.timesteps, expectedCount: expectedTimestepCount(count), label: "\(count) steps", fail)
            let sigma = scheduler.initNoiseSigma
            if !(sigma.isFinite && sigma > 0) { fail("\(count) steps: initNoiseSigma \(sigma) is not a positive number") }
            checkRun(configuration, steps: count, shape: shape, fail)
            checkMisuse(configuration, steps: count, shape: shape, fail)
        }
        for bad in [0, -1] {
            if (try? configuration.makeScheduler(steps: bad)) != nil { fail("makeScheduler(steps: \(bad)) did not throw") }
        }
        checkImageToImage(configuration, shape: shape, fail)
        return failures
    }

    private static func checkSchedule(_ timesteps: [Double], expectedCount: Int, label: String, _ fail: (String) -> Void) {
        if timesteps.count != expectedCount { fail("\(label): \(timesteps.count) timesteps, expected \(expectedCount)") }
        if !timesteps.allSatisfy({ $0.isFinite }) { fail("\(label): non-finite timesteps \(timesteps)") }
        if zip(timesteps, timesteps.dropFirst()).contains(where: { $1 > $0 }) { fail("\(label): timesteps increase: \(timesteps)") }
        if timesteps.count > 1, !(timesteps[0] > timesteps[timesteps.count - 1]) {
            fail("\(label): timesteps do not decrease overall: \(timesteps)")
        }
    }

    /// A stand-in noise predictor: a fixed pattern plus a little of the input.
    private static func model(_ input: Tensor, _ index: Int, _ pattern: Tensor) -> Tensor {
        input.scaledSum(0.1, pattern, index % 2 == 0 ? 1 : -0.5)
    }

    /// Runs a whole generation; returns the final sample, or nil after reporting a failure.
    @discardableResult
    private static func run(_ scheduler: inout any Scheduler, noise: Tensor, seed: UInt64, label: String,
                            _ fail: (String) -> Void) -> Tensor? {
        let pattern = SeededNormalSource(seed: 7).normal(shape: noise.shape)
        let random = SeededNormalSource(seed: seed)
        var sample = noise
        for (index, t) in scheduler.timesteps.enumerated() {
            do {
                let input = try scheduler.scaleModelInput(sample, timestep: t)
                if input.shape != sample.shape { fail("\(label): scaleModelInput changed shape \(sample.shape) to \(input.shape)") }
                let output = try scheduler.step(modelOutput: model(input, index, pattern), timestep: t, sample: sample, random: random)
                if output.nextSample.shape != sample.shape {
                    fail("\(label): step \(index) changed shape \(sample.shape) to \(output.nextSample.shape)")
                    return nil
                }
                if let original = output.predictedOriginalSample, original.shape != sample.shape {
                    fail("\(label): step \(index) predicted an original sample of shape \(original.shape)")
                }
                sample = output.nextSample
                if !sample.scalars.allSatisfy({ $0.isFinite }) {
                    fail("\(label): step \(index) (timestep \(t)) produced non-finite values")
                    return nil
                }
            } catch {
                fail("\(label): step \(index) (timestep \(t)) threw \(error)")
                return nil
            }
        }
        return sample
    }

    private static func checkRun(_ configuration: any SchedulerConfiguration, steps: Int, shape: [Int], _ fail: (String) -> Void) {
        let label = "\(steps) steps"
        guard var first = try? configuration.makeScheduler(steps: steps),
              var second = try? configuration.makeScheduler(steps: steps) else { return }
        let noise = SeededNormalSource(seed: 1).normal(shape: shape) * first.initNoiseSigma
        let a = run(&first, noise: noise, seed: 42, label: label, fail)
        let b = run(&second, noise: noise, seed: 42, label: label, fail)
        if let a, let b, a.scalars != b.scalars { fail("\(label): two runs with equal random sources differ") }

        // Stepping past the end must throw, not trap.
        if let last = first.timesteps.last,
           (try? first.step(modelOutput: noise, timestep: last, sample: noise, random: SeededNormalSource(seed: 0))) != nil {
            fail("\(label): a step after the last timestep did not throw")
        }

        // Two schedulers interleaved step by step must give what each gives alone.
        guard var left = try? configuration.makeScheduler(steps: steps),
              var right = try? configuration.makeScheduler(steps: steps), let a else { return }
        let pattern = SeededNormalSource(seed: 7).normal(shape: shape)
        let randomLeft = SeededNormalSource(seed: 42), randomRight = SeededNormalSource(seed: 42)
        var sampleLeft = noise, sampleRight = noise
        do {
            for (index, t) in left.timesteps.enumerated() {
                let inputLeft = try left.scaleModelInput(sampleLeft, timestep: t)
                let inputRight = try right.scaleModelInput(sampleRight, timestep: t)
                sampleLeft = try left.step(modelOutput: model(inputLeft, index, pattern), timestep: t, sample: sampleLeft,
                                           random: randomLeft).nextSample
                sampleRight = try right.step(modelOutput: model(inputRight, index, pattern), timestep: t, sample: sampleRight,
                                             random: randomRight).nextSample
            }
            if sampleLeft.scalars != a.scalars || sampleRight.scalars != a.scalars {
                fail("\(label): schedulers run interleaved differ from one run alone (shared state?)")
            }
        } catch {
            fail("\(label): interleaved run threw \(error)")
        }
    }

    private static func checkMisuse(_ configuration: any SchedulerConfiguration, steps: Int, shape: [Int], _ fail: (String) -> Void) {
        guard var scheduler = try? configuration.makeScheduler(steps: steps), let first = scheduler.timesteps.first else { return }
        let sample = SeededNormalSource(seed: 3).normal(shape: shape)
        let random = SeededNormalSource(seed: 4)
        let wrong = first + 12_345.5
        if (try? scheduler.step(modelOutput: sample, timestep: wrong, sample: sample, random: random)) != nil {
            fail("\(steps) steps: step accepted timestep \(wrong), which is not the one due (\(first))")
        }
        var otherShape = shape
        otherShape[otherShape.count - 1] += 1
        let misshapen = Tensor(repeating: 0, shape: otherShape)
        if (try? scheduler.step(modelOutput: misshapen, timestep: first, sample: sample, random: random)) != nil {
            fail("\(steps) steps: step accepted a model output of shape \(otherShape) for a sample of shape \(shape)")
        }
        if (try? scheduler.addNoise(to: sample, noise: misshapen, timestep: first)) != nil {
            fail("\(steps) steps: addNoise accepted noise of shape \(otherShape) for a sample of shape \(shape)")
        }
        // After rejected calls the scheduler must still run from its first timestep.
        if (try? scheduler.step(modelOutput: sample, timestep: first, sample: sample, random: random)) == nil {
            fail("\(steps) steps: the first step failed after rejected calls")
        }
    }

    private static func checkImageToImage(_ configuration: any SchedulerConfiguration, shape: [Int], _ fail: (String) -> Void) {
        let steps = 10
        var partial: any Scheduler
        do {
            partial = try configuration.makeScheduler(steps: steps, strength: 0.5)
        } catch let error as SchedulerError {
            if case .imageToImageUnsupported = error { return }
            fail("makeScheduler(steps: \(steps), strength: 0.5) threw \(error)")
            return
        } catch {
            fail("makeScheduler(steps: \(steps), strength: 0.5) threw \(error)")
            return
        }
        guard let full = try? configuration.makeScheduler(steps: steps) else { return }
        let remaining = partial.timesteps
        if remaining.isEmpty || remaining.count >= full.timesteps.count || Array(full.timesteps.suffix(remaining.count)) != remaining {
            fail("strength 0.5: timesteps \(remaining) are not a proper suffix of the full schedule \(full.timesteps)")
        }
        if let whole = try? configuration.makeScheduler(steps: steps, strength: 1), whole.timesteps != full.timesteps {
            fail("strength 1: timesteps \(whole.timesteps) differ from the full schedule \(full.timesteps)")
        }
        for bad in [0.0, -0.1, 1.5, 0.05] where (try? configuration.makeScheduler(steps: steps, strength: bad)) != nil {
            fail("makeScheduler(steps: \(steps), strength: \(bad)) did not throw")
        }
        guard let start = remaining.first else { return }
        let image = SeededNormalSource(seed: 5).normal(shape: shape)
        let noise = SeededNormalSource(seed: 6).normal(shape: shape)
        do {
            let noised = try partial.addNoise(to: image, noise: noise, timestep: start)
            if noised.shape != shape { fail("addNoise changed shape \(shape) to \(noised.shape)") }
            if !noised.scalars.allSatisfy({ $0.isFinite }) { fail("addNoise produced non-finite values") }
            run(&partial, noise: noised, seed: 8, label: "image-to-image", fail)
        } catch {
            fail("addNoise at timestep \(start) threw \(error)")
        }
    }
}
