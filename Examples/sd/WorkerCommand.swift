import ArgumentParser
import Foundation
import SDServer
import StableDiffusion

/// `sd worker`: runs the jobs that `sd serve --queue` nodes put in a PostgreSQL queue
/// (Documentation/Server.md, "Many machines").
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run generation jobs from a PostgreSQL queue filled by `sd serve --queue`.",
        discussion: """
            Claims one job at a time (SELECT … FOR UPDATE SKIP LOCKED) under a lease it renews while generating, \
            and stores the PNGs and A1111 info back. A job whose worker dies is claimed again by another once its \
            lease expires, at most --max-attempts times. Start any number, on any machines. Stops on SIGINT / SIGTERM \
            (the job it holds is then claimed again by another worker when its lease expires).
            """)

    @Option(name: .long, help: "The job queue: postgres://user:password@host:port/database[?sslmode=disable|prefer|require].")
    var queue: String
    @Option(name: .long, help: "A diffusers model folder, or a single-file .safetensors checkpoint (every worker of a queue should load the same).")
    var model: String
    @Option(name: .long, help: "Claims a job may have; when the last claim's lease expires the job fails with a message for its client.")
    var maxAttempts: Int = 3
    @Option(name: .long, help: "Seconds a claim lasts without renewal (renewed every third of it while generating).")
    var leaseSeconds: Double = 30
    @Option(name: .long, help: "A folder of LoRA files for <lora:NAME:WEIGHT> prompt tags (as sd serve --lora-dir).")
    var loraDir: String?
    @OptionGroup var loading: ModelLoadingOptions

    func validate() throws {
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard leaseSeconds >= 1, leaseSeconds.isFinite else { throw ValidationError("--lease-seconds must be at least 1") }
        try loading.validate(model: model)
    }

    func run() async throws {
        let address = try QueueAddress(queue)
        if let loraDir { try ServeCommand.checkFolder(loraDir, option: "--lora-dir", writable: false) }
        loading.applyThreads()
        // The queue is opened first: a wrong address fails in a moment, before the model is read.
        let jobs = try await JobQueue.open(address)
        FileHandle.standardError.write(Data("loading \(model)\n".utf8))
        let pipeline = try StableDiffusionPipeline(
            contentsOf: model, options: loading.loadOptions())
        var settings = QueueWorker.Settings()
        settings.maxAttempts = maxAttempts
        settings.leaseSeconds = leaseSeconds
        let worker = QueueWorker(queue: jobs, pipeline: pipeline, loraFolder: loraDir, settings: settings) { line in
            FileHandle.standardError.write(Data("worker: \(line)\n".utf8))
        }
        FileHandle.standardError.write(Data("worker \(settings.name): waiting for jobs in \(address.redacted)\n".utf8))
        try await Self.untilSignal { try await worker.run() }
    }

    /// Runs `body` until it returns or SIGINT / SIGTERM arrives.
    static func untilSignal(_ body: @escaping @Sendable () async throws -> Void) async throws {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let once = OnceFlag()
                    for number in [SIGINT, SIGTERM] {
                        let source = DispatchSource.makeSignalSource(signal: number)
                        source.setEventHandler { if once.take() { continuation.resume() } }
                        source.resume()
                        once.keep(source)
                    }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }
}

/// True once, then false: a continuation resumed by whichever signal comes first.
private final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false
    /// The signal sources, kept alive for as long as the flag.
    private var sources: [any DispatchSourceSignal] = []

    func keep(_ source: any DispatchSourceSignal) {
        lock.lock()
        defer { lock.unlock() }
        sources.append(source)
    }

    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if taken { return false }
        taken = true
        return true
    }
}
