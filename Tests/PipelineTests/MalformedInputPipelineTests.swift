import Foundation
import Testing
@testable import Pipeline
import _TestSupport

/// A copy of the tiny SD 1.x model folder with one thing broken, loaded the way an app loads a
/// download (`StableDiffusionPipeline(contentsOf:)`): each case fails with the specific
/// ``PipelineError`` naming the file, key or tensor. Also bad images and parameters for a loaded
/// pipeline, and single files that are not checkpoints.
@Suite("Malformed input: model folders, checkpoints, images and parameters")
struct MalformedInputPipelineTests {
    /// The fixture model in a temporary folder, its files linked rather than copied; a file is
    /// replaced (never written through its link) when a case edits it.
    final class ScratchModel {
        static let source = URL(fileURLWithPath: Fixtures.path("pipeline/sd15-tiny"))
        let folder: URL

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("malformed-model-\(UUID().uuidString)")
            let manager = FileManager.default
            for relative in try manager.subpathsOfDirectory(atPath: Self.source.path) {
                var isDirectory: ObjCBool = false
                let original = Self.source.appendingPathComponent(relative)
                _ = manager.fileExists(atPath: original.path, isDirectory: &isDirectory)
                let copy = folder.appendingPathComponent(relative)
                if isDirectory.boolValue {
                    try manager.createDirectory(at: copy, withIntermediateDirectories: true)
                } else {
                    try manager.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try manager.createSymbolicLink(at: copy, withDestinationURL: original.resolvingSymlinksInPath())
                }
            }
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

