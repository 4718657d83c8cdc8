import Foundation
import Synchronization
import Schedulers
import Testing
import _TestSupport

/// Every scheduler against diffusers, step for step: the schedule, the initial noise scale, and
/// the sample (and predicted original) after every step of a run on a fixed stand-in model.
///
/// Tolerance: 1e-5 relative (max |error| / max |reference| per tensor, and |error| / max(1, |value|)
/// for scalars), the bound. The Swift side repeats diffusers' Float32 operations in order,
/// so what differs is PyTorch's MKL sqrt/log/exp and NumPy's SIMD log and pow (≤ 1 ulp each):
/// measured errors are around 1e-7.
@Suite("Traces from diffusers")
struct DiffusersTraceTests {
    static let tolerance: Float = 1e-5

    @Test("The trace manifest loads and covers every scheduler name")
    func manifestLoads() throws {
        let manifest = try TraceManifest.load()
        #expect(manifest.cases.count >= 150)
        let names = Set(manifest.cases.compactMap(\.scheduler))
        #expect(names == Set(SchedulerName.allCases.map(\.rawValue)))
        #expect(manifest.diffusers == "0.42.1")
    }

    @Test("Scheduler matches diffusers", arguments: TraceManifest.cases)
    func matchesDiffusers(_ trace: TraceCase) throws {
        let manifest = try #require(TraceManifest.shared)
        let inputs = try #require(TraceInputs.shared)
        let base = try #require(manifest.configs[trace.config])
        let merged = base.overriding(with: trace.options)
        var configuration = trace.scheduler == nil
            ? try merged.modelConfiguration()
            : try SchedulerName(named: try #require(trace.scheduler)).configuration(from: merged)
        if let eta = trace.eta {
            var ddim = try #require(configuration as? DDIMScheduler.Configuration)
            ddim.eta = eta
            configuration = ddim
        }
        #expect(configuration.name == trace.className)

        var scheduler = try trace.strength.map { try configuration.makeScheduler(steps: trace.steps, strength: $0) }
            ?? configuration.makeScheduler(steps: trace.steps)
        let full = try configuration.makeScheduler(steps: trace.steps)
        expectClose(full.timesteps, trace.fullTimesteps, "full timesteps")
        expectClose(scheduler.timesteps, trace.timesteps, "timesteps")
        if let reference = trace.sigmas {
            let sigmas = try #require(Self.sigmas(of: full), "diffusers has sigmas, the Swift scheduler none")
            expectClose(sigmas.map(Double.init), reference, "sigmas")
        }
        expectClose([Double(full.initNoiseSigma)], [trace.initNoiseSigma], "init noise sigma")

        var latents: Tensor
        if trace.strength == nil {
            latents = inputs.noise * scheduler.initNoiseSigma
        } else {
            latents = try scheduler.addNoise(to: inputs.imageLatents, noise: inputs.imageNoise, timestep: scheduler.timesteps[0])
            expectClose(latents, try trace.tensor("noised"), "add_noise")
        }
        let random = ReplayRandomSource(try (0..<trace.noiseDraws).map { try trace.tensor("noise.\($0)") })
        let weight = Float(manifest.modelInputWeight)
        for (index, timestep) in scheduler.timesteps.enumerated() {
            let input = try scheduler.scaleModelInput(latents, timestep: timestep)
            let modelOutput = inputs.bank[index % manifest.bankSize] + input * weight
            let output = try scheduler.step(modelOutput: modelOutput, timestep: timestep, sample: latents, random: random)
            latents = output.nextSample
            guard expectClose(latents, try trace.tensor("sample.\(index)"), "sample after step \(index) (t = \(timestep))") else {
                break  // later steps only repeat the divergence
            }
            if trace.denoisedRecorded {
                let denoised = try #require(output.predictedOriginalSample, "step \(index) returned no predicted original sample")
                expectClose(denoised, try trace.tensor("denoised.\(index)"), "predicted original after step \(index)")
            }
        }
        #expect(random.replayedExactly, "noise draws: \(random.problems), \(random.consumed) of \(trace.noiseDraws) used")
    }

    static func sigmas(of scheduler: any Scheduler) -> [Float]? {
        switch scheduler {
        case let s as EulerDiscreteScheduler: return s.sigmas
        case let s as EulerAncestralDiscreteScheduler: return s.sigmas
        case let s as LMSDiscreteScheduler: return s.sigmas
        case let s as HeunDiscreteScheduler: return s.sigmas
        case let s as DPMSolverMultistepScheduler: return s.sigmas
        case let s as UniPCMultistepScheduler: return s.sigmas
        default: return nil
        }
    }

    @discardableResult
    private func expectClose(_ actual: Tensor, _ expected: Tensor, _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let comparison = Comparison(actual, expected)
        let ok = comparison.shapesMatch && comparison.relativeToScale <= Self.tolerance
        #expect(ok, "\(what): \(comparison)", sourceLocation: sourceLocation)
        TraceErrorLog.record(comparison.relativeToScale, what)
        return ok
    }

    private func expectClose(_ actual: [Double], _ expected: [Double], _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let close = actual.count == expected.count
            && zip(actual, expected).allSatisfy { abs($0 - $1) <= Double(Self.tolerance) * max(1, abs($1)) }
        #expect(close, "\(what): \(actual) vs diffusers \(expected)", sourceLocation: sourceLocation)
    }
}

/// The largest relative error seen, printed when `SCHEDULER_TRACE_REPORT` is set (for reports).
enum TraceErrorLog {
    private static let largest = LockedValue<Float>(0)

    static func record(_ error: Float, _ what: String) {
        let value = largest.withLock { current in
            current = max(current, error)
            return current
        }
        if ProcessInfo.processInfo.environment["SCHEDULER_TRACE_REPORT"] != nil {
            print("relative error \(error) (\(what)); largest so far: \(value)")
        }
    }
}
