import Foundation
import StableDiffusion

/// Runs A1111 generation requests on one loaded pipeline, through the admission queue, reporting
/// progress to the board. Each image is its own generation with seed `seed + index` (A1111's
/// `all_seeds`), so every image can be reproduced alone with `sd generate --seed`.
final class GenerationService: Sendable {
    /// What one request produced.
    struct Outcome: Sendable {
        /// PNGs (with the `parameters` chunk), one per finished image.
        var images: [Data] = []
        /// The `parameters` text of each image (A1111's `infotexts`).
        var infotexts: [String] = []
        /// The seed of every image the request asked for.
        var allSeeds: [UInt64] = []
        /// Whether `/interrupt` stopped it (the images finished before are returned).
        var interrupted = false
    }

    let pipeline: StableDiffusionPipeline
    let configuration: ServerConfiguration
    let board = ProgressBoard()
    let queue: AdmissionQueue

    init(pipeline: StableDiffusionPipeline, configuration: ServerConfiguration) {
        self.pipeline = pipeline
        self.configuration = configuration
        self.queue = AdmissionQueue(slots: configuration.parallel, maxWaiting: configuration.maxQueue)
    }

    /// Waits for a slot, then generates.
    ///
    /// - Throws: ``APIError`` 503 when the queue is full, 422 for parameters the pipeline refuses;
    ///   `CancellationError` when the calling task is cancelled (the client went away).
    func run(_ request: GenerationRequest) async throws -> Outcome {
        do { try await queue.enter() } catch is AdmissionQueue.Full {
            let counts = await queue.counts
            throw APIError(status: .serviceUnavailable,
                           detail: "the server is busy (\(counts.running) generating, \(counts.waiting) waiting); retry later",
                           headers: [.retryAfter: "\(board.retryAfterSeconds)"])
        }
        let id = board.begin(kind: request.kind, imageCount: request.imageCount)
        do {
            let outcome = try await generate(request, id: id)
            board.end(id)
            await queue.leave()
            return outcome
        } catch {
            board.end(id, cancelled: error is CancellationError)
            await queue.leave()
            throw error
        }
    }

    private func generate(_ request: GenerationRequest, id: UInt64) async throws -> Outcome {
        let baseSeed = request.seed >= 0 ? UInt64(request.seed) : UInt64.random(in: 0...UInt64(UInt32.max - 1))
        var outcome = Outcome()
        outcome.allSeeds = (0..<request.imageCount).map { baseSeed &+ UInt64($0) }
        let pipeline = try adaptedPipeline(for: request.prompt)
        let scheduler: any SchedulerConfiguration
        do { scheduler = try pipeline.scheduler(named: request.schedulerCLIName) } catch {
            throw APIError.unprocessable("sampler_name '\(request.samplerName)': \(error.description)")
        }
        for (index, seed) in outcome.allSeeds.enumerated() {
            try Task.checkCancellation()
            if board.isInterrupted(id) {
                outcome.interrupted = true
                break
            }
            var parameters = GenerationParameters()
            parameters.negativePrompt = request.negativePrompt.isEmpty ? nil : request.negativePrompt
            parameters.steps = request.steps
            parameters.guidanceScale = Float(request.cfgScale)
            parameters.width = request.width
            parameters.height = request.height
            parameters.seed = seed
            parameters.scheduler = scheduler
            parameters.clipSkip = request.clipStopAtLastLayers - 1
            parameters.previewInterval = configuration.previewInterval
            if !request.initImages.isEmpty {
                parameters.initImage = request.initImages[index % request.initImages.count]
                parameters.strength = request.denoisingStrength
                parameters.mask = request.mask
                parameters.maskBlur = request.maskBlur
            }
            let result: GenerationResult
            do {
                result = try await generateOne(pipeline, prompt: request.prompt, parameters: parameters, id: id)
            } catch .cancelled where board.isInterrupted(id) {
                outcome.interrupted = true
                break
            } catch .cancelled {
                throw CancellationError()
            } catch .invalidParameter(let name, let value, let allowed) {
                throw APIError.unprocessable("invalid \(name) \(value): expected \(allowed)")
            } catch .imageToImageUnavailable {
                throw APIError.unprocessable(PipelineError.imageToImageUnavailable.description)
            } catch .invalidMask(let source, let reason) {
                throw APIError.unprocessable(PipelineError.invalidMask(source: source, reason: reason).description)
            } catch {
                throw APIError(status: .internalServerError, detail: error.description)
            }
            let text = result.parametersText
            for image in result.images {
                let png: Data
                do { png = try image.pngData(text: [("parameters", text)]) } catch {
                    throw APIError(status: .internalServerError, detail: error.description)
                }
                if request.saveImages { try save(png, seed: seed, index: outcome.images.count) }
                outcome.images.append(png)
                outcome.infotexts.append(text)
            }
            board.imageDone(id)
        }
        return outcome
    }

    /// One image on its own task, so that an interrupt can cancel it without cancelling the request.
    private func generateOne(_ pipeline: StableDiffusionPipeline, prompt: String, parameters: GenerationParameters,
                             id: UInt64) async throws(PipelineError) -> GenerationResult {
        let board = self.board
        let task = Task { () async -> Result<GenerationResult, PipelineError> in
            do throws(PipelineError) {
                return .success(try await pipeline.generate(prompt: prompt, parameters: parameters) { progress in
                    board.update(id, step: progress.step, totalSteps: progress.totalSteps)
                    if let preview = progress.previews.first { board.updatePreview(id, preview) }
                })
            } catch {
                return .failure(error)
            }
        }
        guard board.setCanceller(id, { task.cancel() }) else {
            task.cancel()
            throw .cancelled
        }
        defer { _ = board.setCanceller(id, nil) }
        let result = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        return try result.get()
    }

    /// The pipeline with the LoRAs the prompt's `<lora:NAME:W>` tags name, from `--lora-dir` (the
    /// code path of `sd generate --lora-dir`). Without `--lora-dir` a prompt with tags is refused
    /// rather than generated without them.
    private func adaptedPipeline(for prompt: String) throws(APIError) -> StableDiffusionPipeline {
        let tags = A1111Prompt(prompt).loras
        guard !tags.isEmpty else { return pipeline }
        guard let folder = configuration.loraFolder else {
            throw .unprocessable("<lora:\(tags[0].name):…> in the prompt: this server has no LoRA folder (sd serve --lora-dir)")
        }
        do {
            return try pipeline.applying(loras: try LoRATags.resolve(in: prompt, folder: folder))
        } catch let error as LoRATags.Failure {
            throw .unprocessable(error.description)
        } catch {
            throw .unprocessable("\(error)")
        }
    }

    /// Writes a PNG into the output folder under a name the server makes (no part of it comes from
    /// the request), so nothing can be written outside that folder.
    private func save(_ png: Data, seed: UInt64, index: Int) throws {
        guard let folder = configuration.outputDirectory else { return }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let name = "\(formatter.string(from: Date()))-\(UUID().uuidString.prefix(8))-\(index)-\(seed).png"
        let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
        do { try AtomicFile.write(png, to: path) } catch {
            throw APIError(status: .internalServerError, detail: "cannot save \(name) in --output-dir: \(error)")
        }
    }
}
