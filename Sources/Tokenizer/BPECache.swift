import Foundation

/// The per-word BPE results, shared by all copies of a tokenizer and safe to use from concurrent
/// tasks.
///
/// Keys are UTF-8 bytes, not `String`s: Swift compares strings by canonical equivalence, which would
/// let "é" and "e\u{301}" share an entry although they encode differently. Like the reference's
/// cache, it keeps at most `capacity` words of fewer than `maximumWordLength` bytes and stops
/// inserting when full.
///
/// The lock is an `NSLock` because `Synchronization.Mutex` needs macOS 15 and the package supports
/// macOS 14; all state is behind it, hence `@unchecked Sendable`.
final class BPECache: @unchecked Sendable {
    static let defaultCapacity = 10_000
    static let maximumWordLength = 256

    private let lock = NSLock()
    private var entries: [[UInt8]: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int = BPECache.defaultCapacity) { self.capacity = capacity }

    func ids(for word: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func store(_ ids: [Int32], for word: [UInt8]) {
        guard word.count < Self.maximumWordLength else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = ids }
    }

    /// How many words are cached.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}
