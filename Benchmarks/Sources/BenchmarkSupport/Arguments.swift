/// `--name value` command-line options, checked against the names a benchmark accepts.
public struct Arguments {
    private var values: [String: String] = [:]

    /// Parses `arguments` (without the program name).
    ///
    /// - Throws: ``UsageError`` for an option not in `accepted` or one without a value.
    public init(_ arguments: [String], accepted: [String]) throws {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard accepted.contains(name) else {
                throw UsageError("unknown option \(name); accepted: \(accepted.joined(separator: " "))")
            }
            guard let value = iterator.next() else { throw UsageError("\(name) needs a value") }
            values[name] = value
        }
    }

    /// The option's text, or `defaultValue`.
    public func string(_ name: String, default defaultValue: String) -> String { values[name] ?? defaultValue }

    /// The option's text, or nil when not given.
    public func optionalString(_ name: String) -> String? { values[name] }

    /// The option as an integer ≥ `minimum`, or `defaultValue`.
    ///
    /// - Throws: ``UsageError`` for a value that is not such an integer.
    public func integer(_ name: String, default defaultValue: Int, minimum: Int = 1) throws -> Int {
        try optionalInteger(name, minimum: minimum) ?? defaultValue
    }

    /// The option as an integer ≥ `minimum`, or nil when not given.
    ///
    /// - Throws: ``UsageError`` for a value that is not such an integer.
    public func optionalInteger(_ name: String, minimum: Int = 1) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let number = Int(text), number >= minimum else { throw UsageError("\(name) must be an integer ≥ \(minimum)") }
        return number
    }

    /// The option as one of `choices`, or `defaultValue`.
    ///
    /// - Throws: ``UsageError`` for another value.
    public func choice(_ name: String, _ choices: [String], default defaultValue: String) throws -> String {
        let value = values[name] ?? defaultValue
        guard choices.contains(value) else { throw UsageError("\(name) must be one of \(choices.joined(separator: ", "))") }
        return value
    }
}

/// A command-line mistake, printed as it is.
public struct UsageError: Error, CustomStringConvertible {
    /// What was wrong.
    public let description: String

    /// A message.
    public init(_ description: String) { self.description = description }
}
