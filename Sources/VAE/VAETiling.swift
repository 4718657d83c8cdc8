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

enum TiledProcessing {
    /// Runs `process` over overlapping tiles of `input` `[N, C, H, W]` and joins the blended outputs,
    /// exactly as diffusers' `tiled_decode` / `_tiled_encode`: tiles start every `inputStep` (the last
    /// ones may be smaller); each output tile is first blended with the (already blended) tile above,
    /// then with the (already blended) tile to its left, then cropped to `outputKeep`.
    ///
    /// Only the previous row of output tiles is kept, so memory is one tile's processing plus two rows
    /// of (small) output tiles and the result.
    static func run(_ input: Tensor, plan: TilePlan,
                    process: (Tensor) throws(VAEError) -> Tensor) throws(VAEError) -> Tensor {
        let (height, width) = (input.shape[2], input.shape[3])
        let rowStarts = Array(stride(from: 0, to: height, by: plan.inputStep))
        let columnStarts = Array(stride(from: 0, to: width, by: plan.inputStep))
        var rowAbove: [Tensor] = []
        var bands: [Tensor] = []
        for top in rowStarts {
            let band = try wrappingTensorErrors { () throws(TensorError) in
                try input.slice(axis: 2, top..<Swift.min(top + plan.inputTile, height))
            }
            var row: [Tensor] = []
            for (column, left) in columnStarts.enumerated() {
                let tile = try wrappingTensorErrors { () throws(TensorError) in
                    try band.slice(axis: 3, left..<Swift.min(left + plan.inputTile, width))
                }
                var output = try process(tile)
                if !rowAbove.isEmpty { blendVertically(from: rowAbove[column], into: &output, extent: plan.outputBlend) }
                if column > 0 { blendHorizontally(from: row[column - 1], into: &output, extent: plan.outputBlend) }
                row.append(output)
            }
            let kept = try wrappingTensorErrors { () throws(TensorError) in
                try row.map { (tile) throws(TensorError) in
                    try tile.slice(axis: 2, 0..<Swift.min(plan.outputKeep, tile.shape[2]))
                        .slice(axis: 3, 0..<Swift.min(plan.outputKeep, tile.shape[3]))
                }
            }
            bands.append(try wrappingTensorErrors { () throws(TensorError) in try Tensor.concatenate(kept, axis: 3) })
            rowAbove = row
        }
        return try wrappingTensorErrors { () throws(TensorError) in try Tensor.concatenate(bands, axis: 2) }
    }

    /// diffusers' `blend_v`: the first `e` rows of `tile` become a linear mix of the last `e` rows of
    /// `above` (weight `1 − y/e`) and themselves (weight `y/e`).
    static func blendVertically(from above: Tensor, into tile: inout Tensor, extent: Int) {
        let e = Swift.min(above.shape[2], tile.shape[2], extent)
        guard e > 0 else { return }
        precondition(above.shape[0] == tile.shape[0] && above.shape[1] == tile.shape[1] && above.shape[3] == tile.shape[3],
                     "tiles of one column share their width")
        let (planes, width) = (tile.shape[0] * tile.shape[1], tile.shape[3])
        let (aboveHeight, tileHeight) = (above.shape[2], tile.shape[2])
        let weights = rampWeights(e)
        above.withUnsafeBufferPointer { a in
            tile.withUnsafeMutableBufferPointer { b in
                for plane in 0..<planes {
                    for y in 0..<e {
                        let source = plane * aboveHeight * width + (aboveHeight - e + y) * width
                        let target = plane * tileHeight * width + y * width
                        let (keep, take) = weights[y]
                        for x in 0..<width { b[target + x] = a[source + x] * keep + b[target + x] * take }
                    }
                }
            }
        }
    }

    /// diffusers' `blend_h`: the same as ``blendVertically(from:into:extent:)`` over columns.
    static func blendHorizontally(from left: Tensor, into tile: inout Tensor, extent: Int) {
        let e = Swift.min(left.shape[3], tile.shape[3], extent)
        guard e > 0 else { return }
        precondition(left.shape[0] == tile.shape[0] && left.shape[1] == tile.shape[1] && left.shape[2] == tile.shape[2],
                     "tiles of one row share their height")
        let rows = tile.shape[0] * tile.shape[1] * tile.shape[2]
        let (leftWidth, tileWidth) = (left.shape[3], tile.shape[3])
        let weights = rampWeights(e)
        left.withUnsafeBufferPointer { a in
            tile.withUnsafeMutableBufferPointer { b in
                for row in 0..<rows {
                    let source = row * leftWidth + leftWidth - e, target = row * tileWidth
                    for x in 0..<e {
                        let (keep, take) = weights[x]
                        b[target + x] = a[source + x] * keep + b[target + x] * take
                    }
                }
            }
        }
    }

    /// `(1 − i/e, i/e)` computed in Double and rounded to Float, as torch rounds a Python float
    /// multiplier of a float32 tensor.
    private static func rampWeights(_ e: Int) -> [(Float, Float)] {
        (0..<e).map { i in (Float(1 - Double(i) / Double(e)), Float(Double(i) / Double(e))) }
    }
}
