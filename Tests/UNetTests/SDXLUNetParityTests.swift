import Testing
import UNet
import _TestSupport

/// SDXL's UNet (levels without attention, per-level transformer depths, linear projections and the
/// `text_time` additional embedding of a pooled text embedding and six time ids) against diffusers'
/// `UNet2DConditionModel` on the tiny SDXL-like model of `Tests/Fixtures/generators/sdxl.py`
/// (`pipeline/sdxl-tiny/unet`, fp16 weights file, computed in float32 on both sides).
///
/// Tolerance: the same float32 summation-order argument and bound as ``UNetParityTests`` (max |Δ| ≤ 2e-5
/// on outputs of magnitude ≈ 2.5); measured max |Δ| 1.7e-6–2.3e-6. A wrong
/// time-id embedding (sin/cos order, a missing id) or pooled/time-id order changes the time embedding of
/// every resnet and shows as errors of order 0.1–1.
@Suite("SDXL UNet parity with diffusers")
struct SDXLUNetParityTests {
    static let folder = Fixtures.path("pipeline/sdxl-tiny/unet")

    /// [2,4,8,8] t=999 with the default ids; [2,4,6,10] t=541.25 with different ids per batch entry
    /// (a 1024×768 original size and a (16, 32) crop); [2,4,7,5] t=1.
    @Test("Tiny SDXL-like UNet (fp16 file)", arguments: 0..<3)
    func sdxl(caseIndex: Int) throws {
        let model = try UNet2DConditionModel(folder: Self.folder)
        #expect(model.configuration.additionEmbedType == .textTime)
        #expect(model.configuration.downBlockTypes == [.resnet, .crossAttention, .crossAttention])
        let file = try Fixtures.safetensors("sdxl/unet_cases.safetensors")
        let latents = try file.tensor(named: "latents_\(caseIndex)")
        let conditioning = DenoiserConditioning(context: try file.tensor(named: "text_\(caseIndex)"),
                                                pooledTextEmbedding: try file.tensor(named: "pooled_\(caseIndex)"),
                                                timeIDs: try file.tensor(named: "time_ids_\(caseIndex)"))
        let output = try model.predictNoise(latents: latents, timestep: Double(try file.tensor(named: "timesteps")[caseIndex]),
                                            conditioning: conditioning)
        let comparison = Comparison(output, try file.tensor(named: "output_\(caseIndex)"))
        #expect(comparison.shapesMatch && comparison.maxAbsoluteError <= UNetParityTests.tolerance,
                "case \(caseIndex) \(latents.shape): \(comparison)")
    }

    /// The extras are required by a `text_time` model and must fill `add_embedding`'s input exactly.
    @Test("Missing or misshapen pooled embedding / time ids are errors naming the input")
    func rejectsBadExtras() throws {
        let model = try UNet2DConditionModel(folder: Self.folder)
        let file = try Fixtures.safetensors("sdxl/unet_cases.safetensors")
        let latents = try file.tensor(named: "latents_0"), text = try file.tensor(named: "text_0")
        let pooled = try file.tensor(named: "pooled_0"), ids = try file.tensor(named: "time_ids_0")
        func parameter(_ body: () throws -> Tensor) -> String? {
            do { _ = try body(); return nil } catch let error as UNetError {
                if case .invalidInput(let parameter, _) = error { return parameter }
                return "\(error)"
            } catch { return "\(error)" }
        }
        #expect(parameter { try model.predictNoise(latents: latents, timestep: 1, textEmbeddings: text) } == "pooledTextEmbedding")
        func predict(_ pooled: Tensor?, _ ids: Tensor?) throws -> Tensor {
            try model.predictNoise(latents: latents, timestep: 1,
                                   conditioning: DenoiserConditioning(context: text, pooledTextEmbedding: pooled, timeIDs: ids))
        }
        #expect(parameter { try predict(pooled, nil) } == "timeIDs")
        // Five ids (the refiner's layout) do not fit a model built for six.
        let fiveIDs = try ids.slice(axis: 1, 0..<5)
        #expect(parameter { try predict(pooled, fiveIDs) } == "timeIDs")
        let narrowPooled = try pooled.slice(axis: 1, 0..<15)
        #expect(parameter { try predict(narrowPooled, ids) } == "pooledTextEmbedding")
        let sd1 = try UNet2DConditionModel(folder: Fixtures.path("unet/sd1_tiny"))
        let sd1File = try Fixtures.safetensors("unet/sd1_cases.safetensors")
        let sd1Conditioning = DenoiserConditioning(context: try sd1File.tensor(named: "text_0"),
                                                   pooledTextEmbedding: pooled, timeIDs: ids)
        #expect(parameter { try sd1.predictNoise(latents: try sd1File.tensor(named: "latents_0"), timestep: 1,
                                                 conditioning: sd1Conditioning) } == "pooledTextEmbedding/timeIDs")
    }
}
