/// An owned, 64-byte aligned block of `Float`s: the memory behind one or more `Tensor` values.
///
/// Storage is written only while it is uniquely referenced (copy-on-write in `Tensor`), so sharing
/// it across threads after construction is safe; that is the invariant behind `@unchecked Sendable`.
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// Allocates `count` floats, uninitialised. Callers fill every element before publishing.
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
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
