import Foundation
import TensorModule

extension CLIPTextConfiguration {
    /// Reads and validates a transformers `config.json`.
    ///
    /// - Parameter url: The file (usually `text_encoder/config.json`).
    /// - Throws: ``TextEncoderError/unreadableConfiguration(path:reason:)`` when the file is missing, not JSON,
    ///   or has a value of the wrong type; ``TextEncoderError/invalidConfiguration(key:value:reason:path:)``
    ///   for an unsupported or out-of-range value, with the file's path.
    public init(contentsOf url: URL) throws(TextEncoderError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadableConfiguration(path: url.path, reason: error.localizedDescription)
        }
        try self.init(jsonData: data, path: url.path)
    }

    /// Decodes and validates a transformers `config.json` held in memory.
    ///
    /// - Parameters:
    ///   - jsonData: The JSON text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: ``TextEncoderError/unreadableConfiguration(path:reason:)`` when it is not JSON or has a
    ///   value of the wrong type; ``TextEncoderError/invalidConfiguration(key:value:reason:path:)`` for an
    ///   unsupported or out-of-range value, with `path`.
    public init(jsonData data: Data, path: String = "config.json") throws(TextEncoderError) {
        do {
            self = try JSONDecoder().decode(CLIPTextConfiguration.self, from: data)
        } catch let error as TextEncoderError {
            guard case .invalidConfiguration(let key, let value, let reason, _) = error else { throw error }
            throw .invalidConfiguration(key: key, value: value, reason: reason, path: path)
        } catch let error as DecodingError {
            throw .unreadableConfiguration(path: path, reason: JSONDecodingDiagnostics.misreportedNumber(error, in: data) ?? Self.explain(error))
        } catch {
            throw .unreadableConfiguration(path: path, reason: "\(error)")
        }
    }

    /// A short reason naming the JSON key, instead of `DecodingError`'s debug dump.
    static func explain(_ error: DecodingError) -> String {
        func key(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : "key '\(path.map(\.stringValue).joined(separator: "."))'"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(key(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(key(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let missing, let context):
            return "\(key(context.codingPath + [missing])) is missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(key(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
