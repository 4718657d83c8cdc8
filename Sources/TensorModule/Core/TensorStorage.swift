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
    /// Bytes actually allocated (a reused buffer may be somewhat larger than `count` floats); 0 for
    /// borrowed memory.
    private let allocatedBytes: Int
    /// The storage whose memory this one borrows, kept alive as long as this one is.
    private let owner: TensorStorage?

    /// Allocates `count` floats, uninitialised. Callers fill every element before publishing.
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        self.count = count
        let (raw, bytes) = BufferPool.shared.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride)
        self.allocatedBytes = bytes
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.owner = nil
    }

    /// The first `count` elements of `owner`'s memory, as a storage of exactly that size (a tensor's
    /// storage must be its size). The memory stays `owner`'s: it is not freed when this one dies.
    init(borrowingPrefixOf owner: TensorStorage, count: Int) {
        precondition(count >= 0 && count <= owner.count, "borrowed \(count) of \(owner.count) elements")
        self.count = count
        self.pointer = owner.pointer
        self.allocatedBytes = 0
        self.owner = owner
    }

    deinit {
        if owner == nil {
            BufferPool.shared.release(UnsafeMutableRawPointer(pointer), byteCount: allocatedBytes)
        }
    }

    /// Whether the memory is this storage's own (not borrowed from another's).
    var ownsMemory: Bool { owner == nil }

    var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    func copy() -> TensorStorage {
        let other = TensorStorage(uninitializedCount: count)
        other.pointer.update(from: pointer, count: count)
        return other
    }
}
