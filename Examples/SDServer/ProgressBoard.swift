import Foundation
import StableDiffusion
import Synchronization

/// What the running generations are doing, for `GET /sdapi/v1/progress`, and the handles that
/// `POST /sdapi/v1/interrupt` uses to stop them. Written by the generation threads after each step,
/// read by request handlers; one lock, held for a few assignments.
final class ProgressBoard: Sendable {
    /// One request being generated.
    struct Job: Sendable {
        let kind: GenerationRequest.Kind
        let started: Date
        /// Images the request asks for (A1111's `job_count`).
        let imageCount: Int
        /// Images finished (A1111's `job_no` is the current one).
        var imagesDone = 0
        var step = 0
        var totalSteps = 0
        var interrupted = false
        /// The latest preview of the current image (``ServerConfiguration/previewInterval``), kept as
        /// pixels: it is PNG-encoded only when a progress request asks for it.
        var preview: RGBImage?
        /// Stops the image being generated now.
        var cancelCurrent: (@Sendable () -> Void)?
    }

    /// A snapshot for the progress endpoint.
    struct Snapshot: Sendable {
        /// The oldest running job, if any.
        let job: Job?
        /// Whether the last job to finish or the current one was interrupted.
        let interrupted: Bool
        /// Jobs cancelled so far because their client went away.
        let cancelledJobs: Int
    }

    private struct State {
        var jobs: [UInt64: Job] = [:]
        var nextID: UInt64 = 0
        var lastInterrupted = false
        /// Seconds the last finished job took, for `Retry-After`.
        var lastJobSeconds: Double?
        /// Jobs cancelled because their client went away.
        var cancelledJobs = 0
    }

    private let state = Mutex(State())

    /// Registers a job; returns its id.
    func begin(kind: GenerationRequest.Kind, imageCount: Int) -> UInt64 {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.jobs[id] = Job(kind: kind, started: Date(), imageCount: imageCount)
            state.lastInterrupted = false
            return id
        }
    }

    /// Records a step of the job's current image.
    func update(_ id: UInt64, step: Int, totalSteps: Int) {
        state.withLock { state in
            state.jobs[id]?.step = step
            state.jobs[id]?.totalSteps = totalSteps
        }
    }

    /// Records the latest preview of the job's current image.
    func updatePreview(_ id: UInt64, _ image: RGBImage) {
        state.withLock { $0.jobs[id]?.preview = image }
    }

    /// The oldest running job's latest preview as a base64 PNG, if `requested` and there is one
    /// (A1111's `current_image`).
    func preview(requested: Bool) -> String? {
        guard requested, let image = state.withLock({ $0.jobs.min { $0.key < $1.key }?.value.preview }) else { return nil }
        return (try? image.pngData())?.base64EncodedString()
    }

    /// Installs the handle that stops the job's current image; returns false (and does not
    /// install it) when the job was already interrupted.
    func setCanceller(_ id: UInt64, _ cancel: (@Sendable () -> Void)?) -> Bool {
        state.withLock { state in
            if state.jobs[id]?.interrupted == true { return false }
            state.jobs[id]?.cancelCurrent = cancel
            return true
        }
    }

    /// Marks an image of the job finished.
    func imageDone(_ id: UInt64) {
        state.withLock { state in
            state.jobs[id]?.imagesDone += 1
            state.jobs[id]?.step = 0
            state.jobs[id]?.preview = nil
        }
    }

    /// Whether the job was interrupted.
    func isInterrupted(_ id: UInt64) -> Bool { state.withLock { $0.jobs[id]?.interrupted ?? false } }

    /// Removes the job; `cancelled` when its client went away.
    func end(_ id: UInt64, cancelled: Bool = false) {
        state.withLock { state in
            if cancelled { state.cancelledJobs += 1 }
            guard let job = state.jobs.removeValue(forKey: id) else { return }
            state.lastInterrupted = job.interrupted
            state.lastJobSeconds = Date().timeIntervalSince(job.started)
        }
    }

    /// Interrupts every running job (A1111's interrupt stops what is generating now, not the queue).
    func interruptAll() {
        let cancellers = state.withLock { state in
            state.jobs.keys.compactMap { id -> (@Sendable () -> Void)? in
                state.jobs[id]?.interrupted = true
                return state.jobs[id]?.cancelCurrent
            }
        }
        cancellers.forEach { $0() }
    }

    /// The oldest running job and the interrupt flag.
    func snapshot() -> Snapshot {
        state.withLock { state in
            let oldest = state.jobs.min { $0.key < $1.key }?.value
            return Snapshot(job: oldest, interrupted: oldest?.interrupted ?? state.lastInterrupted,
                            cancelledJobs: state.cancelledJobs)
        }
    }

    /// Seconds a client should wait before retrying when the queue is full: about one job's time.
    var retryAfterSeconds: Int {
        let seconds = state.withLock { $0.lastJobSeconds } ?? 10
        return min(max(Int(seconds.rounded(.up)), 1), 600)
    }
}
