import Foundation

/// Any JSON value, for config files whose entries may be strings or objects.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Reading the JSON and text files of a tokenizer folder, with errors that name the file.
enum TokenizerFiles {
    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The bytes of a file that must exist.
    static func read(_ path: String) throws -> Data {
        guard exists(path) else { throw TokenizerError.missingFile(path: path) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TokenizerError.unreadableFile(path: path, reason: error.localizedDescription)
        }
    }

    /// Decodes a JSON file that must exist.
    static func decode<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        let data = try read(path)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as TokenizerError {
            throw error
        } catch let error as DecodingError {
            throw describe(error, path: path, data: data)
        } catch {
            throw TokenizerError.malformedJSON(path: path, reason: String(describing: error))
        }
    }

    /// Decodes a JSON file that must exist and hold an object.
    static func decodeObject(from path: String) throws -> [String: JSONValue] {
        guard case .object(let object) = try decode(JSONValue.self, from: path) else {
            throw TokenizerError.malformedJSON(path: path, reason: "the top level must be an object")
        }
        return object
    }

    /// A coding path as `model.merges[12]`.
    static func render(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    private static func describe(_ error: DecodingError, path: String, data: Data) -> TokenizerError {
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .malformedJSON(path: path, reason: syntaxErrorDescription(data) ?? context.debugDescription)
            }
            return .invalidValue(path: path, key: render(context.codingPath), reason: context.debugDescription)
        case .typeMismatch(let type, let context):
            return .invalidValue(path: path, key: render(context.codingPath), reason: "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return .invalidValue(path: path, key: render(context.codingPath), reason: "expected \(typeName(type)), found null")
        case .keyNotFound(let key, let context):
            return .invalidValue(path: path, key: render(context.codingPath + [key]), reason: "missing")
        @unknown default:
            return .malformedJSON(path: path, reason: String(describing: error))
        }
    }

    /// Where JSON syntax goes wrong, as "line L, column C: …". `JSONDecoder` does not say on Linux,
    /// `JSONSerialization` gives a byte offset ("around character N").
    private static func syntaxErrorDescription(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            guard let range = message.range(of: "character "),
                  let offset = Int(message[range.upperBound...].prefix(while: \.isNumber)) else { return message }
            let prefix = data.prefix(offset)
            let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            let column = prefix.count - (prefix.lastIndex(of: UInt8(ascii: "\n")).map { $0 - prefix.startIndex + 1 } ?? 0) + 1
            return "line \(line), column \(column): \(message)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        default: return "\(type)"
        }
    }
}