        func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: path(relative)) }

        func write(_ relative: String, _ data: Data) throws {
            try? remove(relative)
            try data.write(to: URL(fileURLWithPath: path(relative)))
        }

        /// Replaces a JSON file with an edited copy of the original.
        func editJSON(_ relative: String, _ edit: (inout [String: Any]) -> Void) throws {
            let original = try Data(contentsOf: Self.source.appendingPathComponent(relative))
            var object = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            edit(&object)
            try write(relative, try JSONSerialization.data(withJSONObject: object))
        }

        /// Replaces a weights file with an edited copy of the original's tensors.
        func editWeights(_ relative: String, _ edit: (inout [String: Tensor]) -> Void) throws {
            let file = try SafetensorsFile(path: Self.source.appendingPathComponent(relative).path)
            var tensors: [String: Tensor] = [:]
            for name in file.tensorNames { tensors[name] = try file.tensor(named: name) }
            edit(&tensors)
            try? remove(relative)
            try SafetensorsWriter.write(tensors, to: path(relative))
        }
    }

    static let unetWeights = "unet/diffusion_pytorch_model.safetensors"
    static let vaeWeights = "vae/diffusion_pytorch_model.safetensors"
    static let textWeights = "text_encoder/model.safetensors"

    /// One broken thing each, and the error that must report it.
    enum Breakage: String, CaseIterable, Sendable {
        case noModelIndex, modelIndexNotJSON, modelIndexOtherPipeline, noVAEFolder
        case noUNetWeights, noVAEWeights, noTextEncoderWeights, truncatedUNetWeights
        case noMerges, vocabularyNotJSON, mergeLineMalformed, tokenizerLengthOutOfRange
        case noSchedulerConfig, schedulerUnknownClass, schedulerConfigNotJSON
        case unetConfigMissingKey, unetConfigWrongType, unetConfigUnknownBlock, unetConfigNotJSON
        case vaeConfigUnknownBlock, vaeConfigMissingKey, textEncoderConfigWrongType, textEncoderConfigBadActivation
        case unetWeightMissing, unetWeightExtra, unetWeightWrongShape
        case vaeWeightMissing, vaeWeightWrongShape, textEncoderWeightExtra, textEncoderWeightMissing
        case crossAttentionWidthMismatch

        func apply(to model: ScratchModel) throws {
            switch self {
            case .noModelIndex: try model.remove("model_index.json")
            case .modelIndexNotJSON: try model.write("model_index.json", Data("{\"_class_name\": ".utf8))
            case .modelIndexOtherPipeline: try model.editJSON("model_index.json") { $0["_class_name"] = "StableDiffusion3Pipeline" }
            case .noVAEFolder: try model.remove("vae")
            case .noUNetWeights: try model.remove(unetWeights)
            case .noVAEWeights: try model.remove(vaeWeights)
            case .noTextEncoderWeights: try model.remove(textWeights)
            case .truncatedUNetWeights:
                let whole = try Data(contentsOf: URL(fileURLWithPath: model.path(unetWeights)))
                try model.write(unetWeights, whole.prefix(whole.count - 1000))
            case .noMerges: try model.remove("tokenizer/merges.txt")
            case .vocabularyNotJSON: try model.write("tokenizer/vocab.json", Data("{\"a\": 0,".utf8))
            case .mergeLineMalformed: try model.write("tokenizer/merges.txt", Data("#version: 0.2\ni n\nt h e\n".utf8))
            case .tokenizerLengthOutOfRange: try model.editJSON("tokenizer/tokenizer_config.json") { $0["model_max_length"] = 2 }
            case .noSchedulerConfig: try model.remove("scheduler/scheduler_config.json")
            case .schedulerUnknownClass: try model.editJSON("scheduler/scheduler_config.json") { $0["_class_name"] = "KDPM2DiscreteScheduler" }
            case .schedulerConfigNotJSON: try model.write("scheduler/scheduler_config.json", Data("beta_start = 0.00085".utf8))
            case .unetConfigMissingKey: try model.editJSON("unet/config.json") { $0.removeValue(forKey: "block_out_channels") }
            case .unetConfigWrongType: try model.editJSON("unet/config.json") { $0["in_channels"] = "4" }
            case .unetConfigUnknownBlock:
                try model.editJSON("unet/config.json") { $0["down_block_types"] = ["CrossAttnDownBlock2D", "SkipDownBlock2D"] }
            case .unetConfigNotJSON: try model.write("unet/config.json", Data())
            case .vaeConfigUnknownBlock: try model.editJSON("vae/config.json") { $0["up_block_types"] = Array(repeating: "AttnUpDecoderBlock2D", count: 4) }
            case .vaeConfigMissingKey: try model.editJSON("vae/config.json") { $0.removeValue(forKey: "norm_num_groups") }
            case .textEncoderConfigWrongType: try model.editJSON("text_encoder/config.json") { $0["num_hidden_layers"] = "3" }
            case .textEncoderConfigBadActivation: try model.editJSON("text_encoder/config.json") { $0["hidden_act"] = "relu" }
            case .unetWeightMissing: try model.editWeights(unetWeights) { $0.removeValue(forKey: "conv_in.weight") }
            case .unetWeightExtra: try model.editWeights(unetWeights) { $0["conv_in.extra"] = Tensor(shape: [1], scalars: [0]) }
            case .unetWeightWrongShape: try model.editWeights(unetWeights) { $0["conv_in.bias"] = .zeros([17]) }
            case .vaeWeightMissing: try model.editWeights(vaeWeights) { $0.removeValue(forKey: "decoder.conv_out.bias") }
            case .vaeWeightWrongShape: try model.editWeights(vaeWeights) { $0["encoder.conv_in.weight"] = .zeros([8, 3, 1, 1]) }
            case .textEncoderWeightExtra:
                try model.editWeights(textWeights) { $0["text_model.encoder.layers.9.mlp.fc1.bias"] = .zeros([64]) }
            case .textEncoderWeightMissing:
                try model.editWeights(textWeights) { $0.removeValue(forKey: "text_model.final_layer_norm.weight") }
            case .crossAttentionWidthMismatch:
                // A consistent UNet of another width: its config says 48 and so do the weights it reads.
                try model.editJSON("unet/config.json") { $0["cross_attention_dim"] = 48 }
                try model.editWeights(unetWeights) { tensors in
                    for (name, tensor) in tensors where name.hasSuffix("attn2.to_k.weight") || name.hasSuffix("attn2.to_v.weight") {
                        tensors[name] = .zeros([tensor.shape[0], 48])
                    }
                }
            }
        }

        /// Whether `error` is the specific error this breakage must cause.
        func matches(_ error: PipelineError, model: ScratchModel) -> Bool {
            switch (self, error) {
            case (.noModelIndex, .fileNotFound(let path, _)): return path == model.path("model_index.json")
            case (.modelIndexNotJSON, .invalidModel(let path, _)): return path == model.path("model_index.json")
            case (.modelIndexOtherPipeline, .invalidModel(let path, let reason)):
                return path == model.path("model_index.json") && reason.contains("StableDiffusion3Pipeline")
            case (.noVAEFolder, .fileNotFound(let path, let what)): return path == model.path("vae") && what.contains("vae/")
            case (.noUNetWeights, .unet(.weightsNotFound(let folder, let candidates))):
                return folder.hasSuffix("unet") && candidates.contains("diffusion_pytorch_model.safetensors")
            case (.noVAEWeights, .vae(.weightsNotFound(let directory, _))): return directory.hasSuffix("vae")
            case (.noTextEncoderWeights, .textEncoder(.fileNotFound(let folder, let tried))):
                return folder.hasSuffix("text_encoder") && tried.contains("model.safetensors")
            case (.truncatedUNetWeights, .unet(.weights(.invalidSafetensors(let path, _, let reason)))):
                return path == model.path(unetWeights) && reason.contains("truncated")
            case (.noMerges, .tokenizer(.missingFile(let path))): return path == model.path("tokenizer/merges.txt")
            case (.vocabularyNotJSON, .tokenizer(.malformedJSON(let path, _))): return path == model.path("tokenizer/vocab.json")
            case (.mergeLineMalformed, .tokenizer(.malformedMerge(let path, let line, _))):
                return path == model.path("tokenizer/merges.txt") && line == 3
            case (.tokenizerLengthOutOfRange, .tokenizer(.invalidValue(let path, let key, _))):
                return path == model.path("tokenizer/tokenizer_config.json") && key == "model_max_length"
            case (.noSchedulerConfig, .fileNotFound(let path, _)): return path == model.path("scheduler/scheduler_config.json")
            case (.schedulerUnknownClass, .scheduler(.unknownSchedulerClass(let name, _))): return name == "KDPM2DiscreteScheduler"
            case (.schedulerConfigNotJSON, .scheduler(.invalidConfigFile(let path, _))):
                return path == model.path("scheduler/scheduler_config.json")
            case (.unetConfigMissingKey, .unet(.invalidConfiguration(let key, _, _))): return key == "down_block_types"
            case (.unetConfigWrongType, .unet(.configurationUnreadable(let path, let reason))):
                return path == model.path("unet/config.json") && reason.contains("in_channels")
            case (.unetConfigUnknownBlock, .unet(.unsupportedConfiguration(let key, let value, _))):
                return key == "down_block_types" && value.contains("SkipDownBlock2D")
            case (.unetConfigNotJSON, .unet(.configurationUnreadable(let path, _))): return path == model.path("unet/config.json")
            case (.vaeConfigUnknownBlock, .vae(.invalidConfiguration(let key, _, _))): return key == "up_block_types"
            case (.vaeConfigMissingKey, .vae(.invalidConfiguration(let key, _, _))): return key == "block_out_channels"
            case (.textEncoderConfigWrongType, .textEncoder(.unreadableConfiguration(let path, let reason))):
                return path == model.path("text_encoder/config.json") && reason.contains("num_hidden_layers")
            case (.textEncoderConfigBadActivation, .textEncoder(.invalidConfiguration(let key, let value, _, let path))):
                return key == "hidden_act" && value == "relu" && path == model.path("text_encoder/config.json")
            case (.unetWeightMissing, .unet(.weights(.missingWeight(let key, _)))): return key == "conv_in.weight"
            case (.unetWeightExtra, .unet(.weights(.unusedWeights(let keys, _)))): return keys == ["conv_in.extra"]
            case (.unetWeightWrongShape, .unet(.weights(.weightShapeMismatch(let key, let expected, let actual, _)))):
                return key == "conv_in.bias" && expected == [16] && actual == [17]
            case (.vaeWeightMissing, .vae(.tensor(.missingWeight(let key, _)))): return key == "decoder.conv_out.bias"
            case (.vaeWeightWrongShape, .vae(.tensor(.weightShapeMismatch(let key, _, let actual, _)))):
                return key == "encoder.conv_in.weight" && actual == [8, 3, 1, 1]
            case (.textEncoderWeightExtra, .textEncoder(.weights(.unusedWeights(let keys, _)))):
                return keys == ["text_model.encoder.layers.9.mlp.fc1.bias"]
            case (.textEncoderWeightMissing, .textEncoder(.weights(.missingWeight(let key, _)))):
                return key.hasSuffix("final_layer_norm.weight")
            case (.crossAttentionWidthMismatch, .invalidModel(_, let reason)): return reason.contains("cross_attention_dim 48")
            default: return false
            }
        }
    }

    @Test("A broken model folder is a typed error naming the file, key or tensor", arguments: Breakage.allCases)
    func brokenFolder(_ breakage: Breakage) throws {
        let model = try ScratchModel()
        try breakage.apply(to: model)
        let error = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: model.folder.path) }
        guard let error else { return }
        #expect(breakage.matches(error, model: model), "\(breakage): got \(error)")
        #expect(!error.description.contains { $0.isNewline })
    }

    @Test("The scratch copy itself loads, so each breakage fails for its edit alone")
    func scratchBaseline() throws {
        let model = try ScratchModel()
        let pipeline = try StableDiffusionPipeline(contentsOf: model.folder.path)
        #expect(pipeline.defaultImageSize == 64)
    }

    @Test("Single files: a pickle, an empty file, a truncated checkpoint and a file that is not a checkpoint")
    func badSingleFiles() throws {
        let model = try ScratchModel()
        let pickle = model.path("model.ckpt")
        try model.write("model.ckpt", Data([0x80, 0x02, 0x7D, 0x71, 0x00, 0x28, 0x58, 0x05]))
        #expect(throws: PipelineError.singleFile(.pickleCheckpoint(path: pickle))) {
            try StableDiffusionPipeline(contentsOf: pickle)
        }
        try model.write("empty.safetensors", Data())
        let empty = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: model.path("empty.safetensors")) }
        guard case .singleFile(.unreadableFile(let emptyPath, .invalidSafetensors))? = empty else {
            Issue.record("empty file: got \(String(describing: empty))")
            return
        }
        #expect(emptyPath == model.path("empty.safetensors"))
        // A component's weights alone: the UNet and text encoder are missing.
        let vaeOnly = #expect(throws: PipelineError.self) { try StableDiffusionPipeline(contentsOf: model.path(Self.vaeWeights)) }
        guard case .singleFile(.missingComponent(let path, .unet, let expectedKey, let found))? = vaeOnly else {
            Issue.record("VAE weights as a checkpoint: got \(String(describing: vaeOnly))")
            return
        }
        #expect(path == model.path(Self.vaeWeights))
        #expect(expectedKey.hasPrefix("model.diffusion_model."))
        #expect(found.contains("decoder.up_blocks"))
    }

    static let tiny: Result<StableDiffusionPipeline, PipelineError> = Result { () throws(PipelineError) in
        try StableDiffusionPipeline(contentsOf: Fixtures.path("pipeline/sd15-tiny"))
    }

    @Test("Image-to-image from PNG files: wrong size, truncated, not a PNG")
    func badInitImages() throws {
        let pipeline = try Self.tiny.get()
        let model = try ScratchModel()
        let small = RGBImage(width: 32, height: 32, pixels: [UInt8](repeating: 128, count: 32 * 32 * 3))
        try small.writePNG(to: model.path("small.png"))
        var parameters = GenerationParameters(steps: 2, width: 64, height: 64, seed: 1)
        parameters.initImage = try RGBImage(pngFile: model.path("small.png"))
        let error = #expect(throws: PipelineError.self) { try pipeline.generate(prompt: "a cat", parameters: parameters) }
        guard case .invalidParameter(let name, let value, _)? = error else {
            Issue.record("wrong-size init image: got \(String(describing: error))")
            return
        }
        #expect(name == "initImage" && value == "32×32")

        let png = try small.pngData()
        try model.write("truncated.png", png.prefix(png.count - 20))
        #expect {
            try RGBImage(pngFile: model.path("truncated.png"))
        } throws: { error in
            guard case .invalidPNG(let path, _)? = error as? PipelineError else { return false }
            return path == model.path("truncated.png")
        }
        try model.write("photo.png", Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46]))
        #expect(throws: PipelineError.invalidPNG(path: model.path("photo.png"), reason: "not a PNG file (bad signature)")) {
            try RGBImage(pngFile: model.path("photo.png"))
        }
    }

    @Test("A PNG declaring a huge text chunk or image is refused before anything large is allocated")
    func pngBombs() throws {
        // A zTXt chunk declaring 1.9 GB in a 100-byte file (found by fuzzing: libpng allocated it).
        var chunkBomb = Array(try RGBImage(width: 1, height: 1, pixels: [1, 2, 3]).pngData().prefix(33))
        chunkBomb += [0x74, 0x49, 0x4D, 0x45] + Array("zTXtparameters".utf8) + [UInt8](repeating: 0, count: 40)
        let chunkError = #expect(throws: PipelineError.self) { try RGBImage.decodePNG(Data(chunkBomb), source: "bomb.png") }
        #expect(chunkError?.description.contains("truncated PNG data") == true)
        // A valid 16384 × 16384 header over 10 bytes of image data: 805 MB of pixels that cannot be there.
        let header = try RGBImage(width: 1, height: 1, pixels: [0, 0, 0]).pngData()
        var large = Array(header)
        large.replaceSubrange(16..<24, with: [0, 0, 0x40, 0, 0, 0, 0x40, 0])
        let crc = Self.crc32(Array(large[12..<29]))
        large.replaceSubrange(29..<33, with: withUnsafeBytes(of: crc.bigEndian, Array.init))
        let sizeError = #expect(throws: PipelineError.self) { try RGBImage.decodePNG(Data(large), source: "large.png") }
        #expect(sizeError?.description.contains("too little image data") == true)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// Parameter cases beyond `GenerationBehaviorTests.BadParameter`.
    @Test("More out-of-range parameters are typed errors naming the parameter", arguments: [
        ("steps", 1001.0), ("height", 4104.0), ("numberOfImages", 65.0), ("strength", .nan), ("guidanceScale", -.infinity),
        ("width", 7.0), ("height", -64.0),
    ])
    func moreBadParameters(name: String, value: Double) throws {
        var parameters = GenerationParameters(steps: 2, seed: 1)
        switch name {
        case "steps": parameters.steps = Int(value)
        case "height": parameters.height = Int(value)
        case "width": parameters.width = Int(value)
        case "numberOfImages": parameters.numberOfImages = Int(value)
        case "strength": parameters.strength = value
        default: parameters.guidanceScale = Float(value)
        }
        let error = #expect(throws: PipelineError.self) { try Self.tiny.get().makeSession(prompt: "x", parameters: parameters) }
        guard case .invalidParameter(let reported, _, let allowed)? = error else {
            Issue.record("\(name) = \(value): got \(String(describing: error))")
            return
        }
        #expect(reported == name)
        #expect(!allowed.isEmpty)
    }

    @Test("A clip skip beyond the text encoder's depth and an img2img strength leaving no step are typed errors")
    func componentLimits() throws {
        let pipeline = try Self.tiny.get()
        var skip = GenerationParameters(steps: 2, seed: 1)
        skip.clipSkip = 50
        let skipError = #expect(throws: PipelineError.self) { try pipeline.generate(prompt: "a cat", parameters: skip) }
        guard case .textEncoder(.clipSkipOutOfRange(50, _))? = skipError else {
            Issue.record("clipSkip 50: got \(String(describing: skipError))")
            return
        }
        var weak = GenerationParameters(steps: 4, seed: 1)
        weak.initImage = RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 0, count: 64 * 64 * 3))
        weak.strength = 0.1
        let weakError = #expect(throws: PipelineError.self) { try pipeline.generate(prompt: "a cat", parameters: weak) }
        guard case .scheduler(.noStepsForStrength(4, 0.1))? = weakError else {
            Issue.record("strength 0.1 of 4 steps: got \(String(describing: weakError))")
            return
        }
    }
}
