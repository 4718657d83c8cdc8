import Foundation
import TensorModule

/// Reads the `config.json` of a VAE (AutoencoderKL or AutoencoderTiny): one place that turns a missing
/// file, malformed JSON or a wrong JSON type into a ``VAEError`` naming the file and the key.
enum ConfigurationFile {
    /// The file's bytes.
    ///
    /// - Throws: ``VAEError/configurationUnreadable(path:reason:)`` when it cannot be read.
    static func data(at url: URL) throws(VAEError) -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw .configurationUnreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Decodes (and, through the type's decoder, validates) a configuration.
    ///
    /// - Parameters:
    ///   - type: The configuration type.
    ///   - data: The JSON text.
    ///   - path: Where it came from, for error messages.
    /// - Throws: The decoder's own ``VAEError`` for bad values, otherwise
    ///   ``VAEError/configurationUnreadable(path:reason:)`` naming the key at fault.
    static func decode<Configuration: Decodable>(_ type: Configuration.Type, from data: Data,
                                                  path: String) throws(VAEError) -> Configuration {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as VAEError {
            throw error
        } catch {
            throw .configurationUnreadable(path: path, reason: JSONDecodingDiagnostics.misreportedNumber(error, in: data) ?? explain(error))
        }
    }

    /// A decoding error with the coding path spelled out (`'block_out_channels': …`).
    private static func explain(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
             .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
