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
        fill(tensor.storage.pointer)
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
