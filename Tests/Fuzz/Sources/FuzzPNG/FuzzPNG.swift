import Foundation
import FuzzSupport
import Pipeline

/// Fuzzes the PNG reader (libpng behind the SDK's setjmp-safe shim): any bytes are either refused
/// with ``PipelineError/invalidPNG(path:reason:)`` and a one-line message, or decode to an image
/// whose pixel count matches its size, which then encodes and decodes back to itself with its
/// `parameters` text.
@_cdecl("FuzzPNG_main")
func fuzzMain(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    FuzzDriver.run(argc: argc, argv: argv) { bytes in
        let decoded: (image: RGBImage, parameters: String?)
        do {
            decoded = try RGBImage.decodePNG(Data(bytes), source: "fuzz.png")
        } catch {
            guard case .invalidPNG? = error as? PipelineError else { fail("unexpected error \(error)") }
            requireOneLineMessage(error)
            return
        }
        let image = decoded.image
        require(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
                "decoded \(image.width)×\(image.height) with \(image.pixels.count) bytes")
        // Re-encoding is only cheap for small images; large ones were still fully decoded above.
        guard image.width * image.height <= 1 << 16 else { return }
        let text = decoded.parameters.map { [(key: "parameters", value: $0)] } ?? []
        guard let encoded = try? image.pngData(text: text) else { fail("a decoded image does not encode") }
        guard let again = try? RGBImage.decodePNG(encoded) else { fail("an encoded image does not decode") }
        require(again.image == image, "PNG round trip changed the pixels")
        // The parameters chunk survives unless it held a NUL (C strings end there).
        if let parameters = decoded.parameters, !parameters.contains("\0") {
            require(again.parameters == parameters, "PNG round trip changed the parameters text")
        }
    }
}
