import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// One inpainting run recorded from diffusers' `StableDiffusionInpaintPipeline` by
/// `Tests/Fixtures/generators/inpainting.py` (an entry of `inpainting/cases.json`).
struct InpaintingCase: Codable, Sendable, CustomStringConvertible {
    var name: String
    /// `sd15-inpaint-tiny` (9-channel UNet), `sd15-tiny` (ordinary UNet: legacy blend) or
    /// `singlefile-sd15-inpaint-tiny` (the 9-channel model as one LDM-layout file).
    var model: String
    /// A CLI scheduler name, or nil for the model's own (PNDM).
    var scheduler: String?
    var initImage: String
    var maskImage: String
    var strength: Double
    var guidance: Float
    /// nil when the reference passed no negative prompt.
    var negativePrompt: String?
    var images: Int
    /// The reference images under `inpainting/` (empty where only latents were kept).
    var imageFiles: [String]
    var width: Int
    var height: Int
    var seed: UInt64
    var singleFile: Bool

    var description: String { name }

    enum CodingKeys: String, CodingKey {
        case name, model, scheduler, strength, guidance, images, width, height, seed
        case initImage = "init_image", maskImage = "mask_image", negativePrompt = "negative_prompt"
        case imageFiles = "image_files", singleFile = "single_file"
    }
}

/// `inpainting/cases.json`.
struct InpaintingManifest: Codable, Sendable {
    var prompt: String
    var steps: Int
    var cases: [InpaintingCase]
}

/// The manifest and the pipelines, each loaded once per test process.
enum InpaintingFixtures {
    static let manifest: Result<InpaintingManifest, any Error> = Result {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("inpainting/cases.json")))
        return try JSONDecoder().decode(InpaintingManifest.self, from: data)
    }

    /// The cases, for parameterized tests (empty if the manifest is unreadable, which
    /// `InpaintingParityTests.manifestCoversTheMatrix` reports).
    static var cases: [InpaintingCase] { (try? manifest.get())?.cases ?? [] }

    static let inpaintingFolder = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("inpainting/sd15-inpaint-tiny"))
    }
    static let ordinaryFolder = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"))
    }
    static let singleFile = Result { () throws in
        try StableDiffusionPipeline(contentsOf: singleFilePath.get(),
                                    options: LoadOptions(configFolder: Fixtures.path("inpainting/sd15-inpaint-tiny")))
    }

    /// The single-file inpainting checkpoint, assembled as the generator assembles it: every tensor of
    /// `pipeline/sd15-tiny.safetensors` outside `model.diffusion_model.`, plus the 9-channel UNet of
    /// `inpainting/sd15-inpaint-tiny-unet.ldm.safetensors`, bytes copied unchanged.
    static let singleFilePath = Result { () throws -> String in
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sd-inpainting-fixture-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("singlefile-sd15-inpaint-tiny.safetensors").path
        try SafetensorsMerge.write(
            [(Fixtures.path("pipeline/sd15-tiny.safetensors"), { !$0.hasPrefix("model.diffusion_model.") }),
             (Fixtures.path("inpainting/sd15-inpaint-tiny-unet.ldm.safetensors"), { _ in true })],
            to: path)
        return path
    }

    struct UnknownModel: Error { var name: String }

    /// The pipeline a case was recorded with.
    static func pipeline(for run: InpaintingCase) throws -> StableDiffusionPipeline {
        switch run.model {
        case "sd15-inpaint-tiny": return try inpaintingFolder.get()
        case "sd15-tiny": return try ordinaryFolder.get()
        case "singlefile-sd15-inpaint-tiny": return try singleFile.get()
        default: throw UnknownModel(name: run.model)
        }
    }
}

/// Copies tensors of several safetensors files, raw, into one file (header rebuilt, data unchanged).
enum SafetensorsMerge {
    struct Malformed: Error { var path: String }

    static func write(_ sources: [(path: String, keep: (String) -> Bool)], to path: String) throws {
        var entries: [(name: String, dtype: String, shape: [Int], bytes: Data)] = []
        for source in sources {
            let data = try Data(contentsOf: URL(fileURLWithPath: source.path))
            let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            guard let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] else {
                throw Malformed(path: source.path)
            }
            for (name, value) in header where name != "__metadata__" && source.keep(name) {
                guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                      let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                    throw Malformed(path: source.path)
                }
                let start = 8 + headerLength + offsets[0], end = 8 + headerLength + offsets[1]
                entries.append((name, dtype, shape, data.subdata(in: start..<end)))
            }
        }
        entries.sort { $0.name < $1.name }
        var offset = 0
        var fields: [String] = []
        for entry in entries {
            fields.append("\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],"
                          + "\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
            offset += entry.bytes.count
        }
        var header = "{" + fields.joined(separator: ",") + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var out = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        for entry in entries { out.append(entry.bytes) }
        try out.write(to: URL(fileURLWithPath: path))
    }
}
