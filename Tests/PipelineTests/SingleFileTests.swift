import Foundation
import Testing
import _TestSupport
@testable import Pipeline

/// Single-file (LDM / A1111 layout) checkpoints against the diffusers folders they were exported from
/// (`Tests/Fixtures/generators/pipeline_models.py`, which also checked each export with diffusers'
/// own `from_single_file`). Weights are compared bit for bit: the mapping only renames, reshapes and
/// slices, so there is no tolerance. The SD 1.x file is stored in fp16 (as most shared SD 1.5 files
/// are) while its folder is fp32, so its tensors must equal the folder's rounded to fp16.
@Suite("Single-file checkpoints")
struct SingleFileTests {
    // MARK: Fixtures

    struct Model {
        var file: String
        var folder: String
        var weightSuffix: String
        var family: SingleFileFamily
        /// Whether the file holds the folder's fp32 tensors rounded to fp16.
        var roundsFolderToHalf: Bool

        func folderFile(_ component: SingleFileComponent) -> String {
            switch component {
            case .unet: return Fixtures.path("pipeline/\(folder)/unet/diffusion_pytorch_model\(weightSuffix)")
            case .vae: return Fixtures.path("pipeline/\(folder)/vae/diffusion_pytorch_model\(weightSuffix)")
            case .textEncoder: return Fixtures.path("pipeline/\(folder)/text_encoder/model\(weightSuffix)")
            case .textEncoder2: return Fixtures.path("pipeline/\(folder)/text_encoder_2/model\(weightSuffix)")
            case .controlNet: return Fixtures.path("controlnet/controlnet-a/diffusion_pytorch_model.safetensors")
            }
        }
    }

    static let sd15 = Model(file: "sd15-tiny.safetensors", folder: "sd15-tiny", weightSuffix: ".safetensors", family: .stableDiffusion1,
                                roundsFolderToHalf: true)
    static let sd2 = Model(file: "sd2-tiny.safetensors", folder: "sd2-tiny", weightSuffix: ".fp16.safetensors", family: .stableDiffusion2,
                              roundsFolderToHalf: false)

    /// The DDPM buffers and EMA counters the fixture exports carry, as real files do.
    static let commonIgnored: Set<String> = SingleFileKeyMapping.scheduleBuffers.union(["model_ema.decay", "model_ema.num_updates"])

