import Foundation
import Testing
import UNet
import _TestSupport

/// Strict loading: every tensor present with its shape, no tensor left over, the weight file chosen
/// by variant.
@Suite("UNet loading")
struct UNetLoadingTests {
    static func sd1Tensors() throws -> [String: Tensor] {
        let file = try Fixtures.safetensors("unet/sd1_tiny/diffusion_pytorch_model.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames { tensors[name] = try file.tensor(named: name) }
        return tensors
    }

    static func sd1Configuration() throws -> UNetConfiguration {
        try UNetConfiguration(contentsOf: Fixtures.path("unet/sd1_tiny/config.json"))
    }

    static func loadingError(_ tensors: [String: Tensor], configuration: UNetConfiguration) throws -> TensorError? {
        do {
            _ = try UNet2DConditionModel(configuration: configuration, source: DictionaryWeightSource(tensors))
            return nil
        } catch {
            guard case .weights(let underlying) = error else {
                Issue.record("expected a weights error, got \(error)")
                return nil
            }
            return underlying
        }
    }

    @Test("The complete checkpoint loads from memory")
    func completeCheckpoint() throws {
        _ = try UNet2DConditionModel(configuration: Self.sd1Configuration(), source: DictionaryWeightSource(Self.sd1Tensors()))
    }

    @Test("A missing tensor is reported by key")
    func missingTensor() throws {
        var tensors = try Self.sd1Tensors()
        let key = "up_blocks.2.attentions.1.transformer_blocks.0.ff.net.0.proj.weight"
        #expect(tensors.removeValue(forKey: key) != nil)
        let error = try Self.loadingError(tensors, configuration: Self.sd1Configuration())
        guard case .missingWeight(let reported, _)? = error else {
            Issue.record("expected missingWeight, got \(String(describing: error))")
            return
        }
        #expect(reported == key)
    }

    @Test("An unused tensor is reported by key")
    func unusedTensor() throws {
        var tensors = try Self.sd1Tensors()
        tensors["mid_block.attentions.0.transformer_blocks.1.norm1.weight"] = Tensor.zeros([16])
        let error = try Self.loadingError(tensors, configuration: Self.sd1Configuration())
        #expect(error == .unusedWeights(keys: ["mid_block.attentions.0.transformer_blocks.1.norm1.weight"],
                                        source: "in-memory weights"))
    }

    @Test("A misshapen tensor is reported with both shapes")
    func misshapenTensor() throws {
        var tensors = try Self.sd1Tensors()
        tensors["down_blocks.1.attentions.0.proj_in.weight"] = Tensor.zeros([16, 16])
        let error = try Self.loadingError(tensors, configuration: Self.sd1Configuration())
        #expect(error == .weightShapeMismatch(key: "down_blocks.1.attentions.0.proj_in.weight", expected: [16, 16, 1, 1],
                                              actual: [16, 16], source: "in-memory weights"))
    }

    @Test("SD 1.x weights do not load under linear projections")
    func wrongProjectionKind() throws {
        var configuration = try Self.sd1Configuration()
        configuration.useLinearProjection = true
        let error = try Self.loadingError(try Self.sd1Tensors(), configuration: configuration)
        guard case .weightShapeMismatch(let key, _, _, _)? = error else {
            Issue.record("expected weightShapeMismatch, got \(String(describing: error))")
            return
        }
        #expect(key.hasSuffix("proj_in.weight"))
    }

    @Test("Weight files: the variant is honoured, the fp16 file is the fallback, absence is an error")
    func weightFiles() throws {
        #expect(WeightFile.candidates(baseName: "diffusion_pytorch_model", variant: "fp16") == ["diffusion_pytorch_model.fp16.safetensors"])
        // The SD 2.x fixture holds only the fp16 file: found without naming the variant.
        let sd2 = try UNet2DConditionModel(folder: Fixtures.path("unet/sd2_tiny"))
        #expect(sd2.configuration.attentionHeads == [2, 4, 4, 4])
        #expect(throws: UNetError.weightsNotFound(folder: Fixtures.path("unet/sd1_tiny"),
                                                  candidates: ["diffusion_pytorch_model.fp16.safetensors"])) {
            try UNet2DConditionModel(folder: Fixtures.path("unet/sd1_tiny"), variant: "fp16")
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("unet-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try FileManager.default.copyItem(atPath: Fixtures.path("unet/sd1_tiny/config.json"),
                                         toPath: empty.appendingPathComponent("config.json").path)
        #expect(throws: UNetError.weightsNotFound(folder: empty.path, candidates: [
            "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors",
        ])) {
            try UNet2DConditionModel(folder: empty.path)
        }
    }
}

/// Inputs that do not fit the model are typed errors naming the parameter, never traps.
@Suite("UNet inputs")
struct UNetInputTests {
    static let model = Result { try UNet2DConditionModel(folder: Fixtures.path("unet/sd1_tiny")) }

    static func parameter(latents: [Int], timestep: Double = 10, text: [Int]) throws -> String? {
        let model = try model.get()
        do {
            _ = try model.predictNoise(latents: .zeros(latents), timestep: timestep, textEmbeddings: .zeros(text))
            return nil
        } catch {
            guard case .invalidInput(let parameter, _) = error else { return "unexpected \(error)" }
            return parameter
        }
    }

    @Test("Bad shapes and timesteps name the parameter")
    func badInputs() throws {
        #expect(try Self.parameter(latents: [2, 3, 8, 8], text: [2, 77, 32]) == "latents")
        #expect(try Self.parameter(latents: [4, 8, 8], text: [2, 77, 32]) == "latents")
        #expect(try Self.parameter(latents: [2, 4, 0, 8], text: [2, 77, 32]) == "latents")
        #expect(try Self.parameter(latents: [2, 4, 8, 8], text: [1, 77, 32]) == "textEmbeddings")
        #expect(try Self.parameter(latents: [2, 4, 8, 8], text: [2, 77, 768]) == "textEmbeddings")
        #expect(try Self.parameter(latents: [2, 4, 8, 8], text: [2, 0, 32]) == "textEmbeddings")
        #expect(try Self.parameter(latents: [2, 4, 8, 8], timestep: .nan, text: [2, 77, 32]) == "timestep")
    }

    @Test("Tiny latents (1×1, 1×3) run: every level keeps at least one pixel")
    func tinyLatents() throws {
        let model = try Self.model.get()
        for shape in [[1, 4, 1, 1], [1, 4, 1, 3]] {
            let output = try model.predictNoise(latents: .zeros(shape), timestep: 500, textEmbeddings: .zeros([1, 5, 32]))
            #expect(output.shape == shape)
            #expect(output.scalars.allSatisfy { $0.isFinite })
        }
    }
}
