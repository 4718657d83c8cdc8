import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// LoRA and embedding files that must not apply: each fails with the specific ``AdapterError``
/// naming the file and the first bad key, and nothing is applied (the pipeline value the call was
/// made on is unchanged, and no partial pipeline is returned).
@Suite("Malformed input: LoRA and textual-inversion files")
struct MalformedAdapterTests {
    /// A temporary folder for files written by a case.
    final class Scratch {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adapters-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: folder) }

        /// Writes tensors (and header metadata) as safetensors; returns the path.
        func write(_ name: String, _ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
            return path
        }

        func writeBytes(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    static let toQ = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
    static var base: StableDiffusionPipeline { get throws { try PipelineRunFixtures.sd15Folder.get() } }

    static func random(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float(($0 * 37) % 11) / 11 - 0.5 })
    }

    @Test("An SDXL-shaped LoRA is a shape error naming the first key, the layer and what it expected")
    func sdxlShaped() throws {
        let path = LoRAFixtures.adapter("sdxl-shaped.safetensors")
        let lora = try LoRA(contentsOf: path)
        #expect(throws: PipelineError.adapter(.shapeMismatch(
            path: path, key: "\(Self.toQ).lora_down.weight",
            layer: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight",
            expected: "a down factor [r, 16] for weight [16, 16]", actual: [4, 320]))) {
            try Self.base.applying(loras: [lora])
        }
    }

    @Test("An up factor of the wrong width is a shape error naming the up key")
    func upFactorMismatch() throws {
        let scratch = try Scratch()
        let path = try scratch.write("up.safetensors", [
            Self.toQ + ".lora_down.weight": Self.random([4, 16]), Self.toQ + ".lora_up.weight": Self.random([20, 4]),
        ])
        #expect(throws: PipelineError.adapter(.shapeMismatch(
            path: path, key: "\(Self.toQ).lora_up.weight", layer: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight",
            expected: "an up factor [16, r] for weight [16, 16]", actual: [20, 4]))) {
            try Self.base.applying(loras: [try LoRA(contentsOf: path)])
        }
    }

    @Test("A fitting LoRA stacked with a misfit one applies nothing")
    func nothingPartiallyApplied() throws {
        let good = try LoRA(contentsOf: LoRAFixtures.adapter("kohya.safetensors"))
        let bad = try LoRA(contentsOf: LoRAFixtures.adapter("sdxl-shaped.safetensors"))
        let base = try Self.base
        #expect(throws: PipelineError.self) { try base.applying(loras: [good, bad]) }
        #expect(base.adapters.isEmpty)
    }

    @Test("A LoRA none of whose keys names a layer is an error naming the first key")
    func noMatchingLayer() throws {
        let scratch = try Scratch()
        let path = try scratch.write("other.safetensors", [
            "lora_unet_input_blocks_99_1_proj_in.lora_down.weight": Self.random([4, 16]),
            "lora_unet_input_blocks_99_1_proj_in.lora_up.weight": Self.random([16, 4]),
        ])
        let lora = try LoRA(contentsOf: path)
        let error = #expect(throws: PipelineError.self) { try Self.base.applying(loras: [lora]) }
        guard case .adapter(.noMatchingLayers(let errorPath, let key, _)) = error else {
            Issue.record("unexpected \(String(describing: error))"); return
        }
        #expect(errorPath == path && key == "lora_unet_input_blocks_99_1_proj_in.lora_down.weight")
    }

    @Test("Keys that name no layer in an otherwise fitting file are skipped with a warning listing them; the result is unchanged")
    func extraKeysSkipped() throws {
        let clean = try Self.base.applying(loras: [try LoRA(contentsOf: LoRAFixtures.adapter("kohya.safetensors"))])
        let extra = try Self.base.applying(loras: [try LoRA(contentsOf: LoRAFixtures.adapter("kohya-extra-key.safetensors"))])
        #expect(clean.adapters.warnings.isEmpty)
        let warning = try #require(extra.adapters.warnings.first)
        #expect(warning.contains("2 keys"))
        #expect(warning.contains("lora_unet_no_such_block_0_proj.lora_down.weight"))
        #expect(warning.contains("lora_te_text_model_encoder_layers_9_mlp_fc1.lora_down.weight"))
        let run = try #require(LoRAFixtures.cases.first { $0.name == "kohya-0.8" })
        var parameters = try LoRAFixtures.parameters(for: run, on: clean)
        parameters.steps = 1
        let prompt = try LoRAFixtures.manifest.get().prompt
        let a = try clean.generate(prompt: prompt, parameters: parameters)
        let b = try extra.generate(prompt: prompt, parameters: parameters)
        #expect(a.latents.scalars == b.latents.scalars)
    }

    @Test("Pickles are refused unread, whatever their extension", arguments: ["lora.pt", "lora.bin", "lora.ckpt", "zip.safetensors"])
    func pickles(_ name: String) throws {
        let scratch = try Scratch()
        // `torch.save`'s zip magic for the last one: judged by content, not by name.
        let bytes: [UInt8] = name.hasPrefix("zip") ? [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0] : [0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E]
        let path = try scratch.writeBytes(name, bytes)
        #expect(throws: AdapterError.pickleFile(path: path)) { try LoRA(contentsOf: path) }
        #expect(throws: AdapterError.pickleFile(path: path)) { try TextualInversion(contentsOf: path) }
    }

    @Test("A missing file and a truncated file are typed errors")
    func missingAndTruncated() throws {
        let scratch = try Scratch()
        let missing = scratch.folder.appendingPathComponent("none.safetensors").path
        #expect(throws: AdapterError.fileNotFound(path: missing)) { try LoRA(contentsOf: missing) }
        let truncated = try scratch.writeBytes("cut.safetensors", [0x40, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x22])
        let error = #expect(throws: AdapterError.self) { try LoRA(contentsOf: truncated) }
        guard case .unreadableFile(let path, _) = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(path == truncated)
    }

    @Test("LoHa, LoKr, DoRA and unknown spellings are refused naming the key",
          arguments: [("lora_unet_x.hada_w1_a", "LoHa"), ("lora_unet_x.lokr_w1", "LoKr"), ("lora_unet_x.dora_scale", "DoRA"),
                      ("unet.x.lora_magnitude_vector", "DoRA"), ("model.weight", "known spelling")])
    func unsupportedKinds(_ key: String, _ words: String) throws {
        let scratch = try Scratch()
        let path = try scratch.write("kind.safetensors", [key: Self.random([4, 4])])
        let error = #expect(throws: AdapterError.self) { try LoRA(contentsOf: path) }
        guard case .unsupportedFormat(_, let badKey, let reason) = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(badKey == key && reason.contains(words), "\(reason)")
    }

    @Test("Half a pair, ranks that differ, non-scalar alpha and wrong ranks are invalid-tensor errors")
    func malformedFactors() throws {
        let scratch = try Scratch()
        let cases: [([String: Tensor], String)] = [
            ([Self.toQ + ".lora_down.weight": Self.random([4, 16])], Self.toQ + ".lora_down.weight"),
            ([Self.toQ + ".lora_down.weight": Self.random([4, 16]), Self.toQ + ".lora_up.weight": Self.random([16, 3])],
             Self.toQ + ".lora_up.weight"),
            ([Self.toQ + ".lora_down.weight": Self.random([4, 16]), Self.toQ + ".lora_up.weight": Self.random([16, 4]),
              Self.toQ + ".alpha": Self.random([2])], Self.toQ + ".alpha"),
            ([Self.toQ + ".lora_down.weight": Self.random([4]), Self.toQ + ".lora_up.weight": Self.random([16, 4])],
             Self.toQ + ".lora_down.weight"),
            ([Self.toQ + ".lora_down.weight": Self.random([4, 16]), Self.toQ + ".lora_up.weight": Self.random([16, 4, 3, 3])],
             Self.toQ + ".lora_up.weight"),
        ]
        for (index, (tensors, key)) in cases.enumerated() {
            let path = try scratch.write("bad\(index).safetensors", tensors)
            let error = #expect(throws: AdapterError.self) { try LoRA(contentsOf: path) }
            guard case .invalidTensor(let errorPath, let badKey, _, _) = error else {
                Issue.record("case \(index): unexpected \(String(describing: error))"); continue
            }
            #expect(errorPath == path && badKey == key, "case \(index)")
        }
    }

    @Test("Embeddings: wrong width, existing token, no tensor in a known layout, SDXL layout")
    func malformedEmbeddings() throws {
        let scratch = try Scratch()
        let wide = try scratch.write("wide.safetensors", ["emb_params": Self.random([2, 768])])
        let embedding = try TextualInversion(contentsOf: wide)
        #expect(throws: PipelineError.adapter(.embeddingWidthMismatch(path: wide, key: "emb_params", expected: 32, actual: 768))) {
            try Self.base.applying(loras: [], embeddings: [embedding])
        }
        let existing = try scratch.write("cat.safetensors", ["cat</w>": Self.random([1, 32])])
        #expect(throws: PipelineError.adapter(.tokenExists(path: existing, token: "cat</w>"))) {
            try Self.base.applying(loras: [], embeddings: [try TextualInversion(contentsOf: existing)])
        }
        let twice = LoRAFixtures.adapter("learned_embeds.safetensors")
        #expect(throws: PipelineError.adapter(.tokenExists(path: twice, token: "<cat-toy>"))) {
            try Self.base.applying(loras: [], embeddings: [try TextualInversion(contentsOf: twice), try TextualInversion(contentsOf: twice)])
        }
        let two = try scratch.write("two.safetensors", ["a": Self.random([1, 32]), "b": Self.random([1, 32])])
        #expect(throws: AdapterError.self) { try TextualInversion(contentsOf: two) }
        // SDXL's layout is read (and refused on SD 1.5 when applied: SDXLAdapterErrorTests); other keys beside it are not.
        let sdxl = try scratch.write("xl.safetensors", ["clip_l": Self.random([1, 768]), "clip_g": Self.random([1, 1280]),
                                                        "extra": Self.random([1, 4])])
        let error = #expect(throws: AdapterError.self) { try TextualInversion(contentsOf: sdxl) }
        guard case .invalidEmbedding(_, let reason) = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(reason.contains("SDXL"))
        let scalar = try scratch.write("bad.safetensors", ["emb_params": Self.random([2, 2, 32])])
        #expect(throws: AdapterError.self) { try TextualInversion(contentsOf: scalar) }
    }

    @Test("A pipeline assembled from components cannot take adapters")
    func assembledPipeline() throws {
        let base = try Self.base
        let assembled = try StableDiffusionPipeline(tokenizer: base.tokenizer, textEncoder: base.textEncoder,
                                                    noisePredictor: base.noisePredictor, decoder: base.decoder,
                                                    encoder: base.encoder, schedulerOptions: base.schedulerOptions)
        let error = #expect(throws: PipelineError.self) { try assembled.applying(loras: []) }
        guard case .adapter(.adaptersUnavailable) = error else { Issue.record("unexpected \(String(describing: error))"); return }
    }
}
