import Foundation
import Hummingbird
import NIOCore

/// The routes of the A1111-compatible API.
struct ServerRoutes {
    /// Every route's method and path, the one list the router and the OpenAPI document are checked against.
    static let all: [(method: HTTPRequest.Method, path: String)] = [
        (.post, "/sdapi/v1/txt2img"), (.post, "/sdapi/v1/img2img"), (.get, "/sdapi/v1/progress"),
        (.post, "/sdapi/v1/interrupt"), (.get, "/sdapi/v1/samplers"), (.get, "/sdapi/v1/schedulers"),
        (.get, "/sdapi/v1/sd-models"), (.get, "/sdapi/v1/options"), (.get, "/openapi.json"),
    ]

    let service: GenerationService
    let modelPath: String

    func register(on router: Router<ServerContext>) {
        router.post("/sdapi/v1/txt2img") { request, context in try await generate(request, context, kind: .txt2img) }
        router.post("/sdapi/v1/img2img") { request, context in try await generate(request, context, kind: .img2img) }
        router.get("/sdapi/v1/progress") { _, _ in
            let counts = await service.queue.counts
            return json(A1111Responses.progress(service.board.snapshot(), running: counts.running, waiting: counts.waiting))
        }
        router.post("/sdapi/v1/interrupt") { _, _ in
            service.board.interruptAll()
            return json(.object([:]))
        }
        router.get("/sdapi/v1/samplers") { _, _ in json(A1111Responses.samplers) }
        router.get("/sdapi/v1/schedulers") { _, _ in json(A1111Responses.schedulers) }
        router.get("/sdapi/v1/sd-models") { _, _ in json(A1111Responses.models(name: service.pipeline.modelName, path: modelPath)) }
        router.get("/sdapi/v1/options") { _, _ in json(A1111Responses.options(modelName: service.pipeline.modelName)) }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    private func generate(_ request: Request, _ context: ServerContext, kind: GenerationRequest.Kind) async throws -> Response {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: service.configuration.maxBodyBytes) } catch is NIOTooManyBytesError {
            throw APIError.unprocessable("the request body is larger than this server's limit of \(service.configuration.maxBodyBytes) bytes")
        }
        let parsed = try GenerationRequest(body: Data(body.readableBytesView), kind: kind, limits: service.configuration)
        let outcome = try await runCancellingOnDisconnect(parsed, channel: context.channel)
        return json(A1111Responses.generation(parsed, outcome, modelName: service.pipeline.modelName))
    }

    /// Runs the generation on its own task and cancels it when the client leaves.
    private func runCancellingOnDisconnect(_ request: GenerationRequest, channel: any Channel) async throws -> GenerationService.Outcome {
        let service = self.service
        let work = Task { try await service.run(request) }
        let monitor = try? await channel.pipeline.handler(type: ClientDisconnectMonitor.self).get()
        let key = monitor?.onClientLeft { work.cancel() }
        defer { if let key { monitor?.cancel(key) } }
        return try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
    }

    private func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}
