import Dispatch
import Foundation
import Synchronization

/// Process-wide settings of the compute engine.
public enum ComputeConfiguration {
    private static let threadSetting = Locked<Int>(0)

    /// The number of threads used for GEMM (fixed tiles of each product, one OpenBLAS call each) and
    /// for the element-wise work around it. Results do not depend on it.
    ///
    /// Defaults to every core the process may use. Setting it takes effect for the next operation;
    /// values below 1 are treated as 1.
    public static var threads: Int {
        get {
            let stored = threadSetting.withLock { $0 }
            return stored > 0 ? stored : defaultThreads
        }
        set {
            let value = max(1, newValue)
            threadSetting.withLock { $0 = value }
        }
    }

    /// The number of cores available to this process.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// Runs `body(chunkIndex, range)` over `0..<count` split into contiguous ranges, one per worker,
/// on all configured threads. Chunks are at least `minimumChunk` long so that tiny loops stay serial.
func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let workers = min(ComputeConfiguration.threads, max(1, count / max(1, minimumChunk)))
    if workers <= 1 {
        body(0..<count)
        return
    }
    let chunk = (count + workers - 1) / workers
    // concurrentPerform returns only when every worker has finished, and workers get disjoint
    // ranges, so handing the non-Sendable body to them is safe.
    withoutActuallyEscaping(body) { escapable in
        let work = UncheckedSendableBox(escapable)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = worker * chunk
            let end = min(count, start + chunk)
            if start < end { work.value(start..<end) }
        }
    }
}

/// Carries a value across a concurrency boundary whose safety the caller guarantees.
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
