import Testing
import TensorModule
import UNet
import _TestSupport

/// The conditioning value's inputs beyond the text context, on the tiny SD 1.x-like UNet
/// (`Tests/Fixtures/generators/unet_conditioning.py`), and the value's batching helpers.
@Suite("Denoiser conditioning")
struct DenoiserConditioningTests {
    static func model() throws -> UNet2DConditionModel {
        try UNet2DConditionModel(folder: Fixtures.path("unet/sd1_tiny"))
    }

    /// Residuals against diffusers' `down_block_additional_residuals` / `mid_block_additional_residual`.
    /// Tolerance: the UNet parity tolerance (2e-5, justified in UNetParityTests); the residuals only
    /// add 13 element-wise sums to the same computation.
    @Test("ControlNet residuals match diffusers")
    func residualParity() throws {
        let file = try Fixtures.safetensors("unet/residual_cases.safetensors")
        let down = try (0..<12).map { try file.tensor(named: "down_\($0)") }
        let conditioning = DenoiserConditioning(context: try file.tensor(named: "text"),
                                                controlResiduals: ControlResiduals(down: down, mid: try file.tensor(named: "mid")))
        let latents = try file.tensor(named: "latents")
        let timestep = Double(try file.tensor(named: "timestep")[0])
        let output = try Self.model().predictNoise(latents: latents, timestep: timestep, conditioning: conditioning)
        let comparison = Comparison(output, try file.tensor(named: "output"))
        #expect(comparison.shapesMatch && comparison.maxAbsoluteError <= 2e-5, "\(comparison)")
        // The residuals matter: the plain output is far from the residual one.
        let plain = try Self.model().predictNoise(latents: latents, timestep: timestep, textEmbeddings: try file.tensor(named: "text"))
        #expect(Comparison(plain, try file.tensor(named: "output_plain")).maxAbsoluteError <= 2e-5)
        #expect(Comparison(plain, try file.tensor(named: "output")).maxAbsoluteError > 1e-2)
    }

    @Test("Residuals of the wrong count or shape are typed errors naming the tensor")
    func residualErrors() throws {
        let file = try Fixtures.safetensors("unet/residual_cases.safetensors")
        let model = try Self.model()
        let latents = try file.tensor(named: "latents"), text = try file.tensor(named: "text")
        var down = try (0..<12).map { try file.tensor(named: "down_\($0)") }
        let mid = try file.tensor(named: "mid")
        let short = DenoiserConditioning(context: text, controlResiduals: ControlResiduals(down: Array(down.dropLast()), mid: mid))
        #expect(throws: UNetError.invalidInput(parameter: "controlResiduals.down", details: "11 tensors; expected 12 (one per skip connection)")) {
            try model.predictNoise(latents: latents, timestep: 1, conditioning: short)
        }
        down[3] = Tensor.zeros([2, 16, 3, 3])
        let misshapen = DenoiserConditioning(context: text, controlResiduals: ControlResiduals(down: down, mid: mid))
        #expect(throws: UNetError.self) { try model.predictNoise(latents: latents, timestep: 1, conditioning: misshapen) }
        do {
            _ = try model.predictNoise(latents: latents, timestep: 1, conditioning: misshapen)
        } catch {
            #expect("\(error)".contains("controlResiduals.down[3]"))
        }
    }

    /// Extra input channels are the latents' continuation: splitting a 4-channel input into 2 latent
    /// channels + 2 extra ones must give exactly the same prediction (the same concatenated tensor
    /// reaches `conv_in`), which is how inpainting's mask and masked-image latents enter.
    @Test("Extra input channels are concatenated after the latents")
    func extraChannels() throws {
        let file = try Fixtures.safetensors("unet/residual_cases.safetensors")
        let model = try Self.model()
        let latents = try file.tensor(named: "latents"), text = try file.tensor(named: "text")
        let parts = try latents.chunked(2, axis: 1)
        let split = try model.predictNoise(latents: parts[0], timestep: 421,
                                           conditioning: DenoiserConditioning(context: text, extraInputChannels: parts[1]))
        let whole = try model.predictNoise(latents: latents, timestep: 421, textEmbeddings: text)
        #expect(split.scalars == whole.scalars)
        // Channel counts that do not add up to in_channels, and a mismatched spatial size, are errors.
        #expect(throws: UNetError.self) {
            try model.predictNoise(latents: latents, timestep: 421, conditioning: DenoiserConditioning(context: text, extraInputChannels: parts[1]))
        }
        let wrongSize = Tensor.zeros([2, 2, 4, 4])
        #expect(throws: UNetError.self) {
            try model.predictNoise(latents: parts[0], timestep: 421, conditioning: DenoiserConditioning(context: text, extraInputChannels: wrongSize))
        }
    }

    @Test("A pooled embedding for a UNet without an addition embedding is an error, not ignored")
    func unusedPooled() throws {
        let file = try Fixtures.safetensors("unet/residual_cases.safetensors")
        let conditioning = DenoiserConditioning(context: try file.tensor(named: "text"), pooledTextEmbedding: Tensor.zeros([2, 8]))
        #expect(throws: UNetError.self) {
            try Self.model().predictNoise(latents: try file.tensor(named: "latents"), timestep: 1, conditioning: conditioning)
        }
    }

    @Test("Batching joins every field in order; repeating rows lays out a, a, b, b")
    func batching() throws {
        let a = DenoiserConditioning(context: Tensor(shape: [1, 2, 1], scalars: [1, 2]), timeIDs: Tensor(shape: [1, 1], scalars: [10]))
        let b = DenoiserConditioning(context: Tensor(shape: [1, 2, 1], scalars: [3, 4]), timeIDs: Tensor(shape: [1, 1], scalars: [20]))
        let joined = try DenoiserConditioning.concatenated([a, b])
        #expect(joined.context.shape == [2, 2, 1] && joined.context.scalars == [1, 2, 3, 4])
        #expect(joined.timeIDs?.scalars == [10, 20] && joined.batchSize == 2 && joined.tokenCount == 2)
        let repeated = try joined.repeatingRows(2)
        #expect(repeated.context.scalars == [1, 2, 1, 2, 3, 4, 3, 4] && repeated.timeIDs?.scalars == [10, 10, 20, 20])
        // A field present in only some parts cannot be batched.
        let bare = DenoiserConditioning(context: Tensor(shape: [1, 2, 1], scalars: [5, 6]))
        #expect(throws: UNetError.invalidInput(parameter: "timeIDs", details: "given for 1 of 2 conditionings being batched")) {
            try DenoiserConditioning.concatenated([a, bare])
        }
        #expect(throws: UNetError.self) { try DenoiserConditioning.concatenated([]) }
        #expect(throws: UNetError.self) { try a.repeatingRows(0) }
    }
}
