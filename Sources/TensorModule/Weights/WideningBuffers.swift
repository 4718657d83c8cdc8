import Dispatch
import Synchronization

/// The float32 buffers that 16-bit weights are widened into when a layer runs, kept for reuse.
///
/// A fresh allocation per call would cost a page fault per 4 KiB on every use (for SD 1.5's UNet,
/// 3.4 GB of first-touch memory per step); reusing buffers makes widening a plain conversion pass.
/// A buffer serves every weight of its element count (the tensor engine needs a buffer's size to
/// equal its tensor's), so a model retains one buffer per distinct weight size it has used, per
/// concurrent caller. ``release()`` frees them when a model is no longer in use.
public enum WideningBuffers {
    private static let free = Mutex<[Int: [TensorStorage]]>([:])
    private static let statisticsEnabled = Atomic<Bool>(false)
    private static let widenedElements = Atomic<Int>(0)
    private static let widenings = Atomic<Int>(0)
    private static let nanoseconds = Atomic<Int>(0)

    /// Totals of the widening timing hook since the last ``resetStatistics(enabled:)``.
    public struct Statistics: Sendable, Equatable {
        /// Weights widened.
        public var widenings: Int
        /// Elements widened.
        public var elements: Int
        /// Wall time spent widening, in seconds.
        public var seconds: Double
    }

    /// The accumulated statistics (all zero unless enabled).
    public static var statistics: Statistics {
        Statistics(widenings: widenings.load(ordering: .relaxed), elements: widenedElements.load(ordering: .relaxed),
                   seconds: Double(nanoseconds.load(ordering: .relaxed)) / 1e9)
    }

    /// Zeroes the statistics and turns the timing hook on or off (off by default: it reads the clock
    /// twice per widening).
    public static func resetStatistics(enabled: Bool) {
        widenings.store(0, ordering: .relaxed)
        widenedElements.store(0, ordering: .relaxed)
        nanoseconds.store(0, ordering: .relaxed)
        statisticsEnabled.store(enabled, ordering: .relaxed)
    }

    /// Bytes currently kept for reuse (buffers not in use).
    public static var retainedBytes: Int {
        free.withLock { pool in pool.reduce(0) { $0 + $1.key * 4 * $1.value.count } }
    }

    /// Frees every buffer not in use.
    public static func release() {
        free.withLock { $0.removeAll() }
    }

    /// Calls `body` with a float32 tensor of `shape` whose elements `fill` wrote, in a reused buffer.
    ///
    /// The tensor is only valid inside `body`: if `body` keeps it (or a view of it), the buffer is not
    /// reused.
    static func withTensor<Result, Failure: Error>(
        shape: [Int], fill: (UnsafeMutablePointer<Float>) -> Void,
        _ body: (Tensor) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let count = Tensor.elementCount(shape)
        var tensor = Tensor(storage: take(count: count), shape: shape)
        if statisticsEnabled.load(ordering: .relaxed) {
            let start = DispatchTime.now().uptimeNanoseconds
            fill(tensor.storage.pointer)
            nanoseconds.add(Int(DispatchTime.now().uptimeNanoseconds - start), ordering: .relaxed)
            widenings.add(1, ordering: .relaxed)
            widenedElements.add(count, ordering: .relaxed)
        } else {
            fill(tensor.storage.pointer)
        }
        defer {
            // Only a buffer nobody else references may be written again.
            if isKnownUniquelyReferenced(&tensor.storage) {
                let storage = tensor.storage
                free.withLock { $0[count, default: []].append(storage) }
            }
        }
        return try body(tensor)
    }

    private static func take(count: Int) -> TensorStorage {
        free.withLock { $0[count]?.popLast() } ?? TensorStorage(uninitializedCount: count)
    }
}
