import Foundation
import Testing
@testable import Pipeline

@Suite("PNG reading and writing (libpng)")
struct PNGTests {
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 255 / max(width - 1, 1)), UInt8(y * 255 / max(height - 1, 1)), UInt8((x + y) % 256)] }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test("Encode → decode is lossless and keeps the parameters chunk, including non-Latin-1 text")
    func roundTrip() throws {
        let image = Self.gradient(width: 37, height: 19)
        let text = "a cat, ünïcødé 猫\nSteps: 20, Sampler: Euler a"
        let data = try image.pngData(text: [("parameters", text)])
        let (decoded, parameters) = try RGBImage.decodePNG(data)
        #expect(decoded == image)
        #expect(parameters == text)
    }

    @Test("Atomic write leaves only the final file")
    func atomicWrite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.png").path
        try Self.gradient(width: 8, height: 8).writePNG(to: path)
        try Self.gradient(width: 16, height: 8).writePNG(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.png"])
        #expect(try RGBImage(pngFile: path).width == 16)
    }

    @Test("Not a PNG, truncated PNG and a missing file are typed errors")
    func badInput() throws {
        #expect(throws: PipelineError.self) { try RGBImage.decodePNG(Data("hello, not a png".utf8)) }
        let data = try Self.gradient(width: 32, height: 32).pngData()
        for cut in [8, 20, 40, data.count / 2, data.count - 13] {
            let error = #expect(throws: PipelineError.self) { try RGBImage.decodePNG(data.prefix(cut), source: "cut.png") }
            if case .invalidPNG(let path, _)? = error { #expect(path == "cut.png") } else { Issue.record("unexpected \(String(describing: error))") }
        }
        #expect(throws: PipelineError.fileNotFound(path: "/nonexistent/x.png", what: "PNG image")) {
            try RGBImage(pngFile: "/nonexistent/x.png")
        }
    }

    @Test("Decoder output maps to pixels as diffusers' postprocess: clamp, ×255, round half to even")
    func postprocess() throws {
        // (x/2+0.5)·255 for x = -2, -1, 0, 1, 2 and values landing on .5 boundaries.
        let values: [Float] = [-2, -1, 0, 1, 2, 1.0 / 255, -1 + 1.0 / 255]
        let tensor = Tensor(shape: [1, 3, 1, values.count], scalars: values + values + values)
        let image = try RGBImage(decoderOutput: tensor)
        let reds = stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] }
        let expected = values.map { v -> UInt8 in UInt8((min(max(v / 2 + 0.5, 0), 1) * 255).rounded(.toNearestOrEven)) }
        #expect(reds == expected)
        #expect(reds[0] == 0 && reds[1] == 0 && reds[2] == 128 && reds[3] == 255 && reds[4] == 255)
        #expect(throws: PipelineError.invalidImageTensor(shape: [1, 4, 2, 2])) { try RGBImage(decoderOutput: .zeros([1, 4, 2, 2])) }
    }
}
