import Foundation
import Testing
import TextEncoder
import _TestSupport

/// Decoding transformers' `CLIPTextConfig` JSON, its defaults, validation and the presets.
struct CLIPTextConfigurationTests {
    static func decode(_ json: String) throws -> CLIPTextConfiguration {
        try JSONDecoder().decode(CLIPTextConfiguration.self, from: Data(json.utf8))
    }

    @Test("decodes the config.json transformers wrote for the fixtures")
    func decodesFixtures() throws {
        let sd15 = try TextEncoderFixtures.sd15Configuration()
        #expect(sd15 == CLIPTextConfiguration(
            vocabularySize: 1000, hiddenSize: 32, intermediateSize: 64, layerCount: 3, attentionHeadCount: 4,
            maximumPositions: 77, hiddenActivation: .quickGELU, layerNormEpsilon: 1e-5, projectionDimension: 32,
            architectures: ["CLIPTextModel"], eosTokenID: 999))
        let sd21 = try CLIPTextConfiguration(
            contentsOf: TextEncoderFixtures.folder(TextEncoderFixtures.sd21).appendingPathComponent("config.json"))
        #expect(sd21.hiddenActivation == .gelu)
        #expect(sd21.hiddenSize == 48)
        #expect(sd21.headDimension == 12)
    }

    @Test("absent keys take CLIPTextConfig's defaults")
    func defaults() throws {
        let configuration = try Self.decode(#"{"hidden_size": 768, "num_attention_heads": 12}"#)
        #expect(configuration.vocabularySize == 49408)
        #expect(configuration.intermediateSize == 2048)
        #expect(configuration.layerCount == 12)
        #expect(configuration.maximumPositions == 77)
        #expect(configuration.hiddenActivation == .quickGELU)
        #expect(configuration.layerNormEpsilon == 1e-5)
        #expect(configuration.architectures == nil)
    }

    @Test("an unknown hidden_act is a typed error listing the supported ones")
    func unknownActivation() {
        #expect(throws: TextEncoderError.invalidConfiguration(
            key: "hidden_act", value: "relu",
            reason: "unsupported activation; supported: gelu, gelu_pytorch_tanh, quick_gelu, silu", path: nil)) {
            try Self.decode(#"{"hidden_act": "relu"}"#)
        }
    }

    @Test("out-of-range values are typed errors naming the key", arguments: [
        (#"{"hidden_size": 30, "num_attention_heads": 4}"#, "num_attention_heads"),
        (#"{"num_hidden_layers": 0}"#, "num_hidden_layers"),
        (#"{"vocab_size": -1}"#, "vocab_size"),
        (#"{"max_position_embeddings": 0}"#, "max_position_embeddings"),
        (#"{"layer_norm_eps": 0}"#, "layer_norm_eps"),
        (#"{"model_type": "clip"}"#, "model_type"),
        (#"{"architectures": ["CLIPModel"]}"#, "architectures"),
    ])
    func invalidValues(json: String, key: String) {
        do {
            _ = try Self.decode(json)
            Issue.record("\(json) decoded")
        } catch let TextEncoderError.invalidConfiguration(badKey, _, _, _) {
            #expect(badKey == key)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("errors from a file name the file; a wrong JSON type names the key")
    func fileErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clip-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")

        try Data(#"{"hidden_act": "swish"}"#.utf8).write(to: url)
        #expect(throws: TextEncoderError.invalidConfiguration(
            key: "hidden_act", value: "swish",
            reason: "unsupported activation; supported: gelu, gelu_pytorch_tanh, quick_gelu, silu", path: url.path)) {
            try CLIPTextConfiguration(contentsOf: url)
        }
        try Data(#"{"hidden_size": "768"}"#.utf8).write(to: url)
        #expect(throws: TextEncoderError.unreadableConfiguration(path: url.path, reason: "key 'hidden_size': expected Int")) {
            try CLIPTextConfiguration(contentsOf: url)
        }
        try Data("{".utf8).write(to: url)
        #expect(throws: TextEncoderError.unreadableConfiguration(path: url.path, reason: "not valid JSON")) {
            try CLIPTextConfiguration(contentsOf: url)
        }
    }

    @Test("a configuration built in code is validated when a model is built from it")
    func modelValidatesConfiguration() {
        var configuration = CLIPTextConfiguration.sd15
        configuration.attentionHeadCount = 7
        #expect(throws: TextEncoderError.invalidConfiguration(
            key: "num_attention_heads", value: "7", reason: "must divide hidden_size 768", path: nil)) {
            try CLIPTextModel(configuration: configuration, weightSource: RandomWeightSource())
        }
    }

    @Test("presets match the published SD 1.5 and SD 2.1 text encoder configs")
    func presets() {
        let sd15 = CLIPTextConfiguration.sd15
        let sd15Shape: [Int] = [sd15.hiddenSize, sd15.intermediateSize, sd15.layerCount, sd15.attentionHeadCount]
        #expect(sd15Shape == [768, 3072, 12, 12])
        #expect(sd15.hiddenActivation == .quickGELU)
        let sd21 = CLIPTextConfiguration.sd21
        let sd21Shape: [Int] = [sd21.hiddenSize, sd21.intermediateSize, sd21.layerCount, sd21.attentionHeadCount]
        #expect(sd21Shape == [1024, 4096, 23, 16])
        #expect(sd21.hiddenActivation == .gelu)
        for preset in [sd15, sd21] {
            #expect(preset.vocabularySize == 49408 && preset.maximumPositions == 77 && preset.layerNormEpsilon == 1e-5)
        }
    }

    @Test("encoding writes transformers' keys and decodes back to the same configuration")
    func roundTrip() throws {
        let data = try JSONEncoder().encode(CLIPTextConfiguration.sd21)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["hidden_act"] as? String == "gelu")
        #expect(object["num_hidden_layers"] as? Int == 23)
        #expect(object["model_type"] as? String == "clip_text_model")
        #expect(try JSONDecoder().decode(CLIPTextConfiguration.self, from: data) == .sd21)
    }
}
