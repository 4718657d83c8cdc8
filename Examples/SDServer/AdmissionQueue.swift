/// The bounded queue in front of the generator: `slots` requests generate at once, up to
/// `maxWaiting` more wait in arrival order, and any beyond that are turned away at once (503) rather
/// than piling up memory and latency. A waiting request whose task is cancelled (its client went
/// away) leaves the queue without ever taking a slot.
actor AdmissionQueue {
    /// Thrown by ``enter()`` when every slot is busy and the queue is full.
    struct Full: Error {}

    private let slots: Int
    private let maxWaiting: Int
    private var running = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    init(slots: Int, maxWaiting: Int) {
        self.slots = max(1, slots)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Requests generating and requests waiting.
    var counts: (running: Int, waiting: Int) { (running, waiters.count) }

    /// Takes a slot, waiting for one if the queue has room.
    ///
    /// - Throws: ``Full`` when it has none, `CancellationError` if the task is cancelled while waiting.
    func enter() async throws {
        try Task.checkCancellation()
        if running < slots {
            running += 1
            return
        }
        guard waiters.count < maxWaiting else { throw Full() }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
            }
        } onCancel: {
            // Runs on the actor after the waiter was added (the actor is busy in `enter` until then).
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Gives the slot to the first waiter, or frees it.
    func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
