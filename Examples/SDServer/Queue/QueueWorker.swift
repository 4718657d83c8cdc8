import Foundation
import StableDiffusion

/// `sd worker`: claims jobs from the PostgreSQL queue and runs them with the same request →
/// parameters code as `sd serve` (``GenerationRequest``, ``GenerationService``), one at a time,
/// renewing its lease while it runs, and stores the PNGs and `info` back.
public struct QueueWorker: Sendable {
    /// How the worker claims and holds jobs.
    public struct Settings: Sendable {
        /// Seconds a claim lasts without renewal; a worker that dies loses its job this long after.
        public var leaseSeconds: Double = 30
        /// Claims a job may have; after the last one's lease expires it fails with a message.
        public var maxAttempts: Int = 3
        /// Seconds between looks at the queue while it is empty.
        public var idlePollSeconds: Double = 0.5
        /// The worker's name in `sd_jobs.worker`.
        public var name = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

        /// The defaults above.
        public init() {}
    }

    let queue: JobQueue
    let service: GenerationService
    let settings: Settings
    let log: @Sendable (String) -> Void

    /// A worker over a loaded pipeline.
    ///
    /// - Parameters:
    ///   - queue: The opened queue (``JobQueue/open(_:)``).
    ///   - pipeline: The model (every worker of a queue should load the same one).
    ///   - loraFolder: Where `<lora:NAME:W>` tags in prompts are looked up, as `sd serve --lora-dir`.
    ///   - settings: Lease and attempts.
    ///   - log: Receives one line per job event.
    public init(queue: JobQueue, pipeline: StableDiffusionPipeline, loraFolder: String? = nil, settings: Settings,
                log: @escaping @Sendable (String) -> Void) {
        // The node checked the request against its own limits; the worker re-reads it with none
        // tighter than the request's own type allows.
        var configuration = ServerConfiguration()
        configuration.maxPixels = Int.max
        configuration.maxSteps = 10_000
        configuration.maxImages = 1_000
        configuration.maxQueue = 0
        configuration.loraFolder = loraFolder
        // Previews are not sent through the queue.
        configuration.previewInterval = nil
        self.queue = queue
        self.service = GenerationService(pipeline: pipeline, configuration: configuration)
        self.settings = settings
        self.log = log
    }

    /// Claims and runs jobs until the task is cancelled.
    ///
    /// - Throws: ``QueueError`` when the database cannot be reached.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.run() }
            defer { group.cancelAll() }
            try await loop()
        }
    }

    /// Claims and runs jobs. A database that stops answering for a while is waited out (the job
    /// held then, if any, is reclaimed once its lease expires); only cancellation ends the loop.
    private func loop() async throws {
        while !Task.isCancelled {
            do {
                let givenUp = try await queue.failExhausted(maxAttempts: settings.maxAttempts)
                if givenUp > 0 { log("failed \(givenUp) job(s) whose lease expired after --max-attempts \(settings.maxAttempts) claims") }
                guard let job = try await queue.claim(worker: settings.name, leaseSeconds: settings.leaseSeconds,
                                                      maxAttempts: settings.maxAttempts) else {
                    try await Task.sleep(for: .seconds(settings.idlePollSeconds))
                    continue
                }
                try await runJob(job)
            } catch let error as QueueError {
                log("\(error); retrying in 5 s")
                try await Task.sleep(for: .seconds(5))
            }
        }
    }

    /// Runs one claimed job while a heartbeat renews its lease; the result is stored only if the
    /// lease is still held.
    private func runJob(_ job: JobQueue.ClaimedJob) async throws {
        log("job \(job.id): claimed (attempt \(job.attempts))")
        let request: GenerationRequest
        do { request = try GenerationRequest(body: job.body, kind: job.kind, limits: service.configuration) } catch {
            _ = try await queue.fail(job, status: Int(error.status.code), message: error.detail)
            log("job \(job.id): failed: \(error.detail)")
            return
        }
        let service = self.service
        let work = Task { try await service.generate(request, body: job.body) }
        let heartbeat = Task { await keepLease(job, work: work) }
        let result = await work.result
        heartbeat.cancel()
        let lost = await heartbeat.value
        switch result {
        case .success(let reply):
            if try await queue.complete(job, images: reply.images, info: reply.info) {
                log("job \(job.id): done (\(reply.images.count) image(s))")
            } else {
                log("job \(job.id): finished after its lease was lost; result discarded")
            }
        case .failure(let error as APIError):
            if try await queue.fail(job, status: Int(error.status.code), message: error.detail) {
                log("job \(job.id): failed: \(error.detail)")
            }
        case .failure(let error):
            if lost || error is CancellationError {
                log("job \(job.id): lease lost or job cancelled; stopped")
            } else if try await queue.fail(job, status: 500, message: "\(error)") {
                log("job \(job.id): failed: \(error)")
            }
        }
    }

    /// Renews the lease until cancelled, passing the node's interrupt on and cancelling the work
    /// when the lease is lost. Returns whether it was lost. A renewal that cannot reach the
    /// database is retried at the next beat: the lease covers a few missed beats.
    private func keepLease(_ job: JobQueue.ClaimedJob, work: Task<GenerationReply, any Error>) async -> Bool {
        let beat = Duration.seconds(max(0.2, min(settings.leaseSeconds / 3, 2)))
        while !Task.isCancelled {
            do { try await Task.sleep(for: beat) } catch { return false }
            let snapshot = service.board.snapshot().job
            let renewal = try? await queue.renew(job, leaseSeconds: settings.leaseSeconds, imagesDone: snapshot?.imagesDone ?? 0,
                                                 step: snapshot?.step ?? 0, totalSteps: snapshot?.totalSteps ?? 0)
            switch renewal {
            case .lost?:
                work.cancel()
                return true
            case .held(let interrupt)? where interrupt:
                service.board.interruptAll()
            default: break
            }
        }
        return false
    }
}
