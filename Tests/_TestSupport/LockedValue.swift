import Foundation

/// A value shared between a test and the threads it starts, guarded by an `NSLock` (a pthread mutex,
/// which ThreadSanitizer understands; the standard library's `Mutex` is invisible to it on Linux).
public final class LockedValue<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
