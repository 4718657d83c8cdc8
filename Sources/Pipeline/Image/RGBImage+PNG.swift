import _CPNG
import Foundation
import TensorModule

extension RGBImage {
    /// Largest side accepted when reading a PNG (a guard against decompression bombs).
    public static let maximumPNGSide = 16384

    /// Decodes PNG data (any color type and bit depth; alpha is dropped) with libpng.
    ///
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - source: Names the data in error messages (usually the path).
    /// - Returns: The image and its `parameters` text chunk, if any.
    /// - Throws: ``PipelineError/invalidPNG(path:reason:)``.
    public static func decodePNG(_ data: Data, source: String = "PNG data") throws(PipelineError) -> (image: RGBImage, parameters: String?) {
        var decoded = sd_png_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBytes { bytes in
            sd_png_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                          UInt32(maximumPNGSide), &decoded, &message, message.count)
        }
        guard status == 0 else {
            throw .invalidPNG(path: source, reason: message.nulTerminatedString)
        }
        defer { sd_png_free_image(&decoded) }
        let count = Int(decoded.width) * Int(decoded.height) * 3
        let pixels = Array(UnsafeBufferPointer(start: decoded.pixels, count: count))
        let parameters = decoded.parameters.map { String(cString: $0) }
        return (RGBImage(width: Int(decoded.width), height: Int(decoded.height), pixels: pixels), parameters)
    }

    /// Reads a PNG file.
    ///
    /// - Throws: ``PipelineError/fileNotFound(path:what:)`` or ``PipelineError/invalidPNG(path:reason:)``.
    public init(pngFile path: String) throws(PipelineError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .fileNotFound(path: path, what: "PNG image")
        }
        self = try RGBImage.decodePNG(data, source: path).image
    }

    /// Encodes the image as PNG with libpng, with optional text chunks (for example A1111's
    /// `parameters`).
    ///
    /// - Throws: ``PipelineError/invalidPNG(path:reason:)`` if libpng fails.
    public func pngData(text: [(key: String, value: String)] = []) throws(PipelineError) -> Data {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let keys = text.map { strdup($0.key) }
        let values = text.map { strdup($0.value) }
        defer { keys.forEach { free($0) }; values.forEach { free($0) } }
        let status = pixels.withUnsafeBufferPointer { rgb in
            keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { keyPointers in
                values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                    sd_png_encode(rgb.baseAddress, UInt32(width), UInt32(height),
                                  keyPointers.baseAddress, valuePointers.baseAddress, Int32(text.count),
                                  &output, &size, &message, message.count)
                }
            }
        }
        guard status == 0, let output else { throw .invalidPNG(path: "(encoding)", reason: message.nulTerminatedString) }
        defer { sd_png_free_buffer(output) }
        return Data(bytes: output, count: size)
    }

    /// Writes the image as a PNG file atomically (temporary file, then rename), so no partial file
    /// is ever left at `path`.
    ///
    /// - Throws: ``PipelineError/invalidPNG(path:reason:)`` or ``PipelineError/fileUnwritable(path:reason:)``.
    public func writePNG(to path: String, text: [(key: String, value: String)] = []) throws(PipelineError) {
        let data = try pngData(text: text)
        do { try AtomicFile.write(data, to: path) } catch {
            guard case .fileUnwritable(_, let reason) = error else { throw .tensor(error) }
            throw .fileUnwritable(path: path, reason: reason)
        }
    }
}

private extension [CChar] {
    /// The UTF-8 text before the first NUL: the C helpers write their error message into a
    /// fixed-size buffer.
    var nulTerminatedString: String {
        String(decoding: prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
