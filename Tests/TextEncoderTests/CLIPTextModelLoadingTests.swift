import Foundation
import Testing
import TextEncoder
import _TestSupport

/// Strict loading: both key layouts, both file names, and every kind of mismatch named.
struct CLIPTextModelLoadingTests {
    /// The published layout's names without the `text_model.` prefix (the transformers 5 layout).
    static func unprefixed(_ tensors: [String: Tensor]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst("text_model.".count)), $0.value) })
    }

    static func load(_ tensors: [String: Tensor],
                     configuration: CLIPTextConfiguration? = nil) throws -> CLIPTextModel {
        try CLIPTextModel(configuration: configuration ?? TextEncoderFixtures.sd15Configuration(),
                          weightSource: DictionaryWeightSource(tensors, description: "test weights"))
    }

    @Test("a published SD 1.x file (text_model. prefix, int64 position_ids) loads strictly")
    func loadsPublishedLayout() throws {
        let file = try Fixtures.safetensors("\(TextEncoderFixtures.sd15)/model.safetensors")
        // The fixture really has the int64 buffer, which is what this test is about.
        #expect(file.entries["text_model.embeddings.position_ids"]?.dtype == .i64)
        let model = try CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd15))
        #expect(model.configuration.hiddenActivation == .quickGELU)
    }

    @Test("a transformers 5 fp16 variant file (no prefix) loads from the folder without naming the variant")
    func loadsTransformers5Variant() throws {
        let folder = TextEncoderFixtures.folder(TextEncoderFixtures.sd21)
        let file = try Fixtures.safetensors("\(TextEncoderFixtures.sd21)/model.fp16.safetensors")
        #expect(file.entries["embeddings.token_embedding.weight"]?.dtype == .f16)
        let implicit = try CLIPTextModel(folder: folder)
        let explicit = try CLIPTextModel(folder: folder, variant: "fp16")
        let ids = [[1, 2, 3]]
        #expect(try implicit.encode(tokenIDs: ids).scalars == explicit.encode(tokenIDs: ids).scalars)
        #expect(implicit.configuration.hiddenActivation == .gelu)
    }

    @Test("both prefixes give the same model")
    func prefixesAgree() throws {
        let tensors = try TextEncoderFixtures.sd15Tensors()
        let ids = try TextEncoderFixtures.tokenIDs(TextEncoderFixtures.sd15)
        let prefixed = try Self.load(tensors).encode(tokenIDs: ids)
        let bare = try Self.load(Self.unprefixed(tensors)).encode(tokenIDs: ids)
        #expect(prefixed.scalars == bare.scalars)
    }

    @Test("a missing tensor is an error naming it")
    func missingTensor() throws {
        var tensors = try TextEncoderFixtures.sd15Tensors()
        tensors["text_model.encoder.layers.2.mlp.fc2.bias"] = nil
        #expect(throws: TextEncoderError.weights(.missingWeight(key: "text_model.encoder.layers.2.mlp.fc2.bias",
                                                                source: "test weights"))) {
            try Self.load(tensors)
        }
        // Even the tensor the layout is most recognisable by is named in the file's own layout.
        tensors["text_model.embeddings.token_embedding.weight"] = nil
        #expect(throws: TextEncoderError.weights(.missingWeight(key: "text_model.embeddings.token_embedding.weight",
                                                                source: "test weights"))) {
            try Self.load(tensors)
        }
    }

    @Test("a wrongly shaped tensor is an error naming it and both shapes")
    func misshapenTensor() throws {
        var tensors = try TextEncoderFixtures.sd15Tensors()
        tensors["text_model.encoder.layers.0.self_attn.k_proj.weight"] = Tensor.zeros([32, 31])
        #expect(throws: TextEncoderError.weights(.weightShapeMismatch(
            key: "text_model.encoder.layers.0.self_attn.k_proj.weight", expected: [32, 32], actual: [32, 31],
            source: "test weights"))) {
            try Self.load(tensors)
        }
    }

    @Test("an unused tensor is an error naming it, with or without the prefix")
    func unusedTensor() throws {
        var tensors = try TextEncoderFixtures.sd15Tensors()
        tensors["text_model.encoder.layers.3.mlp.fc1.bias"] = Tensor.zeros([64])
        #expect(throws: TextEncoderError.weights(.unusedWeights(keys: ["text_model.encoder.layers.3.mlp.fc1.bias"],
                                                                source: "test weights"))) {
            try Self.load(tensors)
        }
        var bare = Self.unprefixed(try TextEncoderFixtures.sd15Tensors())
        bare["embeddings.extra"] = Tensor.zeros([1])
        #expect(throws: TextEncoderError.weights(.unusedWeights(keys: ["embeddings.extra"], source: "test weights"))) {
            try Self.load(bare)
        }
    }

    @Test("position_ids is the one buffer accepted unused, only under the model's prefix and with its shape")
    func positionIDsBuffer() throws {
        let tensors = try TextEncoderFixtures.sd15Tensors()
        var withBuffer = tensors
        withBuffer["text_model.embeddings.position_ids"] = Tensor.zeros([1, 77])
        _ = try Self.load(withBuffer)
        var bare = Self.unprefixed(tensors)
        bare["embeddings.position_ids"] = Tensor.zeros([1, 77])
        _ = try Self.load(bare)

        var misshapen = tensors
        misshapen["text_model.embeddings.position_ids"] = Tensor.zeros([1, 76])
        #expect(throws: TextEncoderError.weights(.weightShapeMismatch(
            key: "text_model.embeddings.position_ids", expected: [1, 77], actual: [1, 76], source: "test weights"))) {
            try Self.load(misshapen)
        }
        // Another layout's buffer name is not this model's: strict as any other key.
        var misplaced = tensors
        misplaced["embeddings.position_ids"] = Tensor.zeros([1, 77])
        #expect(throws: TextEncoderError.weights(.unusedWeights(keys: ["embeddings.position_ids"], source: "test weights"))) {
            try Self.load(misplaced)
        }
    }

    @Test("CLIPTextModelWithProjection: the projection head is required with its shape, then ignored")
    func projectionHead() throws {
        var configuration = try TextEncoderFixtures.sd15Configuration()
        configuration.architectures = ["CLIPTextModelWithProjection"]
        configuration.projectionDimension = 16
        var tensors = try TextEncoderFixtures.sd15Tensors()
        #expect(throws: TextEncoderError.weights(.missingWeight(key: "text_projection.weight", source: "test weights"))) {
            try Self.load(tensors, configuration: configuration)
        }
        tensors["text_projection.weight"] = Tensor.zeros([16, 32])
        let ids = [[5, 6, 7]]
        let withHead = try Self.load(tensors, configuration: configuration).encode(tokenIDs: ids)
        let plain = try CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd15)).encode(tokenIDs: ids)
        #expect(withHead.scalars == plain.scalars)
        // Without that architecture the head is an unused tensor.
        #expect(throws: TextEncoderError.weights(.unusedWeights(keys: ["text_projection.weight"], source: "test weights"))) {
            try Self.load(tensors)
        }
    }

    @Test("missing files are named with the names looked for")
    func missingFiles() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("text-encoder-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: TextEncoderError.fileNotFound(folder: empty.path, tried: ["config.json"])) {
            try CLIPTextModel(folder: empty)
        }
        try FileManager.default.copyItem(at: TextEncoderFixtures.folder(TextEncoderFixtures.sd15).appendingPathComponent("config.json"),
                                         to: empty.appendingPathComponent("config.json"))
        #expect(throws: TextEncoderError.fileNotFound(folder: empty.path, tried: ["model.safetensors", "model.fp16.safetensors"])) {
            try CLIPTextModel(folder: empty)
        }
        #expect(throws: TextEncoderError.fileNotFound(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd15).path,
                                                      tried: ["model.fp16.safetensors"])) {
            try CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd15), variant: "fp16")
        }
    }

    @Test("random weights build the full-size model without a file (the benchmark's path)")
    func randomWeights() throws {
        var configuration = CLIPTextConfiguration.sd15
        configuration.layerCount = 1 // the full 12 layers would only cost debug-build time
        let model = try CLIPTextModel(configuration: configuration, weightSource: RandomWeightSource(seed: 1))
        let output = try model.encode(tokenIDs: [Array(repeating: 49407, count: 77)])
        #expect(output.shape == [1, 77, 768])
        #expect(output.scalars.allSatisfy { $0.isFinite })
    }
}
