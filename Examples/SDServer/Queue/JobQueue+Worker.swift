import Foundation
import PostgresNIO

/// The worker's side of the queue: claim a job under a lease, renew the lease while running,
/// complete or fail the job, all conditional on still holding the lease.
extension JobQueue {
    /// A job a worker holds.
    struct ClaimedJob: Sendable {
        /// The job's id.
        let id: Int64
        /// txt2img or img2img.
        let kind: GenerationRequest.Kind
        /// The request body as the client sent it.
        let body: Data
        /// Claims so far, this one included.
        let attempts: Int
        /// The lease: every later statement on the job names it, so a worker whose lease expired and
        /// was taken over can no longer change the job.
        let leaseToken: UUID
    }

    /// What a lease renewal found.
    enum Renewal: Sendable, Equatable {
        /// Still ours; `interruptRequested` when the node asked to stop the job.
        case held(interruptRequested: Bool)
        /// Expired and claimed by another worker, or cancelled: stop working on it.
        case lost
    }

    /// Claims the oldest job that is queued, or running under an expired lease (its worker died),
    /// and claimed fewer than `maxAttempts` times. `SKIP LOCKED` lets any number of workers claim
    /// at once without waiting for, or taking, each other's job.
    func claim(worker: String, leaseSeconds: Double, maxAttempts: Int) async throws(QueueError) -> ClaimedJob? {
        let token = UUID()
        let claimed = try await rows("""
            UPDATE sd_jobs SET state = 'running', attempts = attempts + 1, lease_token = \(token), worker = \(worker),
                lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), claimed_at = now(),
                images_done = 0, step = 0, total_steps = 0
            WHERE id = (
                SELECT id FROM sd_jobs
                WHERE (state = 'queued' OR (state = 'running' AND lease_expires_at < now())) AND attempts < \(maxAttempts)
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, request, attempts
            """, as: (Int64, String, ByteBuffer, Int32).self)
        guard let row = claimed.first else { return nil }
        return ClaimedJob(id: row.0, kind: GenerationRequest.Kind(rawValue: row.1) ?? .txt2img, body: Data(row.2.readableBytesView),
                          attempts: Int(row.3), leaseToken: token)
    }

    /// Extends the lease and records progress.
    func renew(_ job: ClaimedJob, leaseSeconds: Double, imagesDone: Int, step: Int, totalSteps: Int) async throws(QueueError) -> Renewal {
        let rows = try await rows("""
            UPDATE sd_jobs SET lease_expires_at = now() + make_interval(secs => \(leaseSeconds)),
                images_done = \(imagesDone), step = \(step), total_steps = \(totalSteps)
            WHERE id = \(job.id) AND lease_token = \(job.leaseToken) AND state = 'running'
            RETURNING interrupt_requested
            """, as: Bool.self)
        guard let interrupt = rows.first else { return .lost }
        return .held(interruptRequested: interrupt)
    }

    /// Stores the result; false when the lease was lost (the result is then discarded: another
    /// worker owns the job, so it is never completed twice).
    func complete(_ job: ClaimedJob, images: [Data], info: String) async throws(QueueError) -> Bool {
        let buffers = images.map { ByteBuffer(bytes: $0) }
        let rows = try await rows("""
            UPDATE sd_jobs SET state = 'done', images = \(buffers), info = \(info), finished_at = now(),
                completions = completions + 1, lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(job.id) AND lease_token = \(job.leaseToken) AND state = 'running'
            RETURNING id
            """, as: Int64.self)
        return !rows.isEmpty
    }

    /// Fails the job with a message for its HTTP client (a request the worker cannot carry out:
    /// retrying would fail the same way).
    func fail(_ job: ClaimedJob, status: Int, message: String) async throws(QueueError) -> Bool {
        let rows = try await rows("""
            UPDATE sd_jobs SET state = 'failed', error_status = \(status), error = \(message), finished_at = now(),
                lease_token = NULL, lease_expires_at = NULL
            WHERE id = \(job.id) AND lease_token = \(job.leaseToken) AND state = 'running'
            RETURNING id
            """, as: Int64.self)
        return !rows.isEmpty
    }

    /// Fails the jobs whose lease expired after their last allowed claim; returns how many.
    func failExhausted(maxAttempts: Int) async throws(QueueError) -> Int {
        let rows = try await rows("""
            UPDATE sd_jobs SET state = 'failed', error_status = 500, finished_at = now(), lease_token = NULL,
                error = 'the job was claimed ' || attempts || ' times and each worker stopped before finishing it (its lease expired); giving up (--max-attempts ' || \(maxAttempts) || ')'
            WHERE state = 'running' AND lease_expires_at < now() AND attempts >= \(maxAttempts)
            RETURNING id
            """, as: Int64.self)
        return rows.count
    }
}
