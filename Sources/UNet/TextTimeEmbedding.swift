import Layers

/// SDXL's additional embedding, diffusers' `addition_embed_type="text_time"` branch of
/// `UNet2DConditionModel.get_aug_embed` (`models/unets/unet_2d_condition.py`): every time id (original
/// size, crop top-left, target size — or the refiner's aesthetic score) goes through the same sinusoidal
/// embedding as the timestep (`add_time_proj`, a `Timesteps` module with the UNet's `flip_sin_to_cos` and
/// `freq_shift`), the results are concatenated after the pooled text embedding, and `add_embedding`
/// (`linear_1 → SiLU → linear_2`) maps that to the time-embedding width. The UNet adds the result to its
/// time embedding.
///
/// Checkpoint keys: `add_embedding.linear_1.{weight,bias}`, `add_embedding.linear_2.{weight,bias}`;
/// `add_time_proj` has no weights.
struct TextTimeEmbedding: Sendable {
    let linear1: Linear
    let linear2: Linear
    /// Width of each time id's sinusoidal embedding (`addition_time_embed_dim`).
    let timeWidth: Int
    let flipSinToCos: Bool
    let freqShift: Double

    /// Loads `linear_1` / `linear_2` from a reader scoped to `add_embedding`.
    init(weights: WeightReader, inputWidth: Int, timeWidth: Int, embeddingChannels: Int,
         flipSinToCos: Bool, freqShift: Double) throws(TensorError) {
        linear1 = try Linear(weights: weights.scoped("linear_1"), inFeatures: inputWidth, outFeatures: embeddingChannels)
        linear2 = try Linear(weights: weights.scoped("linear_2"), inFeatures: embeddingChannels, outFeatures: embeddingChannels)
        self.timeWidth = timeWidth
        self.flipSinToCos = flipSinToCos
        self.freqShift = freqShift
    }

    /// `add_embedding.linear_1`'s input width: the pooled embedding's width plus `timeWidth` per time id.
    var inputWidth: Int { linear1.inFeatures }

    /// How many time ids a pooled embedding of `pooledWidth` leaves room for, or nil when the remainder
    /// is not a whole number of ids.
    func timeIDCount(pooledWidth: Int) -> Int? {
        let rest = inputWidth - pooledWidth
        return rest >= 0 && rest % timeWidth == 0 ? rest / timeWidth : nil
    }

    /// The embedding to add to the time embedding, `[B, embeddingChannels]`.
    ///
    /// - Parameters:
    ///   - pooled: `[B, P]`, the pooled (projected) text embedding.
    ///   - timeIDs: `[B, n]` with `P + n · timeWidth == inputWidth` (checked by the caller).
    func callAsFunction(pooled: Tensor, timeIDs: Tensor) throws(TensorError) -> Tensor {
        let batch = pooled.shape[0], pooledWidth = pooled.shape[1], count = timeIDs.shape[1]
        let pooledRows = pooled.scalars, ids = timeIDs.scalars
        var input = [Float]()
        input.reserveCapacity(batch * inputWidth)
        for row in 0..<batch {
            input.append(contentsOf: pooledRows[(row * pooledWidth)..<((row + 1) * pooledWidth)])
            for index in 0..<count {
                // diffusers embeds `time_ids.flatten()` as timesteps: each id rounded to float32 and
                // embedded exactly as a timestep would be.
                input.append(contentsOf: TimestepEmbedding.sinusoidal(timestep: Double(ids[row * count + index]),
                                                                      channels: timeWidth, flipSinToCos: flipSinToCos,
                                                                      freqShift: freqShift))
            }
        }
        return try linear2(linear1(Tensor(shape: [batch, inputWidth], scalars: input)).silu())
    }
}
