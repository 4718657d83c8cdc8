import Foundation

/// Explains decoding failures that Foundation's `JSONDecoder` reports without saying what is wrong.
///
/// On Linux (swift-foundation 6.3), decoding a fractional or out-of-range number (`2.5`, `1e30`)
/// as an integer throws `DataCorrupted` with an empty coding path and "The given data was not valid
/// JSON.", although the JSON is valid. The SDK's configuration decoders use this to give a message
/// that says what is actually wrong. Package access: not API.
package enum JSONDecodingDiagnostics {
    /// A reason for `error` when it is Foundation's misleading "not valid JSON" on data that is valid
    /// JSON; nil for every other error (which the caller explains itself).
    ///
    /// - Parameters:
    ///   - error: What the decoder threw.
    ///   - data: The JSON text that was decoded.
    /// - Returns: The reason, or nil.
    package static func misreportedNumber(_ error: any Error, in data: Data) -> String? {
        guard case DecodingError.dataCorrupted(let context)? = error as? DecodingError, context.codingPath.isEmpty,
              (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else { return nil }
        return "a number that is fractional or out of range where an integer is expected (the decoder does not say which key)"
    }
}
