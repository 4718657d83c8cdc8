/// Tiled decoding and encoding for images too large to process at once, as diffusers' `enable_tiling()`
/// does (`AutoencoderKL.tiled_decode`, `_tiled_encode`, `blend_v`, `blend_h`).
///
/// The input is cut into square tiles that overlap by ``overlapFactor`` of a tile; each tile goes
/// through the network on its own, so memory is bounded by one tile's activations whatever the image
/// size. Each tile is blended into its upper and left neighbours over the overlap with linear ramps so
/// no seams show, then cropped and joined. The result matches diffusers' tiled output, not the untiled
/// one: each tile normalises and attends within itself.
///
/// Tiling applies only when the input is larger than one tile (diffusers' rule: latent side >
/// latent tile for decoding, image side > ``tileSize`` for encoding).
public struct VAETiling: Sendable, Equatable {
    /// Side of an image tile in pixels (diffusers' `tile_sample_min_size`); the latent tile is this
    /// divided by the VAE's downsampling factor (`tile_latent_min_size`). Must be a multiple of that
    /// factor.
    public var tileSize: Int
    /// Fraction of a tile shared with each neighbour (diffusers' `tile_overlap_factor`), in [0, 1).
    public var overlapFactor: Double

    /// Creates tiling options.
    ///
    /// - Parameters:
    ///   - tileSize: Image tile side in pixels.
    ///   - overlapFactor: Overlap fraction, 0.25 as in diffusers.
    public init(tileSize: Int, overlapFactor: Double = 0.25) {
        self.tileSize = tileSize
        self.overlapFactor = overlapFactor
    }

    /// diffusers' defaults for a model: tiles of `sample_size` pixels (512 for SD 1.5, 768 for SD 2.1),
    /// overlap 0.25.
    public static func `default`(for configuration: AutoencoderKLConfiguration) -> VAETiling {
        VAETiling(tileSize: configuration.sampleSize)
    }
}

/// How one tiled pass cuts its input and joins its outputs, in diffusers' arithmetic.
struct TilePlan: Equatable {
    /// Input tile side.
    var inputTile: Int
    /// Distance between tile origins in the input (`overlap_size`).
    var inputStep: Int
    /// Rows / columns blended with the neighbour in the output (`blend_extent`).
    var outputBlend: Int
    /// Side of the part of each output tile kept (`row_limit`).
    var outputKeep: Int

    /// The plan of a tiled decode (input: latents).
    static func decoding(_ tiling: VAETiling, downsamplingFactor: Int) throws(VAEError) -> TilePlan {
        let (sampleTile, latentTile) = try sizes(tiling, downsamplingFactor)
        let blend = Int(Double(sampleTile) * tiling.overlapFactor)
        let plan = TilePlan(inputTile: latentTile, inputStep: Int(Double(latentTile) * (1 - tiling.overlapFactor)),
                            outputBlend: blend, outputKeep: sampleTile - blend)
        // Kept output must be exactly one step of input, or the joined image would not be h·factor.
        guard plan.inputStep >= 1, plan.outputKeep == plan.inputStep * downsamplingFactor else {
            throw .invalidTiling(parameter: "overlapFactor", value: "\(tiling.overlapFactor)",
                                 reason: "with tileSize \(tiling.tileSize) the latent step (\(plan.inputStep)) times \(downsamplingFactor) must equal the kept pixels (\(plan.outputKeep)); use 0.25 with a tile size that is a multiple of \(4 * downsamplingFactor)")
        }
        return plan
    }

    /// The plan of a tiled encode (input: images).
    static func encoding(_ tiling: VAETiling, downsamplingFactor: Int) throws(VAEError) -> TilePlan {
        let (sampleTile, latentTile) = try sizes(tiling, downsamplingFactor)
        let blend = Int(Double(latentTile) * tiling.overlapFactor)
        let plan = TilePlan(inputTile: sampleTile, inputStep: Int(Double(sampleTile) * (1 - tiling.overlapFactor)),
                            outputBlend: blend, outputKeep: latentTile - blend)
        guard plan.inputStep >= 1, plan.outputKeep * downsamplingFactor == plan.inputStep else {
            throw .invalidTiling(parameter: "overlapFactor", value: "\(tiling.overlapFactor)",
                                 reason: "with tileSize \(tiling.tileSize) the kept latents (\(plan.outputKeep)) times \(downsamplingFactor) must equal the pixel step (\(plan.inputStep)); use 0.25 with a tile size that is a multiple of \(4 * downsamplingFactor)")
        }
        return plan
    }

    private static func sizes(_ tiling: VAETiling, _ factor: Int) throws(VAEError) -> (sample: Int, latent: Int) {
        guard tiling.tileSize >= factor, tiling.tileSize % factor == 0 else {
            throw .invalidTiling(parameter: "tileSize", value: "\(tiling.tileSize)",
                                 reason: "must be a positive multiple of the downsampling factor \(factor)")
        }
        guard tiling.overlapFactor >= 0, tiling.overlapFactor < 1 else {
            throw .invalidTiling(parameter: "overlapFactor", value: "\(tiling.overlapFactor)", reason: "must be in [0, 1)")
        }
        return (tiling.tileSize, tiling.tileSize / factor)
    }
}
