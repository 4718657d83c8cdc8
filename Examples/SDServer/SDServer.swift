import Foundation
import Hummingbird
import NIOCore
import StableDiffusion

/// `sd serve`: an AUTOMATIC1111-compatible HTTP API (Hummingbird 2) over one loaded pipeline.
/// Documentation/Server.md describes the endpoints, limits and differences from A1111.
public struct SDServer: Sendable {
    let backend: any GenerationBackend
    let modelPath: String
    /// The job queue whose pool runs with the server (`--queue`), if any.
    let queue: JobQueue?

    /// A server for a loaded pipeline.
    ///
    /// - Parameters:
    ///   - pipeline: The model to generate with.
    ///   - modelPath: The model's folder or file, reported by `/sdapi/v1/sd-models`.
    ///   - configuration: Address, limits, authentication.
    public init(pipeline: StableDiffusionPipeline, modelPath: String, configuration: ServerConfiguration) {
        self.backend = GenerationService(pipeline: pipeline, configuration: configuration)
        self.modelPath = modelPath
        self.queue = nil
    }

    /// An HTTP node of a scaled-out service: it loads no model, enqueues each request in the
    /// PostgreSQL job queue and answers with the result a worker (`sd worker`) stores.
    ///
    /// - Parameters:
    ///   - queue: The opened queue (``JobQueue/open(_:)``); the server runs its connection pool.
    ///   - modelName: The model the workers load, as `/sd-models` reports it.
    ///   - configuration: Address, limits, authentication; `maxQueue` bounds this node's requests in the queue.
    public init(queue: JobQueue, modelName: String, configuration: ServerConfiguration) {
        self.backend = QueueBackend(queue: queue, modelName: modelName, configuration: configuration)
        self.modelPath = modelName
        self.queue = queue
    }

    /// The Hummingbird application; run it with `runService()` (which stops on SIGINT / SIGTERM).
    ///
    /// - Parameter onListening: Called with the bound port once the server accepts connections.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: ServerContext.self)
        router.add(middleware: BasicAuthMiddleware(credentials: backend.configuration.credentials))
        ServerRoutes(backend: backend, modelPath: modelPath).register(on: router)
        let configuration = backend.configuration
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientDisconnectMonitor()])),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "StableDiffusionSwift"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) })
    }

    /// Runs the server until SIGINT or SIGTERM.
    ///
    /// - Parameter onListening: Called with the bound port once the server accepts connections.
    /// - Throws: When the address cannot be bound.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        guard let queue else {
            try await application(onListening: onListening).runService()
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.run() }
            defer { group.cancelAll() }
            try await application(onListening: onListening).runService()
        }
    }

    /// Every route's method and path (the OpenAPI document must describe each).
    public static var routes: [(method: String, path: String)] { ServerRoutes.all.map { ($0.method.rawValue, $0.path) } }
}
