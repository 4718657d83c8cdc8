import Foundation
import Testing
import TextEncoder
import Tokenizer
import _TestSupport

/// SDXL's use of the two CLIP text encoders against transformers, on the tiny SDXL-like pipeline of
/// `Tests/Fixtures/generators/sdxl.py`: encoder 1 (`CLIPTextModel`, fp32) and encoder 2
/// (`CLIPTextModelWithProjection`, fp16 file, `eos_token_id` 2) on four prompts tokenized by the real
/// tokenizers (the second pads with `!`, which is also a special token there).
///
/// Tolerance: the same float32 argument as ``CLIPTextModelParityTests`` (max |error| ≤ 1e-5 × the largest
/// |reference|). Measured: hidden states 4.0e-7–4.9e-7 of their scale (hidden_states[-3] of the 2-layer encoder is the
/// embedding output, exact), the projected pooled output 4.5e-7.
/// Picking the wrong pooled token, taking the final-layer-normed state or skipping the projection moves the
/// result by order 1.
@Suite("SDXL text encoders: parity with transformers")
struct SDXLTextEncoderParityTests {
    static let folder = Fixtures.path("pipeline/sdxl-tiny")
    static let cases = "sdxl/text_encoder_cases.safetensors"

    static func ids(_ name: String) throws -> [[Int]] {
        let ids = try Fixtures.tensor(cases, name)
        let length = ids.shape[1], values = ids.scalars.map { Int($0) }
        return stride(from: 0, to: values.count, by: length).map { Array(values[$0..<($0 + length)]) }
    }

    static func check(_ actual: Tensor?, _ name: String) throws {
        let expected = try Fixtures.tensor(cases, name)
        guard let actual else { Issue.record("\(name): no output"); return }
        let comparison = Comparison(actual, expected)
        #expect(comparison.shapesMatch && comparison.relativeToScale <= CLIPTextModelParityTests.tolerance,
                "\(name): \(comparison)")
    }

    @Test("Encoder 1: hidden_states[-2] (no final layer norm)")
    func encoder1() throws {
        let model = try CLIPTextModel(folder: URL(fileURLWithPath: "\(Self.folder)/text_encoder"))
        let output = try model.encodeHiddenStates(tokenIDs: try Self.ids("ids1"), layersSkipped: 1, pooled: false)
        #expect(output.pooled == nil)
        try Self.check(output.hiddenStates, "hidden1_m2")
    }

    @Test("Encoder 2: hidden_states[-2], hidden_states[-3] and the projected pooled output (text_embeds)")
    func encoder2() throws {
        let model = try CLIPTextModel(folder: URL(fileURLWithPath: "\(Self.folder)/text_encoder_2"))
        #expect(model.configuration.hasProjectionHead && model.configuration.eosTokenID == 2 && model.pooledWidth == 16)
        let ids = try Self.ids("ids2")
        let penultimate = try model.encodeHiddenStates(tokenIDs: ids, layersSkipped: 1, pooled: true)
        try Self.check(penultimate.hiddenStates, "hidden2_m2")
        try Self.check(penultimate.pooled, "pooled2")
        // Clip skip 1 in SDXL reads hidden_states[-3]; the pooled output still comes from the last layer.
        let skipped = try model.encodeHiddenStates(tokenIDs: ids, layersSkipped: 2, pooled: true)
        try Self.check(skipped.hiddenStates, "hidden2_m3")
        try Self.check(skipped.pooled, "pooled2")
    }

    /// The ids above are transformers' tokenizers' output; ours must give the same ones, including the `!`
    /// rule of the second tokenizer (its pad token is special, so each `!` is a token of its own).
    @Test("Both tokenizers give transformers' ids (the second's `!` rule)")
    func tokenizers() throws {
        let prompts = ["a photograph of an astronaut riding a horse", "wow!! a cat!", "", "hello!world, !"]
        let first = try CLIPTokenizer(folder: URL(fileURLWithPath: "\(Self.folder)/tokenizer"))
        let second = try CLIPTokenizer(folder: URL(fileURLWithPath: "\(Self.folder)/tokenizer_2"))
        #expect(prompts.map { first.inputIDs(for: $0) } == (try Self.ids("ids1")))
        #expect(prompts.map { second.inputIDs(for: $0) } == (try Self.ids("ids2")))
    }

    @Test("A skip outside 0...layerCount is an error")
    func skipOutOfRange() throws {
        let model = try CLIPTextModel(folder: URL(fileURLWithPath: "\(Self.folder)/text_encoder_2"))
        #expect(throws: TextEncoderError.clipSkipOutOfRange(3, allowed: 0...2)) {
            try model.encodeHiddenStates(tokenIDs: [[49406, 49407]], layersSkipped: 3, pooled: true)
        }
    }
}
