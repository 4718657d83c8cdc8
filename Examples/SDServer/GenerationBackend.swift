import Foundation

/// Where a server's generations run: in this process (``GenerationService``) or on the workers of
/// a PostgreSQL job queue (``QueueBackend``). The routes speak to this protocol only, so both
/// answer the same A1111 API.
protocol GenerationBackend: Sendable {
    /// The model name reported by `/sd-models`, `/options` and `info`.
    var modelName: String { get }
    /// The server's limits and settings.
    var configuration: ServerConfiguration { get }
    /// Runs a checked request; `body` is the request as the client sent it (the queue stores it).
    ///
    /// - Throws: ``APIError`` for the client; `CancellationError` when the calling task is cancelled.
    func generate(_ request: GenerationRequest, body: Data) async throws -> GenerationReply
    /// `GET /sdapi/v1/progress`'s body.
    func progress(previewRequested: Bool) async throws -> JSONValue
    /// `POST /sdapi/v1/interrupt`.
    func interrupt() async throws
}

/// What a generation gives the client: the PNGs and A1111's `info` JSON text.
struct GenerationReply: Sendable {
    /// PNGs, each with its `parameters` chunk.
    let images: [Data]
    /// A1111's `info` (``A1111Responses/info(_:_:modelName:)``).
    let info: String
}

extension GenerationService: GenerationBackend {
    var modelName: String { pipeline.modelName }

    func generate(_ request: GenerationRequest, body: Data) async throws -> GenerationReply {
        let outcome = try await run(request)
        return GenerationReply(images: outcome.images, info: A1111Responses.info(request, outcome, modelName: modelName))
    }

    func progress(previewRequested: Bool) async throws -> JSONValue {
        let counts = await queue.counts
        return A1111Responses.progress(board.snapshot(), running: counts.running, waiting: counts.waiting,
                                       currentImage: board.preview(requested: previewRequested))
    }

    func interrupt() async throws { board.interruptAll() }
}
