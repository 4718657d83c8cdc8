import Foundation

extension SafetensorsFile {
    /// Validates the bytes of a whole safetensors file held in memory, exactly as opening a file
    /// does, without reading any tensor: the header length fits the data, the header is a JSON object
    /// without duplicate names, every dtype is known, every shape × dtype size equals its byte range,
    /// and every range lies inside the data section without overlapping another.
    ///
    /// For tools that receive files over the network and for fuzzing; to read tensors, open the
    /// file with ``init(path:)``.
    ///
    /// - Parameters:
    ///   - bytes: The complete file contents (8-byte header length, JSON header, data section).
    ///   - source: Names the data in error messages (usually its path or URL).
    /// - Returns: The tensor entries by name, the `__metadata__` strings, and the byte offset of the
    ///   data section within `bytes` (entry ranges are relative to it).
    /// - Throws: ``TensorError/invalidSafetensors(path:tensor:reason:)`` naming the tensor at fault.
    public static func validateHeader(
        ofFileBytes bytes: UnsafeRawBufferPointer, source: String = "safetensors data"
    ) throws(TensorError) -> (entries: [String: SafetensorsEntry], metadata: [String: String], dataOffset: Int) {
        let parsed = try parseHeader(bytes, path: source)
        return (parsed.entries, parsed.metadata, parsed.dataStart)
    }

    /// Validates the bytes of a whole safetensors file held in memory; see
    /// ``validateHeader(ofFileBytes:source:)``.
    ///
    /// - Parameters:
    ///   - data: The complete file contents.
    ///   - source: Names the data in error messages.
    /// - Returns: The entries, the metadata and the data section's offset.
    /// - Throws: ``TensorError/invalidSafetensors(path:tensor:reason:)``.
    public static func validateHeader(
        of data: Data, source: String = "safetensors data"
    ) throws(TensorError) -> (entries: [String: SafetensorsEntry], metadata: [String: String], dataOffset: Int) {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(TensorError) in try validateHeader(ofFileBytes: bytes, source: source) }
        }
        return try result.get()
    }
}