    /// A real-size key catalogue: `ldm` (checkpoint key → shape) and `unet` / `vae` / `text_encoder`
    /// (diffusers key → shape), written from diffusers models on the meta device.
    static func catalogue(_ name: String) throws -> [String: [String: [Int]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pipeline/ldm-keys-\(name).json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: [Int]]])
        return json
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("singlefile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The float tensors of a fixture file (the integer `position_ids` / `num_updates` buffers, which the
    /// writer cannot store, are ignorable anyway).
    static func floatTensors(of path: String) throws -> [String: Tensor] {
        let file = try SafetensorsFile(path: path)
        var tensors: [String: Tensor] = [:]
        for (name, entry) in file.entries where entry.dtype.isReadableAsFloat { tensors[name] = try file.tensor(named: name) }
        return tensors
    }

    /// Each element rounded to the nearest fp16 value (ties to even) and widened back, as torch's
    /// `.half().float()` does.
    static func roundedToHalf(_ tensor: Tensor) -> Tensor {
        Tensor(shape: tensor.shape, scalars: tensor.scalars.map { Float(Float16($0)) })
    }

    /// Whether two tensors hold the same shape and bit-identical elements.
    static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count * 4) == 0 }
        }
    }

    // MARK: Tiny checkpoints against their folders

    /// Every component tensor equals the folder's, and the name sets are identical.
    func checkAgainstFolder(_ model: Model) throws {
        let layout = try SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/\(model.folder)"))
        let checkpoint = try SingleFileCheckpoint(path: Fixtures.path("pipeline/\(model.file)"), layout: layout)
        #expect(checkpoint.family == model.family)
        let sources: [SingleFileComponent: SingleFileWeightSource] = [
            .unet: checkpoint.unet, .vae: checkpoint.vae, .textEncoder: checkpoint.textEncoder,
        ]
        for component in SingleFileComponent.checkpointComponents {
            let source = try #require(sources[component])
            let reference = try SafetensorsFile(path: model.folderFile(component))
            let names = try #require(source.tensorNames)
            let onlyCheckpoint = names.subtracting(reference.entries.keys).sorted().prefix(5)
            let onlyFolder = Set(reference.entries.keys).subtracting(names).sorted().prefix(5)
            #expect(names == Set(reference.entries.keys), "\(component): only in checkpoint \(onlyCheckpoint), only in folder \(onlyFolder)")
            for name in names.sorted() {
                let stored = try reference.tensor(named: name)
                let expected = model.roundsFolderToHalf ? Self.roundedToHalf(stored) : stored
                #expect(source.shape(of: name) == expected.shape, "\(component) \(name)")
                let actual = try source.loadTensor(named: name, expectedShape: expected.shape)
                #expect(Self.identical(actual, expected), "\(component) \(name) differs")
            }
        }
    }

    @Test("SD 1.x tiny fp16 checkpoint: every UNet, VAE and CLIP tensor equals the fp32 folder's rounded to fp16")
    func sd15MatchesFolder() throws {
        try checkAgainstFolder(Self.sd15)
        let checkpoint = try SingleFileCheckpoint(path: Fixtures.path("pipeline/sd15-tiny.safetensors"),
                                                  layout: SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/sd15-tiny")))
        #expect(Set(checkpoint.mapping.ignoredKeys)
            == Self.commonIgnored.union(["cond_stage_model.transformer.text_model.embeddings.position_ids"]))
        #expect(checkpoint.prediction.kind == .epsilon)
    }

    @Test("SD 2.x tiny fp16 checkpoint: every tensor equals the fp16 folder's, with OpenCLIP's q/k/v split")
    func sd2MatchesFolder() throws {
        try checkAgainstFolder(Self.sd2)
        let checkpoint = try SingleFileCheckpoint(path: Fixtures.path("pipeline/sd2-tiny.safetensors"),
                                                  layout: SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/sd2-tiny")))
        // The tiny text model runs 2 layers; the file holds a third (as real files hold OpenCLIP's 24th).
        let lastBlock = ["ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias", "attn.in_proj_weight", "attn.in_proj_bias",
                         "attn.out_proj.weight", "attn.out_proj.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                         "mlp.c_proj.weight", "mlp.c_proj.bias"].map { "cond_stage_model.model.transformer.resblocks.2.\($0)" }
        #expect(Set(checkpoint.mapping.ignoredKeys) == Self.commonIgnored.union(lastBlock)
            .union(["cond_stage_model.model.text_projection", "cond_stage_model.model.logit_scale"]))
        let q = try #require(checkpoint.textEncoder.sources["text_model.encoder.layers.1.self_attn.k_proj.weight"])
        #expect(q == SingleFileTensorSource(checkpointKey: "cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight",
                                            transform: .rows(32..<64), shape: [32, 32]))
        #expect(checkpoint.prediction.kind == .vPrediction)
    }

    @Test("Components load through a strict WeightLoader with nothing left over")
    func loadsThroughWeightLoader() throws {
        let checkpoint = try SingleFileCheckpoint(path: Fixtures.path("pipeline/sd15-tiny.safetensors"),
                                                  layout: SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/sd15-tiny")))
        let loader = WeightLoader(source: checkpoint.vae)
        let attention = loader.reader().scoped("decoder.mid_block.attentions.0")
        // LDM stores these as 1×1 convolutions [16, 16, 1, 1]; the VAE sees linear weights.
        #expect(try attention.tensor("to_q.weight", shape: [16, 16]).shape == [16, 16])
        #expect(throws: TensorError.self) { try loader.finish() }
        for name in try #require(checkpoint.vae.tensorNames) where name != "decoder.mid_block.attentions.0.to_q.weight" {
            _ = try loader.reader().tensor(name, shape: try #require(checkpoint.vae.shape(of: name)))
        }
        try loader.finish()
        #expect(checkpoint.vae.sourceDescription.hasSuffix("sd15-tiny.safetensors (VAE)"))
    }

    @Test("Text-encoder names can drop the text_model. prefix (the transformers 5 layout)")
    func textEncoderPrefix() throws {
        let checkpoint = try SingleFileCheckpoint(path: Fixtures.path("pipeline/sd15-tiny.safetensors"),
                                                  layout: SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/sd15-tiny")),
                                                  textEncoderPrefix: "")
        let names = try #require(checkpoint.textEncoder.tensorNames)
        #expect(names.contains("encoder.layers.2.self_attn.q_proj.weight"))
        #expect(!names.contains { $0.hasPrefix("text_model.") })
    }

    // MARK: Published layouts on real-size key catalogues

    @Test("The published presets map real-size SD 1.5 / SD 2.1 key sets onto exactly diffusers' names and shapes",
          arguments: [("sd15", SingleFileFamily.stableDiffusion1), ("sd21", SingleFileFamily.stableDiffusion2)])
    func presetMapsRealKeys(name: String, family: SingleFileFamily) throws {
        let catalogue = try Self.catalogue(name)
        let ldm = try #require(catalogue["ldm"])
        let mapping = try SingleFileKeyMapping(tensorShapes: ldm, path: "ldm-keys-\(name).json")
        #expect(mapping.family == family)
        #expect(mapping.layout == (family == .stableDiffusion1 ? .sd15 : .sd21))
        for component in SingleFileComponent.checkpointComponents {
            let expected = try #require(catalogue[component.rawValue])
            let actual = mapping[component].mapValues(\.shape)
            #expect(actual.count == expected.count, "\(name) \(component)")
            let wrong = expected.filter { actual[$0.key] != $0.value }.keys.sorted()
            #expect(wrong.isEmpty, "\(name) \(component): \(wrong.prefix(5))")
        }
        // Real UNets: 686 tensors; the VAE 248; CLIP-L 196; OpenCLIP-H's first 23 layers 372.
        #expect(mapping[.unet].count == 686 && mapping[.vae].count == 248)
        #expect(mapping[.textEncoder].count == (family == .stableDiffusion1 ? 196 : 372))
        let ignored = Set(mapping.ignoredKeys)
        #expect(ignored.isSuperset(of: Self.commonIgnored))
        if family == .stableDiffusion2 {
            #expect(ignored.contains("cond_stage_model.model.transformer.resblocks.23.attn.in_proj_weight"))
            #expect(mapping[.unet]["down_blocks.0.attentions.0.proj_in.weight"]?.shape == [320, 320])
        } else {
            #expect(mapping[.unet]["down_blocks.0.attentions.0.proj_in.weight"]?.shape == [320, 320, 1, 1])
        }
    }

    @Test("Spot checks of the LDM → diffusers names (block numbering, reversed VAE decoder, shortcuts)")
    func mappingSpotChecks() throws {
        let mapping = try SingleFileKeyMapping(tensorShapes: try #require(Self.catalogue("sd15")["ldm"]), path: "sd15")
        let expected: [(SingleFileComponent, String, String)] = [
            (.unet, "down_blocks.1.resnets.0.conv_shortcut.weight", "model.diffusion_model.input_blocks.4.0.skip_connection.weight"),
            (.unet, "down_blocks.2.downsamplers.0.conv.weight", "model.diffusion_model.input_blocks.9.0.op.weight"),
            (.unet, "mid_block.resnets.1.time_emb_proj.bias", "model.diffusion_model.middle_block.2.emb_layers.1.bias"),
            (.unet, "up_blocks.0.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.2.1.conv.weight"),
            (.unet, "up_blocks.1.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.5.2.conv.weight"),
            (.unet, "up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj.weight",
             "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.ff.net.0.proj.weight"),
            (.vae, "decoder.up_blocks.0.resnets.2.norm1.weight", "first_stage_model.decoder.up.3.block.2.norm1.weight"),
            (.vae, "decoder.up_blocks.3.resnets.0.conv_shortcut.weight", "first_stage_model.decoder.up.0.block.0.nin_shortcut.weight"),
            (.vae, "encoder.mid_block.attentions.0.to_out.0.weight", "first_stage_model.encoder.mid.attn_1.proj_out.weight"),
            (.textEncoder, "text_model.encoder.layers.11.mlp.fc2.bias", "cond_stage_model.transformer.text_model.encoder.layers.11.mlp.fc2.bias"),
        ]
        for (component, name, key) in expected {
            #expect(mapping[component][name]?.checkpointKey == key, "\(name)")
        }
        #expect(mapping[.vae]["encoder.mid_block.attentions.0.to_q.weight"]?.transform == .reshape)
        #expect(mapping[.unet]["up_blocks.0.resnets.0.conv_shortcut.weight"] != nil)
        #expect(mapping[.unet]["down_blocks.0.resnets.0.conv_shortcut.weight"] == nil)
    }

    @Test("The published preset on a tiny checkpoint names the first tensor it cannot find")
    func presetOnTinyCheckpoint() throws {
        let path = Fixtures.path("pipeline/sd15-tiny.safetensors")
        #expect(throws: SingleFileError.missingTensor(path: path, key: "model.diffusion_model.input_blocks.4.1.norm.weight",
                                                      component: .unet, componentKey: "down_blocks.1.attentions.0.norm.weight")) {
            try SingleFileCheckpoint(path: path)
        }
    }

    // MARK: Detection

    @Test("Families are recognised from the file header")
    func detectsFamilies() throws {
        #expect(try SingleFileCheckpoint.detectFamily(path: Fixtures.path("pipeline/sd15-tiny.safetensors")) == .stableDiffusion1)
        #expect(try SingleFileCheckpoint.detectFamily(path: Fixtures.path("pipeline/sd2-tiny.safetensors")) == .stableDiffusion2)
    }

    @Test("SDXL without its text encoders, InstructPix2Pix, missing components and mismatched widths are refused with what was found")
    func refusesOtherCheckpoints() throws {
        let base = try #require(Self.catalogue("sd15")["ldm"])
        func detect(_ shapes: [String: [Int]]) throws -> SingleFileFamily {
            try SingleFileFamily.detect(tensorShapes: shapes, path: "x.safetensors")
        }
        #expect(try detect(base) == .stableDiffusion1)

        var sdxl = base.filter { !$0.key.hasPrefix("cond_stage_model.") }
        sdxl["conditioner.embedders.1.model.positional_embedding"] = [77, 1280]
        #expect(throws: SingleFileError.missingComponent(path: "x.safetensors", component: .textEncoder2,
                                                         expectedKey: "conditioner.embedders.1.model.token_embedding.weight",
                                                         found: SingleFileFamily.summary(of: sdxl))) {
            try detect(sdxl)
        }

        var inpainting = base
        inpainting["model.diffusion_model.input_blocks.0.0.weight"] = [320, 9, 3, 3]
        #expect(try detect(inpainting) == .stableDiffusion1)
        #expect(SingleFileFamily.unetInputChannels(tensorShapes: inpainting) == 9)
        #expect(SingleFileFamily.unetInputChannels(tensorShapes: base) == 4)
        var pix2pix = base
        pix2pix["model.diffusion_model.input_blocks.0.0.weight"] = [320, 8, 3, 3]
        #expect(throws: SingleFileError.unsupportedArchitecture(path: "x.safetensors", architecture: "InstructPix2Pix",
                                                                evidence: "'model.diffusion_model.input_blocks.0.0.weight' of shape [320, 8, 3, 3]")) {
            try detect(pix2pix)
        }

        let noVAE = base.filter { !$0.key.hasPrefix("first_stage_model.") }
        do {
            _ = try detect(noVAE)
            Issue.record("a checkpoint without a VAE was accepted")
        } catch let SingleFileError.missingComponent(_, component, expectedKey, found) {
            #expect(component == .vae && expectedKey == "first_stage_model.encoder.conv_in.weight")
            #expect(found.hasPrefix("model.diffusion_model (686 tensors)"), "\(found)")
            #expect(!found.contains("first_stage_model"))
        }

        let noText = base.filter { !$0.key.hasPrefix("cond_stage_model.") }
        #expect {
            try detect(noText)
        } throws: { error in
            guard case SingleFileError.missingComponent(_, .textEncoder, _, _) = error else { return false }
            return true
        }

        var wide = base
        wide["model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"] = [320, 1024]
        #expect {
            try detect(wide)
        } throws: { error in
            guard case SingleFileError.inconsistentCheckpoint(_, let reason) = error else { return false }
            return reason.contains("1024") && reason.contains("768")
        }
    }

    // MARK: Strictness and bad files

    @Test("A tensor no component uses is an error naming it")
    func leftoverTensor() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var tensors = try Self.floatTensors(of: Fixtures.path("pipeline/sd15-tiny.safetensors"))
        tensors["model.diffusion_model.extra_head.weight"] = Tensor(repeating: 1, shape: [2])
        let path = folder.appendingPathComponent("extra.safetensors").path
        try SafetensorsWriter.write(tensors, to: path)
        let layout = try SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/sd15-tiny"))
        #expect(throws: SingleFileError.unexpectedTensors(path: path, keys: ["model.diffusion_model.extra_head.weight"])) {
            try SingleFileCheckpoint(path: path, layout: layout)
        }
    }

    @Test("A missing tensor is an error naming the checkpoint key and the component name")
    func missingTensor() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var tensors = try Self.floatTensors(of: Fixtures.path("pipeline/sd2-tiny.safetensors"))
        tensors["first_stage_model.decoder.up.0.block.1.conv2.bias"] = nil
        let path = folder.appendingPathComponent("missing.safetensors").path
        try SafetensorsWriter.write(tensors, to: path)
        let layout = try SingleFileLayout(diffusersFolder: Fixtures.path("pipeline/sd2-tiny"))
        #expect(throws: SingleFileError.missingTensor(path: path, key: "first_stage_model.decoder.up.0.block.1.conv2.bias",
                                                      component: .vae, componentKey: "decoder.up_blocks.2.resnets.1.conv2.bias")) {
            try SingleFileCheckpoint(path: path, layout: layout)
        }
    }

    @Test("Pickle checkpoints are refused unopened, by extension or by content")
    func refusesPickles() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let zip = folder.appendingPathComponent("model.ckpt").path
        try Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00]).write(to: URL(fileURLWithPath: zip))
        #expect(throws: SingleFileError.pickleCheckpoint(path: zip)) { try SingleFileCheckpoint(path: zip) }
        // A bare pickle stream (protocol 2) under a .safetensors name.
        let disguised = folder.appendingPathComponent("model.safetensors").path
        try Data([0x80, 0x02, 0x7D, 0x71, 0x00, 0x28, 0x58, 0x05, 0x00, 0x00]).write(to: URL(fileURLWithPath: disguised))
        #expect(throws: SingleFileError.pickleCheckpoint(path: disguised)) { try SingleFileCheckpoint(path: disguised) }
        #expect(throws: SingleFileError.pickleCheckpoint(path: zip)) { try SingleFileCheckpoint.detectFamily(path: zip) }
        #expect(SingleFileError.pickleCheckpoint(path: zip).description.contains("Convert it to .safetensors"))
        // A real safetensors file is read whatever its extension says.
        let renamed = folder.appendingPathComponent("renamed.ckpt").path
        try FileManager.default.createSymbolicLink(atPath: renamed, withDestinationPath: Fixtures.path("pipeline/sd2-tiny.safetensors"))
        #expect(try SingleFileCheckpoint.detectFamily(path: renamed) == .stableDiffusion2)
    }

    @Test("Truncated and missing files are typed errors")
    func badFiles() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pipeline/sd2-tiny.safetensors")))
        let truncated = folder.appendingPathComponent("truncated.safetensors").path
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect {
            try SingleFileCheckpoint(path: truncated)
        } throws: { error in
            guard case SingleFileError.unreadableFile(let path, .invalidSafetensors(_, _, let reason)) = error else { return false }
            return path == truncated && reason.contains("truncated")
        }
        let missing = folder.appendingPathComponent("absent.safetensors").path
        #expect(throws: SingleFileError.fileNotFound(path: missing)) { try SingleFileCheckpoint(path: missing) }
    }

    @Test("A model folder whose config describes another structure is refused, naming file and key")
    func invalidConfig() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for component in ["unet", "vae", "text_encoder"] {
            let target = folder.appendingPathComponent(component)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Fixtures.path("pipeline/sd15-tiny/\(component)/config.json"),
                                             toPath: target.appendingPathComponent("config.json").path)
        }
        #expect(try SingleFileLayout(diffusersFolder: folder.path).unet.layersPerBlock == 2)
        let unetConfig = folder.appendingPathComponent("unet/config.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: unetConfig)) as? [String: Any])
        json["down_block_types"] = ["AttnDownBlock2D", "DownBlock2D"]
        try JSONSerialization.data(withJSONObject: json).write(to: unetConfig)
        #expect {
            try SingleFileLayout(diffusersFolder: folder.path)
        } throws: { error in
            guard case SingleFileError.invalidConfig(let path, let key, _) = error else { return false }
            return path == unetConfig.path && key == "down_block_types"
        }
        try Data("{\"num_hidden_layers\": \"three\"}".utf8).write(to: folder.appendingPathComponent("text_encoder/config.json"))
        json["down_block_types"] = ["CrossAttnDownBlock2D", "DownBlock2D"]
        try JSONSerialization.data(withJSONObject: json).write(to: unetConfig)
        #expect {
            try SingleFileLayout(diffusersFolder: folder.path)
        } throws: { error in
            // A wrong JSON type is reported by the text encoder's own decoder, with the key in its message.
            guard case SingleFileError.invalidConfig(let path, _, let reason) = error else { return false }
            return path.hasSuffix("text_encoder/config.json") && reason.contains("num_hidden_layers")
        }
    }

    @Test("Prediction type: metadata first, then the family default")
    func predictionGuess() {
        #expect(SingleFilePrediction.guess(family: .stableDiffusion2, metadata: [:]).kind == .vPrediction)
        #expect(SingleFilePrediction.guess(family: .stableDiffusion1, metadata: [:]).kind == .epsilon)
        #expect(SingleFilePrediction.guess(family: .stableDiffusion2, metadata: ["modelspec.prediction_type": "epsilon"]).kind == .epsilon)
        #expect(SingleFilePrediction.guess(family: .stableDiffusion2,
                                           metadata: ["modelspec.architecture": "stable-diffusion-v2-512"]).kind == .epsilon)
        #expect(SingleFilePrediction.guess(family: .stableDiffusion2, metadata: ["ss_v_parameterization": "False"]).kind == .epsilon)
        let v = SingleFilePrediction.guess(family: .stableDiffusion1, metadata: ["modelspec.prediction_type": "v"])
        #expect(v.kind == .vPrediction && v.evidence.contains("modelspec.prediction_type"))
    }
}
