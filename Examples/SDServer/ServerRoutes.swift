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

    let backend: any GenerationBackend
    let modelPath: String

    func register(on router: Router<ServerContext>) {
        router.post("/sdapi/v1/txt2img") { request, context in try await generate(request, context, kind: .txt2img) }
        router.post("/sdapi/v1/img2img") { request, context in try await generate(request, context, kind: .img2img) }
        router.get("/sdapi/v1/progress") { request, _ in
            // A1111's `skip_current_image` (default false): whether to leave the preview out.
            let skip = request.uri.queryParameters["skip_current_image"].map { ["true", "1"].contains($0.lowercased()) } ?? false
            return json(try await backend.progress(previewRequested: !skip))
        }
        router.post("/sdapi/v1/interrupt") { _, _ in
            try await backend.interrupt()
            return json(.object([:]))
        }
        router.get("/sdapi/v1/samplers") { _, _ in json(A1111Responses.samplers) }
        router.get("/sdapi/v1/schedulers") { _, _ in json(A1111Responses.schedulers) }
        router.get("/sdapi/v1/sd-models") { _, _ in json(A1111Responses.models(name: backend.modelName, path: modelPath)) }
        router.get("/sdapi/v1/options") { _, _ in json(A1111Responses.options(modelName: backend.modelName)) }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    private func generate(_ request: Request, _ context: ServerContext, kind: GenerationRequest.Kind) async throws -> Response {
        let body: ByteBuffer
        let limit = backend.configuration.maxBodyBytes
        do { body = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError.unprocessable("the request body is larger than this server's limit of \(limit) bytes")
        }
        let bytes = Data(body.readableBytesView)
        let parsed = try GenerationRequest(body: bytes, kind: kind, limits: backend.configuration)
        let reply = try await runCancellingOnDisconnect(parsed, body: bytes, channel: context.channel)
        return json(A1111Responses.generation(parsed, reply))
    }

    /// Runs the generation on its own task and cancels it when the client leaves.
    private func runCancellingOnDisconnect(_ request: GenerationRequest, body: Data, channel: any Channel) async throws -> GenerationReply {
        let backend = self.backend
        let work = Task { try await backend.generate(request, body: body) }
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
