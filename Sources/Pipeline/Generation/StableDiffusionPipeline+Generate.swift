import Dispatch
import Foundation
import Synchronization
import TensorModule

/// Where a running generation is, reported after every step.
public struct GenerationProgress: Sendable {
    /// Steps completed (1 after the first step).
    public var step: Int
    /// Steps the generation will run.
    public var totalSteps: Int
    /// Seconds since the generation started (text encoding included).
    public var elapsedSeconds: Double
    /// The latents after this step.
    public var latents: Tensor
    /// Preview images (one per generated image, of the output size) on the steps
    /// ``GenerationParameters/previewInterval`` asks for; empty on the others.
    public var previews: [RGBImage] = []
    /// Seconds spent decoding this step's previews (0 when there are none).
    public var previewSeconds: Double = 0

    /// The first image's preview, when this step has previews.
    public var preview: RGBImage? { previews.first }
}

extension StableDiffusionPipeline {
    /// Generates images from a prompt, synchronously, on the calling thread.
    ///
    /// - Parameters:
    ///   - prompt: What to draw.
    ///   - parameters: Everything else (steps, guidance, size, seed, scheduler, …).
    ///   - progress: Called after every step, with preview images every
    ///     ``GenerationParameters/previewInterval`` steps (previews are only decoded when there is a
    ///     callback).
    /// - Returns: The images, final latents, seed, statistics and the A1111 parameters text.
    /// - Throws: ``PipelineError`` for invalid parameters or a failing component.
    public func generate(prompt: String, parameters: GenerationParameters = GenerationParameters(),
                         progress: ((GenerationProgress) -> Void)? = nil) throws(PipelineError) -> GenerationResult {
        try run(prompt: prompt, parameters: parameters, progress: progress, isCancelled: { false })
    }

    /// Generates images from a prompt without blocking Swift's cooperative thread pool: the work runs
    /// on a dispatch queue, and cancelling the calling task stops it before the next step.
    ///
    /// - Parameters:
    ///   - prompt: What to draw.
    ///   - parameters: Everything else (steps, guidance, size, seed, scheduler, …).
    ///   - progress: Called after every step, on the generation's thread.
    /// - Returns: The images, final latents, seed, statistics and the A1111 parameters text.
    /// - Throws: ``PipelineError/cancelled`` when the task is cancelled, otherwise as the synchronous form.
    public func generate(prompt: String, parameters: GenerationParameters = GenerationParameters(),
                         progress: (@Sendable (GenerationProgress) -> Void)? = nil) async throws(PipelineError) -> GenerationResult {
        let cancelled = CancellationFlag()
        let outcome: Result<GenerationResult, PipelineError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    let result = Result { () throws(PipelineError) -> GenerationResult in
                        try self.run(prompt: prompt, parameters: parameters, progress: progress,
                                     isCancelled: { cancelled.isSet })
                    }
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            cancelled.set()
        }
        return try outcome.get()
    }

    private func run(prompt: String, parameters: GenerationParameters, progress: ((GenerationProgress) -> Void)?,
                     isCancelled: () -> Bool) throws(PipelineError) -> GenerationResult {
        let start = DispatchTime.now()
        if isCancelled() { throw .cancelled }
        let session = try makeSession(prompt: prompt, parameters: parameters)
        while !session.isFinished {
            if isCancelled() { throw .cancelled }
            let latents = try session.step()
            guard let progress else { continue }
            var update = GenerationProgress(step: session.completedSteps, totalSteps: session.totalSteps,
                                            elapsedSeconds: DenoisingSession.seconds(since: start), latents: latents)
            if let interval = parameters.previewInterval, session.completedSteps % interval == 0 {
                let previewStart = DispatchTime.now()
                update.previews = try session.preview()
                update.previewSeconds = DenoisingSession.seconds(since: previewStart)
            }
            progress(update)
        }
        if isCancelled() { throw .cancelled }
        let decodeStart = DispatchTime.now()
        let images = try session.decode()
        let decodeSeconds = DenoisingSession.seconds(since: decodeStart)
        let blas = try? BLASDiagnostics.current()
        let statistics = GenerationStatistics(
            loadSeconds: loadSeconds, textEncodeSeconds: session.textEncodingSeconds, stepSeconds: session.stepSeconds,
            decodeSeconds: decodeSeconds, totalSeconds: DenoisingSession.seconds(since: start),
            peakRSSBytes: ResourceUsage.peakResidentBytes ?? 0, blasCore: blas?.blasCore ?? "unknown",
            threads: blas?.threads ?? ComputeConfiguration.threads, width: session.width, height: session.height,
            steps: parameters.steps)
        let text = A1111Parameters.text(prompt: prompt, parameters: parameters, guidanceScale: session.guidanceScale,
                                        strength: session.strength, scheduler: session.schedulerConfiguration,
                                        steps: parameters.steps, seed: session.seed, width: session.width,
                                        height: session.height, modelName: modelName,
                                        randomName: parameters.randomSource.name, inpaintingModel: isInpaintingModel,
                                        loras: adapters.loras, vaeName: vaeName)
        return GenerationResult(images: images, latents: session.latents, seed: session.seed,
                                statistics: statistics, parametersText: text)
    }
}

/// A flag set from a cancellation handler and read by the generation's thread.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
