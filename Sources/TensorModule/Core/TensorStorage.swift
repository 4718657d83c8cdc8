/// An owned, 64-byte aligned block of `Float`s: the memory behind one or more `Tensor` values.
///
/// Large blocks come from, and go back to, ``BufferPool``, so that the same sizes allocated layer
/// after layer reuse memory that is already mapped.
///
/// Storage is written only while it is uniquely referenced (copy-on-write in `Tensor`), so sharing
/// it across threads after construction is safe; that is the invariant behind `@unchecked Sendable`.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    /// Bytes actually allocated (a reused buffer may be somewhat larger than `count` floats).
    private let allocatedBytes: Int

    /// Allocates `count` floats, uninitialised. Callers fill every element before publishing.
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        self.count = count
        let (raw, bytes) = BufferPool.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride)
        self.allocatedBytes = bytes
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        BufferPool.release(UnsafeMutableRawPointer(pointer), byteCount: allocatedBytes)
    }

    var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    func copy() -> TensorStorage {
        let other = TensorStorage(uninitializedCount: count)
        other.pointer.update(from: pointer, count: count)
        return other
    }
}
