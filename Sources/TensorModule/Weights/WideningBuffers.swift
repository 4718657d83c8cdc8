import Dispatch
import Synchronization

/// The float32 buffers that 16-bit weights are widened into when a layer runs, kept for reuse.
///
/// A fresh allocation per call would cost a page fault per 4 KiB on every use (for SD 1.5's UNet,
/// 3.4 GB of first-touch memory per step); reusing buffers makes widening a plain conversion pass.
/// A buffer serves every weight that fits in it (the weight's tensor borrows a prefix of it), so a
/// model retains about one buffer of its largest weight per concurrent caller (113 MiB for SD 1.5's
/// UNet, instead of one per distinct weight size: 503 MiB). ``release()`` frees them when a model is
/// no longer in use.
public enum WideningBuffers {
    /// Stands in for a widened tensor once `body` is done with it (so the buffer's uniqueness can be
    /// checked), without allocating per call.
    private static let released = Tensor.zeros([0])
    /// Buffers not in use, any sizes.
    private static let free = Locked<[TensorStorage]>([])
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
        free.withLock { pool in pool.reduce(0) { $0 + $1.count * 4 } }
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
        var buffer = take(count: count)
        var tensor = Tensor(storage: TensorStorage(borrowingPrefixOf: buffer, count: count), shape: shape)
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
            // Only a buffer nobody else references may be written again: if `body` kept the tensor
            // (or a view of it), the borrowing storage keeps the buffer referenced.
            tensor = released
            if isKnownUniquelyReferenced(&buffer) {
                let kept = buffer
                free.withLock { $0.append(kept) }
            }
        }
        return try body(tensor)
    }

    /// The smallest free buffer that holds `count` elements; if none does, the largest free one is
    /// dropped for a new one of `count`, so a caller's buffer grows to its largest weight.
    private static func take(count: Int) -> TensorStorage {
        let reused = free.withLock { pool -> TensorStorage? in
            if let fit = pool.indices.filter({ pool[$0].count >= count }).min(by: { pool[$0].count < pool[$1].count }) {
                return pool.remove(at: fit)
            }
            if let largest = pool.indices.max(by: { pool[$0].count < pool[$1].count }) {
                pool.remove(at: largest)
            }
            return nil
        }
        return reused ?? TensorStorage(uninitializedCount: count)
    }
}
