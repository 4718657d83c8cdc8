import Foundation
import Testing
import VAE
import _TestSupport

@Suite("Loading VAE weights strictly")
struct LoadingTests {
    private static func makeVAE(_ tensors: [String: Tensor], configuration: AutoencoderKLConfiguration) throws -> AutoencoderKL {
        let loader = WeightLoader(source: DictionaryWeightSource(tensors))
        let vae = try AutoencoderKL(configuration: configuration, weights: loader.reader())
        try loader.finish()
        return vae
    }

    /// Writes a VAE folder with the fixture's config and the given tensors.
    private static func folder(_ tensors: [String: Tensor], fileName: String = "diffusion_pytorch_model.safetensors") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vae-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: VAEFixture.sd15.directory.appendingPathComponent("config.json"),
                                         to: directory.appendingPathComponent("config.json"))
        try SafetensorsWriter.write(tensors, to: directory.appendingPathComponent(fileName).path)
        return directory
    }

    @Test("legacy attention names (query/key/value/proj_attn) and 1×1-conv shapes load as to_q/to_k/to_v/to_out.0")
    func legacyAttention() throws {
        let original = try VAEFixture.sd15.weights()
        var legacy = original
        let renames = ["to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"]
        for half in ["encoder", "decoder"] {
            let prefix = "\(half).mid_block.attentions.0"
            for (current, old) in renames {
                let removedWeight = legacy.removeValue(forKey: "\(prefix).\(current).weight")
                let removedBias = legacy.removeValue(forKey: "\(prefix).\(current).bias")
                let weight = try #require(removedWeight), bias = try #require(removedBias)
                // The decoder's as 1×1 convolutions [C, C, 1, 1], the encoder's as linear [C, C].
                legacy["\(prefix).\(old).weight"] = half == "decoder" ? weight.reshaped(weight.shape + [1, 1]) : weight
                legacy["\(prefix).\(old).bias"] = bias
            }
        }
        #expect(legacy["decoder.mid_block.attentions.0.query.weight"]?.shape == [16, 16, 1, 1])
        let configuration = try VAEFixture.sd15.load().configuration
        let reference = try Self.makeVAE(original, configuration: configuration)
        let converted = try Self.makeVAE(legacy, configuration: configuration)
        let latents = try VAEFixture.sd15.reference("decode.latents")
        #expect(try converted.decode(latents: latents).scalars == reference.decode(latents: latents).scalars)
        let image = try VAEFixture.sd15.reference("encode.image")
        #expect(try converted.encode(image: image, random: nil).scalars == reference.encode(image: image, random: nil).scalars)
    }

    @Test("a checkpoint with both current and legacy attention names leaves the legacy ones unused")
    func legacyAndCurrent() throws {
        var tensors = try VAEFixture.sd15.weights()
        tensors["decoder.mid_block.attentions.0.query.weight"] = Tensor.zeros([16, 16])
        let configuration = try VAEFixture.sd15.load().configuration
        #expect(throws: TensorError.unusedWeights(keys: ["decoder.mid_block.attentions.0.query.weight"], source: "in-memory weights")) {
            try Self.makeVAE(tensors, configuration: configuration)
        }
    }

    @Test("an unexpected tensor in the folder is an error naming it")
    func unusedKey() throws {
        var tensors = try VAEFixture.sd15.weights()
        tensors["decoder.extra.weight"] = Tensor.zeros([2])
        let directory = try Self.folder(tensors)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            try AutoencoderKL(directory: directory)
        } throws: { error in
            guard case .tensor(.unusedWeights(let keys, _)) = error as? VAEError else { return false }
            return keys == ["decoder.extra.weight"]
        }
        // Loading one half ignores the other half's keys, but not strangers.
        #expect(throws: VAEError.self) { try VAEDecoder(directory: directory) }
        #expect(throws: Never.self) { try VAEEncoder(directory: directory) }
    }

    @Test("a missing or misshapen tensor is an error naming it")
    func missingAndMisshapen() throws {
        var tensors = try VAEFixture.sd15.weights()
        tensors.removeValue(forKey: "decoder.conv_out.bias")
        tensors["encoder.conv_in.weight"] = Tensor.zeros([8, 3, 1, 1])
        let directory = try Self.folder(tensors)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            try VAEDecoder(directory: directory)
        } throws: { error in
            guard case .tensor(.missingWeight(let key, _)) = error as? VAEError else { return false }
            return key == "decoder.conv_out.bias"
        }
        #expect {
            try VAEEncoder(directory: directory)
        } throws: { error in
            guard case .tensor(.weightShapeMismatch(let key, let expected, let actual, _)) = error as? VAEError else { return false }
            return key == "encoder.conv_in.weight" && expected == [8, 3, 3, 3] && actual == [8, 3, 1, 1]
        }
    }

    @Test("one half loads alone from a folder and matches the full model")
    func halves() throws {
        let full = try VAEFixture.sd15.load()
        let decoder = try VAEDecoder(directory: VAEFixture.sd15.directory)
        let encoder = try VAEEncoder(directory: VAEFixture.sd15.directory)
        let latents = try VAEFixture.sd15.reference("decode.latents")
        #expect(try decoder.decode(latents: latents).scalars == full.decode(latents: latents).scalars)
        let image = try VAEFixture.sd15.reference("encode.image")
        #expect(try encoder.encode(image: image, random: nil).scalars == full.encode(image: image, random: nil).scalars)
    }

    @Test("weights file lookup: plain name, fp16 fallback, explicit variant")
    func weightFileNames() throws {
        // sd21-tiny only has the fp16 file: found without a variant.
        #expect(throws: Never.self) { try AutoencoderKL(directory: VAEFixture.sd21.directory) }
        #expect {
            try AutoencoderKL(directory: VAEFixture.sd15.directory, variant: "fp16")
        } throws: { error in
            guard case .weightsNotFound(_, let lookedFor) = error as? VAEError else { return false }
            return lookedFor == ["diffusion_pytorch_model.fp16.safetensors"]
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("vae-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect {
            try AutoencoderKL(directory: empty)
        } throws: { error in
            guard case .configurationUnreadable(let path, _) = error as? VAEError else { return false }
            return path.hasSuffix("config.json")
        }
        try FileManager.default.copyItem(at: VAEFixture.sd15.directory.appendingPathComponent("config.json"),
                                         to: empty.appendingPathComponent("config.json"))
        #expect(throws: VAEError.weightsNotFound(directory: empty.path, lookedFor: [
            "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"])) {
            try AutoencoderKL(directory: empty)
        }
    }

    @Test("bad inputs are typed errors, not crashes")
    func badInputs() throws {
        let vae = try VAEFixture.sd15.load()
        #expect(throws: VAEError.invalidInput(parameter: "latents", shape: [1, 3, 4, 4],
                                              expected: "[N, 4, h, w] with N, h, w ≥ 1")) {
            try vae.decode(latents: Tensor.zeros([1, 3, 4, 4]))
        }
        #expect(throws: VAEError.self) { try vae.decode(unscaledLatents: Tensor.zeros([4, 4, 4])) }
        #expect(throws: VAEError.self) { try vae.encode(image: Tensor.zeros([1, 4, 16, 16]), random: nil) }
        #expect(throws: VAEError.self) { try vae.encode(image: Tensor.zeros([1, 3, 7, 16]), random: nil) }
        let posterior = try vae.posterior(image: VAEFixture.sd15.reference("encode.image"))
        #expect(throws: VAEError.noiseShapeMismatch(expected: [2, 4, 5, 7], actual: [3])) {
            try posterior.sample(using: RecordedNoise([Tensor.zeros([3])]))
        }
        #expect(throws: VAEError.self) { try DiagonalGaussianDistribution(moments: Tensor.zeros([1, 3, 2, 2])) }
    }

    @Test("the log-variance is clamped to [-30, 20] as diffusers clamps it")
    func clamp() throws {
        let moments = Tensor(shape: [1, 2, 1, 2], scalars: [0.5, -1, -50, 40])
        let posterior = try DiagonalGaussianDistribution(moments: moments)
        #expect(posterior.logVariance.scalars == [-30, 20])
        #expect(posterior.mode().scalars == [0.5, -1])
        let sample = try posterior.sample(using: RecordedNoise([Tensor(shape: [1, 1, 1, 2], scalars: [1, 1])]))
        #expect(sample.scalars == [0.5 + Float(exp(-15.0)), -1 + Float(exp(10.0))])
    }
}
