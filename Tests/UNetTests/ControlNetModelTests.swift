import Foundation
import Testing
import TensorModule
import UNet
import _TestSupport

/// The tiny ControlNet made with `ControlNetModel.from_unet` from the sd15-tiny UNet
/// (`Tests/Fixtures/generators/controlnet.py`), against diffusers' forward pass.
@Suite("ControlNet model")
struct ControlNetModelTests {
    static func model(_ name: String = "controlnet-a") throws -> ControlNetModel {
        try ControlNetModel(folder: Fixtures.path("controlnet/\(name)"))
    }

    @Test("The config decodes the encoder half and the ControlNet's own keys")
    func configuration() throws {
        let c = try Self.model().configuration
        #expect(c.unet.blockOutChannels == [16, 32])
        #expect(c.unet.crossAttentionDim == 32)
        #expect(c.unet.downBlockTypes == [.crossAttention, .resnet])
        #expect(c.conditioningEmbeddingChannels == [8, 8, 16, 16])
        #expect(c.conditioningChannels == 3 && c.channelOrder == .rgb)
        #expect(c.residualCount == 6 && c.imageScaleFactor == 8)
    }

    /// Residuals against diffusers' `ControlNetModel.forward` (fp16 weights computed in float32 on
    /// both sides) at conditioning scale 0.7. Tolerance 2e-5 absolute, the UNet parity tolerance
    /// (UNetParityTests): the ControlNet runs the same blocks plus four plain convolutions on the
    /// control image and seven 1×1 convolutions, all float32 with different summation order.
    @Test("Residuals match diffusers")
    func residualParity() throws {
        let file = try Fixtures.safetensors("controlnet/residuals.safetensors")
        let residuals = try Self.model().residuals(
            latents: try file.tensor(named: "input/latents"), timestep: 481, context: try file.tensor(named: "input/context"),
            controlImage: try file.tensor(named: "input/image"), scale: 0.7)
        #expect(residuals.down.count == 6)
        for (index, tensor) in residuals.down.enumerated() {
            let comparison = Comparison(tensor, try file.tensor(named: "down.\(index)"))
            #expect(comparison.shapesMatch && comparison.maxAbsoluteError <= 2e-5, "down.\(index): \(comparison)")
        }
        let mid = Comparison(residuals.mid, try file.tensor(named: "mid"))
        #expect(mid.shapesMatch && mid.maxAbsoluteError <= 2e-5, "mid: \(mid)")
        // Not trivially zero: the zero convolutions were re-randomised.
        #expect(residuals.mid.scalars.map(abs).max() ?? 0 > 0.1)
    }

    @Test("A control image of the wrong size or channels is a typed error")
    func imageErrors() throws {
        let file = try Fixtures.safetensors("controlnet/residuals.safetensors")
        let model = try Self.model()
        let latents = try file.tensor(named: "input/latents"), context = try file.tensor(named: "input/context")
        for shape in [[2, 3, 32, 32], [2, 1, 64, 64], [1, 3, 64, 64]] {
            #expect(throws: UNetError.self) {
                try model.residuals(latents: latents, timestep: 1, context: context, controlImage: Tensor.zeros(shape), scale: 1)
            }
            do {
                _ = try model.residuals(latents: latents, timestep: 1, context: context, controlImage: Tensor.zeros(shape), scale: 1)
            } catch {
                #expect("\(error)".contains("controlImage") && "\(error)".contains("[2, 3, 64, 64]"), "\(error)")
            }
        }
    }

    @Test("SDXL, pooled-condition and other ControlNet classes are rejected by name")
    func unsupportedConfigurations() throws {
        let base = try String(contentsOfFile: Fixtures.path("controlnet/controlnet-a/config.json"), encoding: .utf8)
        let cases: [(String, String, String)] = [
            ("\"addition_embed_type\": null", "\"addition_embed_type\": \"text_time\"", "addition_embed_type"),
            ("\"global_pool_conditions\": false", "\"global_pool_conditions\": true", "global_pool_conditions"),
            ("\"_class_name\": \"ControlNetModel\"", "\"_class_name\": \"ControlNetXSAdapter\"", "_class_name"),
        ]
        for (from, to, key) in cases {
            #expect(base.contains(from))
            let edited = Data(base.replacingOccurrences(of: from, with: to).utf8)
            let error = #expect(throws: UNetError.self) { try ControlNetConfiguration(jsonData: edited) }
            guard case .unsupportedConfiguration(let found, _, _)? = error else {
                Issue.record("\(key): \(String(describing: error))")
                continue
            }
            #expect(found == key)
        }
    }
}
