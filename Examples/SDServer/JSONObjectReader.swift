/// Reads typed fields from a JSON object, answering a field of the wrong type or range with a 422
/// that names the field (as FastAPI's validation errors do for A1111).
struct JSONObjectReader {
    let fields: [String: JSONValue]
    /// Names the object in messages ("override_settings.").
    let prefix: String

    init(_ value: JSONValue, prefix: String = "") throws(APIError) {
        guard case .object(let fields) = value else {
            throw .unprocessable(prefix.isEmpty ? "the request body must be a JSON object"
                                                : "\(prefix.dropLast()) must be a JSON object")
        }
        self.fields = fields
        self.prefix = prefix
    }

    /// Whether the field is absent or null (A1111 treats both as "not given").
    func isAbsent(_ key: String) -> Bool {
        if case .null = fields[key] ?? .null { return true }
        return false
    }

    func string(_ key: String) throws(APIError) -> String? {
        switch fields[key] ?? .null {
        case .null: return nil
        case .string(let value): return value
        default: throw wrongType(key, "a string")
        }
    }

    func integer(_ key: String) throws(APIError) -> Int? {
        switch fields[key] ?? .null {
        case .null: return nil
        case .integer(let value):
            guard let result = Int(exactly: value) else { throw wrongType(key, "an integer") }
            return result
        // 20.0 is an integer to pydantic too; 20.5 is not.
        case .number(let value) where value == value.rounded() && abs(value) < 9e15: return Int(value)
        default: throw wrongType(key, "an integer")
        }
    }

    func number(_ key: String) throws(APIError) -> Double? {
        switch fields[key] ?? .null {
        case .null: return nil
        case .integer(let value): return Double(value)
        case .number(let value) where value.isFinite: return value
        default: throw wrongType(key, "a number")
        }
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        switch fields[key] ?? .null {
        case .null: return nil
        case .bool(let value): return value
        default: throw wrongType(key, "true or false")
        }
    }

    func strings(_ key: String) throws(APIError) -> [String]? {
        switch fields[key] ?? .null {
        case .null: return nil
        case .array(let values):
            var result: [String] = []
            for (index, value) in values.enumerated() {
                guard case .string(let string) = value else { throw wrongType("\(key)[\(index)]", "a string") }
                result.append(string)
            }
            return result
        default: throw wrongType(key, "a list of strings")
        }
    }

    func object(_ key: String) throws(APIError) -> JSONObjectReader? {
        if isAbsent(key) { return nil }
        return try JSONObjectReader(fields[key] ?? .null, prefix: "\(prefix)\(key).")
    }

    /// An integer within `range`, or `defaultValue` when absent.
    func integer(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        let value = try integer(key) ?? defaultValue
        guard range.contains(value) else {
            throw .unprocessable("\(prefix)\(key) is \(value); expected \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    private func wrongType(_ key: String, _ expected: String) -> APIError {
        .unprocessable("\(prefix)\(key) must be \(expected)")
    }
}
