import Foundation
import StableDiffusion
import Testing
import _TestSupport

/// Adapters of the other family: an SD 1.5 LoRA on SDXL and an SDXL LoRA or embedding on SD 1.5 fail with
/// a typed error naming the first bad key and what it expected, and nothing is applied (the pipeline the
/// call was made on is unchanged). Embeddings that fit no encoder of SDXL are errors too.
@Suite("Malformed input: adapters of the other family (SD 1.5 ↔ SDXL)")
struct SDXLAdapterErrorTests {
    static var sd15: StableDiffusionPipeline { get throws { try PipelineRunFixtures.sd15Folder.get() } }

    /// The shape error `applying` throws, or a recorded issue.
    static func shapeMismatch(_ body: () throws -> StableDiffusionPipeline) -> (key: String, layer: String, expected: String, actual: [Int])? {
        let error = #expect(throws: PipelineError.self) { _ = try body() }
        guard case .adapter(.shapeMismatch(_, let key, let layer, let expected, let actual)) = error else {
            Issue.record("unexpected \(String(describing: error))"); return nil
        }
        return (key, layer, expected, actual)
    }

    @Test("An SD 1.5 LoRA on SDXL: a shape error at its first UNet key that names an SDXL layer it does not fit")
    func sd15LoRAOnSDXL() throws {
        let base = try SDXLLoRAFixtures.base
        let lora = try LoRA(contentsOf: LoRAFixtures.adapter("kohya.safetensors"))
        // Its text-encoder part fits (the tiny SDXL's first encoder is SD 1.5's, as in the real models);
        // `down_blocks.0.attentions…` names nothing of SDXL (its first level has no attention); the first
        // key that names an SDXL layer is a resnet conv of another width.
        let error = Self.shapeMismatch { try base.applying(loras: [lora]) }
        #expect(error?.key == "lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight")
        #expect(error?.layer == "down_blocks.0.resnets.0.conv1.weight")
        #expect(error?.expected == "a down factor [r, 8, 3, 3] for weight [8, 8, 3, 3]")
        #expect(error?.actual == [4, 16, 3, 3])
        #expect(base.adapters.isEmpty)
    }

    @Test("An SDXL LoRA on SD 1.5, kohya and PEFT: a shape error at the first key that names an SD 1.5 layer it does not fit")
    func sdxlLoRAOnSD15() throws {
        let base = try Self.sd15
        // kohya: SGM names resolve against SD 1.5's LDM names (`input_blocks_1_0` is down_blocks.0.resnets.0
        // in both), whose time embedding is 32 wide in SDXL's tiny UNet (4 × 8 channels) and 64 in SD 1.5's
        // (4 × 16): the first misfit is `emb_layers_1`'s input width. PEFT: the text-encoder parts fit SD 1.5's encoder, the
        // `text_encoder_2.` ones name nothing, and the first UNet layer both have is the mid block's
        // projection, linear in SDXL and a 1×1 convolution of another width in SD 1.5.
        let expected = [
            "kohya-xl.safetensors": ("lora_unet_input_blocks_1_0_emb_layers_1.lora_down.weight",
                                     "down_blocks.0.resnets.0.time_emb_proj.weight", "a down factor [r, 64] for weight [16, 64]"),
            "peft-xl.safetensors": ("unet.mid_block.attentions.0.proj_in.lora_A.weight", "mid_block.attentions.0.proj_in.weight",
                                    "a down factor [r, 32, 1, 1] for weight [32, 32, 1, 1]"),
        ]
        for (file, (key, layer, what)) in expected {
            let lora = try LoRA(contentsOf: SDXLLoRAFixtures.adapter(file))
            let error = Self.shapeMismatch { try base.applying(loras: [lora]) }
            #expect(error?.key == key, "\(file)")
            #expect(error?.layer == layer, "\(file)")
            #expect(error?.expected == what, "\(file)")
        }
        #expect(base.adapters.isEmpty)
    }

    @Test("An SDXL embedding (clip_l / clip_g) on SD 1.5 is an encoder-mismatch error; nothing is applied")
    func sdxlEmbeddingOnSD15() throws {
        let base = try Self.sd15
        let path = SDXLLoRAFixtures.adapter("xlstyle.safetensors")
        let embedding = try TextualInversion(contentsOf: path)
        #expect(embedding.isSDXL && embedding.parts.map(\.key) == ["clip_l", "clip_g"] && embedding.token == "xlstyle")
        let error = #expect(throws: PipelineError.self) { try base.applying(loras: [], embeddings: [embedding]) }
        guard case .adapter(.embeddingEncoderMismatch(let errorPath, let key, let reason)) = error else {
            Issue.record("unexpected \(String(describing: error))"); return
        }
        #expect(errorPath == path && key == "clip_l" && reason.contains("text_encoder_2"), "\(reason)")
        #expect(base.adapters.isEmpty)
    }

    @Test("On SDXL, a single-vector embedding no encoder's width fits, and clip_g of the wrong width, are errors")
    func sdxlEmbeddingWidths() throws {
        let scratch = try MalformedAdapterTests.Scratch()
        let base = try SDXLLoRAFixtures.base
        let odd = try scratch.write("odd.safetensors", ["<odd>": MalformedAdapterTests.random([1, 24])])
        let error = #expect(throws: PipelineError.self) { try base.applying(loras: [], embeddings: [try TextualInversion(contentsOf: odd)]) }
        guard case .adapter(.embeddingEncoderMismatch(_, "<odd>", let reason)) = error else {
            Issue.record("unexpected \(String(describing: error))"); return
        }
        #expect(reason.contains("32 and 16"), "\(reason)")
        let wide = try scratch.write("wide.safetensors", ["clip_l": MalformedAdapterTests.random([1, 32]),
                                                          "clip_g": MalformedAdapterTests.random([1, 1280])])
        #expect(throws: PipelineError.adapter(.embeddingWidthMismatch(path: wide, key: "clip_g", expected: 16, actual: 1280))) {
            try base.applying(loras: [], embeddings: [try TextualInversion(contentsOf: wide, token: "<wide-xl>")])
        }
        let uneven = try scratch.write("uneven.safetensors", ["clip_l": MalformedAdapterTests.random([2, 32]),
                                                              "clip_g": MalformedAdapterTests.random([1, 16])])
        #expect(throws: AdapterError.self) { try TextualInversion(contentsOf: uneven) }
    }
}
