/// Runs tiled passes for ``VAEDecoder`` and ``VAEEncoder``: cut, process, blend, join.
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
