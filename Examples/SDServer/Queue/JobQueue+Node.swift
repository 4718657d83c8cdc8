import Foundation
import PostgresNIO

/// The HTTP node's side of the queue: enqueue a request, wait for its result, cancel it, interrupt
/// it, and read progress.
extension JobQueue {
    /// How a job ended, as the node reads it back.
    enum Ending: Sendable {
        /// PNG bytes and A1111's `info` JSON text, stored by the worker that completed it.
        case done(images: [Data], info: String)
        /// The worker's (or the queue's) message and the HTTP status to answer with.
        case failed(status: Int, message: String)
        /// Cancelled (its client went away).
        case cancelled
    }

    /// Adds a job; returns its id.
    func enqueue(kind: GenerationRequest.Kind, body: Data, imageCount: Int, node: String) async throws(QueueError) -> Int64 {
        let ids = try await rows("""
            INSERT INTO sd_jobs (kind, request, image_count, submitted_by)
            VALUES (\(kind.rawValue), \(ByteBuffer(bytes: body)), \(imageCount), \(node)) RETURNING id
            """, as: Int64.self)
        guard let id = ids.first else { throw .database(address.redacted, reason: "INSERT returned no id") }
        return id
    }

    /// The job's ending, or nil while it is queued or running.
    func ending(of id: Int64) async throws(QueueError) -> Ending? {
        let states = try await rows("SELECT state FROM sd_jobs WHERE id = \(id)", as: String.self)
        switch states.first {
        case nil: return .failed(status: 500, message: "job \(id) is no longer in the queue")
        case "done"?:
            let results = try await rows("SELECT images, info FROM sd_jobs WHERE id = \(id)", as: ([ByteBuffer]?, String?).self)
            guard let row = results.first else { return nil }
            return .done(images: (row.0 ?? []).map { Data($0.readableBytesView) }, info: row.1 ?? "{}")
        case "failed"?:
            let results = try await rows("SELECT error_status, error FROM sd_jobs WHERE id = \(id)", as: (Int32?, String?).self)
            let (status, message) = results.first ?? (nil, nil)
            return .failed(status: Int(status ?? 500), message: message ?? "job \(id) failed")
        case "cancelled"?: return .cancelled
        default: return nil
        }
    }

    /// Cancels a job whose client went away: a queued job is never claimed, a running one loses its
    /// lease (its worker notices at the next renewal and stops).
    func cancel(_ id: Int64) async throws(QueueError) {
        try await execute("""
            UPDATE sd_jobs SET state = 'cancelled', finished_at = now(), lease_token = NULL
            WHERE id = \(id) AND state IN ('queued', 'running')
            """)
    }

    /// Asks the workers running this node's jobs to stop them after the current step (A1111's
    /// interrupt stops what is generating now; queued jobs stay queued).
    func interruptRunning(node: String) async throws(QueueError) {
        try await execute("UPDATE sd_jobs SET interrupt_requested = true WHERE state = 'running' AND submitted_by = \(node)")
    }

    /// Jobs waiting and running across all nodes, and this node's oldest running job.
    func progress(node: String) async throws(QueueError) -> (waiting: Int, running: Int, job: ProgressBoard.Job?) {
        let counts = try await rows("""
            SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'running')
            FROM sd_jobs WHERE state IN ('queued', 'running')
            """, as: (Int64, Int64).self)
        let jobs = try await rows("""
            SELECT kind, image_count, images_done, step, total_steps, coalesce(claimed_at, created_at), interrupt_requested
            FROM sd_jobs WHERE state = 'running' AND submitted_by = \(node) ORDER BY id LIMIT 1
            """, as: (String, Int32, Int32, Int32, Int32, Date, Bool).self)
        let job = jobs.first.map { row in
            var job = ProgressBoard.Job(kind: GenerationRequest.Kind(rawValue: row.0) ?? .txt2img, started: row.5,
                                        imageCount: Int(row.1))
            job.imagesDone = Int(row.2)
            job.step = Int(row.3)
            job.totalSteps = Int(row.4)
            job.interrupted = row.6
            return job
        }
        let (waiting, running) = counts.first ?? (0, 0)
        return (Int(waiting), Int(running), job)
    }
}
