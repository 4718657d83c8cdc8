import Foundation
import Layers

/// diffusers' `Timesteps` + `TimestepEmbedding` (`models/embeddings.py`) as SD 1.x/2.x use them: the
/// sinusoidal embedding of the timestep, then `linear_1 → SiLU → linear_2`.
///
/// Does not support `cond_proj` (LCM timestep conditioning) or a post-activation.
struct TimestepEmbedding: Sendable {
    let linear1: Linear
    let linear2: Linear
    let channels: Int
    let flipSinToCos: Bool
    let freqShift: Double

    /// Loads `linear_1` / `linear_2` from a reader scoped to `time_embedding`.
    init(weights: WeightReader, channels: Int, embeddingChannels: Int, flipSinToCos: Bool,
         freqShift: Double) throws(TensorError) {
        linear1 = try Linear(weights: weights.scoped("linear_1"), inFeatures: channels, outFeatures: embeddingChannels)
        linear2 = try Linear(weights: weights.scoped("linear_2"), inFeatures: embeddingChannels, outFeatures: embeddingChannels)
        self.channels = channels
        self.flipSinToCos = flipSinToCos
        self.freqShift = freqShift
    }

    /// The time embedding `[batch, embeddingChannels]`, the same row for every batch entry (diffusers
    /// expands one timestep over the batch).
    func callAsFunction(timestep: Double, batch: Int) throws(TensorError) -> Tensor {
        let row = TimestepEmbedding.sinusoidal(timestep: timestep, channels: channels,
                                               flipSinToCos: flipSinToCos, freqShift: freqShift)
        let input = Tensor(shape: [batch, channels], scalars: Array([[Float]](repeating: row, count: batch).joined()))
        return try linear2(linear1(input).silu())
    }

    /// diffusers' `get_timestep_embedding` for one timestep, with its float32 arithmetic reproduced
    /// step by step: the exponent `float32(−ln 10000) · i / float32(half − shift)`, `exp` in float32,
    /// the timestep rounded to float32 (diffusers calls `.float()` on it) times each frequency, then
    /// `sin`/`cos` in float32. `[sin, cos]`, or `[cos, sin]` with `flipSinToCos`; an odd width gets a
    /// trailing zero.
    static func sinusoidal(timestep: Double, channels: Int, flipSinToCos: Bool, freqShift: Double) -> [Float] {
        let half = channels / 2
        let logPeriod = Float(-Foundation.log(10000.0))
        let divisor = Float(Double(half) - freqShift)
        let time = Float(timestep)
        var embedding = [Float](repeating: 0, count: channels)
        for i in 0..<half {
            let frequency = Foundation.exp(logPeriod * Float(i) / divisor)
            let angle = time * frequency
            let (sine, cosine) = (Foundation.sin(angle), Foundation.cos(angle))
            embedding[i] = flipSinToCos ? cosine : sine
            embedding[half + i] = flipSinToCos ? sine : cosine
        }
        return embedding
    }
}
