import Synchronization

/// Keeps the memory of large tensors that were freed, to hand it out again for the next tensor of a
/// similar size instead of asking the system for fresh pages.
///
/// A diffusion model allocates and frees the same activation and scratch sizes layer after layer and
/// step after step. Fresh memory from the system costs a page fault and a zeroing per page when
/// first written (a UNet step at 512² touches several GB that way) and an unmap, with its
/// cross-core TLB flush, when freed. Buffers of at least ``minimumBytes`` are therefore kept here
/// when their tensor dies, up to ``capacityBytes`` in total (the oldest are returned to the system
/// first; `ComputeMemory.cacheLimitBytes` sets it). A request takes the smallest kept buffer that holds it without wasting more than a
/// quarter of it (``maximumSlack``).
///
/// Reuse never changes results: every operation writes all elements of the tensors it creates
/// before anything reads them.
final class BufferPool: Sendable {
    /// The pool every tensor allocates from.
    static let shared = BufferPool()

    /// Smaller buffers come from `malloc`, which recycles them well by itself.
    static let minimumBytes = 1 << 18
    /// Free memory kept for reuse, at most, unless set (see ``capacityBytes``).
    static let defaultCapacityBytes = 512 << 20
    private let capacitySetting: Atomic<Int>

    /// A pool keeping at most `capacityBytes` of free memory (tests make their own).
    init(capacityBytes: Int = BufferPool.defaultCapacityBytes) {
        capacitySetting = Atomic(capacityBytes)
    }

    deinit { drain() }

    /// Free memory kept for reuse, at most. Lowering it returns the excess at once.
    var capacityBytes: Int {
        get { capacitySetting.load(ordering: .relaxed) }
        set {
            capacitySetting.store(Swift.max(0, newValue), ordering: .relaxed)
            trim()
        }
    }
    /// Open ``withoutGrowing(_:)`` scopes.
    private let nonGrowingScopes = Atomic<Int>(0)

    /// Runs `body` with the pool never making the process larger than its live tensors need: a request
    /// that no kept buffer serves first returns kept buffers (oldest first) of at least its size to
    /// the system, then allocates. Buffers still go back to the pool and serve later requests of
    /// their size, so reuse continues; what the pool keeps can no longer pile up beside the live
    /// tensors and raise the peak. For a phase of few, large tensors of varied sizes (a VAE decode).
    /// Scopes nest and may overlap between threads; the rule applies to all allocations while one is
    /// open.
    func withoutGrowing<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        nonGrowingScopes.add(1, ordering: .relaxed)
        defer { nonGrowingScopes.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// A kept buffer serves a request if the request fills at least this fraction of it.
    static let maximumSlack = 0.75

    /// A kept buffer; the pool owns it exclusively until it hands it out again.
    private struct Entry: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        let byteCount: Int
        let sequence: Int
    }

    private struct State {
        /// Kept buffers by size, each list in release order.
        var free: [Int: [Entry]] = [:]
        var retainedBytes = 0
        var sequence = 0
        /// Bytes obtained from the system (diagnostics).
        var allocatedBytes = 0
    }

    private let state = Locked(State())

    /// Bytes currently kept for reuse.
    var retainedBytes: Int { state.withLock { $0.retainedBytes } }

    /// Bytes obtained from the system since the process started (kept or not).
    var systemBytes: Int { state.withLock { $0.allocatedBytes } }

    /// Memory for at least `byteCount` bytes, 64-byte aligned, and its actual size: a kept buffer if
    /// one fits, else a new allocation. Give it back with ``release(_:byteCount:)`` and that size.
    func allocate(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= BufferPool.minimumBytes else {
            return (UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64), byteCount)
        }
        let size = (byteCount + 4095) & ~4095
        let largest = Int(Double(size) / BufferPool.maximumSlack)
        let nonGrowing = nonGrowingScopes.load(ordering: .relaxed) > 0
        let (reused, evicted) = state.withLock { state -> (Entry?, [Entry]) in
            guard let fit = state.free.keys.filter({ $0 >= size && $0 <= largest }).min(),
                  let entry = state.free[fit]?.popLast() else {
                state.allocatedBytes += size
                return (nil, nonGrowing ? evictOldest(from: &state, above: Swift.max(0, state.retainedBytes - size)) : [])
            }
            if state.free[fit]?.isEmpty == true { state.free[fit] = nil }
            state.retainedBytes -= fit
            return (entry, [])
        }
        if let reused { return (reused.pointer, reused.byteCount) }
        // Freed before allocating, outside the lock, so that the two never coexist.
        for entry in evicted { entry.pointer.deallocate() }
        return (systemAllocate(size), size)
    }

    /// Returns memory from ``allocate(byteCount:)``, with the size it reported: kept for reuse when
    /// large, else freed.
    func release(_ pointer: UnsafeMutableRawPointer, byteCount size: Int) {
        let capacity = capacityBytes
        guard size >= BufferPool.minimumBytes, size <= capacity else {
            pointer.deallocate()
            return
        }
        let evicted = state.withLock { state -> [Entry] in
            state.sequence += 1
            state.free[size, default: []].append(Entry(pointer: pointer, byteCount: size, sequence: state.sequence))
            state.retainedBytes += size
            return evictOldest(from: &state, above: capacity)
        }
        // Freed outside the lock: unmapping can take a while.
        for entry in evicted { entry.pointer.deallocate() }
    }

    /// Returns the oldest kept buffers to the system until at most ``capacityBytes`` are kept.
    func trim() {
        let capacity = capacityBytes
        let evicted = state.withLock { evictOldest(from: &$0, above: capacity) }
        for entry in evicted { entry.pointer.deallocate() }
    }

    private func evictOldest(from state: inout State, above capacity: Int) -> [Entry] {
        var evicted: [Entry] = []
        while state.retainedBytes > capacity, let oldest = oldestEntry(in: state) {
            state.free[oldest.byteCount]?.removeFirst()
            if state.free[oldest.byteCount]?.isEmpty == true { state.free[oldest.byteCount] = nil }
            state.retainedBytes -= oldest.byteCount
            evicted.append(oldest)
        }
        return evicted
    }

    /// Returns every kept buffer to the system.
    func drain() {
        let all = state.withLock { state -> [Entry] in
            let entries = state.free.values.flatMap { $0 }
            state.free = [:]
            state.retainedBytes = 0
            return entries
        }
        for entry in all { entry.pointer.deallocate() }
    }

    /// Each size's list is in release order, so the oldest entry is the first of some list.
    private func oldestEntry(in state: State) -> Entry? {
        state.free.values.compactMap(\.first).min { $0.sequence < $1.sequence }
    }

    // Deliberately no MADV_HUGEPAGE: with the common `defrag=madvise` setting, faulting in advised
    // memory compacts synchronously, measured at 5.9 s per GB on a fragmented host (0.8 s without).
    private func systemAllocate(_ size: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }
}
