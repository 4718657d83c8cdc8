import Foundation

/// `sd serve --queue`: the HTTP node enqueues each checked request in PostgreSQL and waits for a
/// worker (`sd worker`) to store its result. The node loads no model. Its `--max-queue` bounds the
/// requests it has in flight (more are answered 503 with Retry-After); a request whose client goes
/// away is cancelled in the queue.
final class QueueBackend: GenerationBackend {
    let queue: JobQueue
    let configuration: ServerConfiguration
    let modelName: String
    /// This node's name in `sd_jobs.submitted_by`: `/interrupt` and `/progress` act on its own jobs.
    let node = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    private let inFlight: AdmissionQueue
    /// How often a waiting request looks at its job. Polling keeps the node stateless (any node can
    /// answer, a restart loses nothing in the database); 200 ms is small next to a generation.
    static let pollInterval: Duration = .milliseconds(200)

    init(queue: JobQueue, modelName: String, configuration: ServerConfiguration) {
        self.queue = queue
        self.modelName = modelName
        self.configuration = configuration
        self.inFlight = AdmissionQueue(slots: max(1, configuration.maxQueue), maxWaiting: 0)
    }

    func generate(_ request: GenerationRequest, body: Data) async throws -> GenerationReply {
        do { try await inFlight.enter() } catch is AdmissionQueue.Full {
            throw APIError(status: .serviceUnavailable,
                           detail: "this node has \(configuration.maxQueue) requests in the queue (--max-queue); retry later",
                           headers: [.retryAfter: "10"])
        }
        defer { Task { await inFlight.leave() } }
        let id = try await Self.answer { try await queue.enqueue(kind: request.kind, body: body, imageCount: request.imageCount, node: node) }
        do {
            while true {
                try await Task.sleep(for: Self.pollInterval)
                let ending = try await Self.answer { try await queue.ending(of: id) }
                switch ending {
                case nil: continue
                case .done(let images, let info): return GenerationReply(images: images, info: info)
                case .failed(let status, let message):
                    throw APIError(status: .init(code: status), detail: message)
                case .cancelled: throw CancellationError()
                }
            }
        } catch is CancellationError {
            // The client went away: a task of its own, since this one is cancelled.
            let queue = self.queue
            Task { try? await queue.cancel(id) }
            throw CancellationError()
        }
    }

    func progress(previewRequested: Bool) async throws -> JSONValue {
        let (waiting, running, job) = try await Self.answer { try await queue.progress(node: node) }
        // No preview crosses the queue: workers store progress, not images (documented in Server.md).
        let snapshot = ProgressBoard.Snapshot(job: job, interrupted: job?.interrupted ?? false, cancelledJobs: 0)
        return A1111Responses.progress(snapshot, running: running, waiting: waiting)
    }

    func interrupt() async throws { try await Self.answer { try await queue.interruptRunning(node: node) } }

    /// A queue failure as the client sees it: 503, the database named without its password.
    private static func answer<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as QueueError {
            throw APIError(status: .serviceUnavailable, detail: "job queue: \(error.description)", headers: [.retryAfter: "10"])
        }
    }
}
