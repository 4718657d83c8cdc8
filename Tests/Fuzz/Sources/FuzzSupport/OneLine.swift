import Foundation

/// Checks an invariant of a fuzz target: if it does not hold, prints the message (release builds
/// drop `precondition` messages) and traps, which libFuzzer records as a crash with its input.
///
/// - Parameters:
///   - condition: The invariant.
///   - message: What went wrong, for the crash report.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fail(message()) }
}

/// Checks the error-message contract of the SDK: a message is one non-empty line (the CLI prints
/// it as one), whatever the input held.
///
/// - Parameter error: An error thrown for fuzzed input.
public func requireOneLineMessage(_ error: any Error) {
    let message = String(describing: error)
    require(!message.isEmpty, "empty error message for \(type(of: error))")
    require(!message.contains(where: \.isNewline), "error message spans lines: \(message.debugDescription)")
}

/// Reports a broken invariant and traps (see ``require(_:_:)``).
///
/// - Parameter message: What went wrong, for the crash report.
public func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzz invariant failed: \(message)\n".utf8))
    abort()
}
