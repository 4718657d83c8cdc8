import Testing
@testable import UNet
import _TestSupport

/// The sinusoidal timestep embedding against diffusers' `get_timestep_embedding`.
@Suite("Timestep embedding")
struct TimestepEmbeddingTests {
    /// Tolerance 1.5e-4 (values lie in [−1, 1]). The float32 exponent, division and product are
    /// reproduced exactly, but PyTorch's vectorised `exp` is not correctly rounded: for a few
    /// frequencies (2 of SD 1.5's 160) it is 1 ulp away from glibc's `expf`. One ulp of a frequency
    /// f ≤ 1 moves the angle t·f by at most t·f·2⁻²³ ≈ 1.2e-4 at t = 999, and sin/cos by as much;
    /// measured: up to 3.3e-6 on these timesteps. A wrong frequency formula, order or shift gives
    /// errors of order 1.
    @Test("Matches diffusers for flip/shift settings and widths 32, 320 and odd 7",
          arguments: [("flip_shift0_dim32", 32, true, 0.0), ("flip_shift0_dim320", 320, true, 0.0),
                      ("noflip_shift1_dim320", 320, false, 1.0), ("flip_shift0_dim7", 7, true, 0.0)])
    func matchesDiffusers(name: String, channels: Int, flip: Bool, shift: Double) throws {
        let file = try Fixtures.safetensors("unet/timestep_embedding.safetensors")
        let timesteps = try file.tensor(named: "timesteps").scalars
        let expected = try file.tensor(named: name)
        var rows: [Float] = []
        for t in timesteps {
            rows += TimestepEmbedding.sinusoidal(timestep: Double(t), channels: channels, flipSinToCos: flip, freqShift: shift)
        }
        let actual = Tensor(shape: [timesteps.count, channels], scalars: rows)
        let comparison = Comparison(actual, expected)
        #expect(comparison.shapesMatch && comparison.maxAbsoluteError <= 1.5e-4, "\(name): \(comparison)")
    }
}
