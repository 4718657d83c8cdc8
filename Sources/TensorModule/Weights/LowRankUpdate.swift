/// A low-rank change to a layer weight, `scale · up · down` (a LoRA module's delta), added to the
/// weight in float32 each time the layer widens it (``StoredTensor/withFloat32(_:)``).
///
/// Kept unmerged so that a LoRA never needs a float32 copy of the weights it touches (SD 1.5's fp16
/// UNet would grow by 1.6 GB for a LoRA on every attention layer) and never rounds the merged
/// weight back to fp16 (which loses small deltas). The merge costs one GEMM of `rank` depth per use:
/// `out · in · rank` multiply-adds, under 1 % of a layer's own work for the ranks LoRAs use.
public struct LowRankUpdate: Sendable {
    /// `[outFeatures, rank]`: the LoRA's `up` / `lora_B` (a conv's `[out, r, 1, 1]` flattened).
    public let up: Tensor
    /// `[rank, inner]`: the LoRA's `down` / `lora_A`, `inner` being the weight's elements per output
    /// row (`in · kh · kw` for a convolution).
    public let down: Tensor
    /// The factor applied to `up · down` (user scale × alpha / rank).
    public let scale: Float

    /// Checks and wraps the factors.
    ///
    /// - Parameters:
    ///   - up: `[out, rank]`.
    ///   - down: `[rank, inner]`.
    ///   - scale: The factor.
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when the factors do not chain.
    public init(up: Tensor, down: Tensor, scale: Float) throws(TensorError) {
        guard up.rank == 2, down.rank == 2, up.shape[1] == down.shape[0] else {
            throw .shapeMismatch(operation: "LowRankUpdate", details: "up \(up.shape), down \(down.shape)")
        }
        self.up = up
        self.down = down
        self.scale = scale
    }

    /// Output rows of the delta.
    public var rows: Int { up.shape[0] }
    /// Elements per row of the delta.
    public var columns: Int { down.shape[1] }
    /// The rank (inner dimension of the product).
    public var rank: Int { down.shape[0] }

    /// Adds `scale · up[rowRange] · down` to `rowRange.count × columns` float32 values at `destination`.
    func add(rows rowRange: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        guard scale != 0 else { return }
        GEMM.sgemm(.lowRankUpdate, transposeA: false, transposeB: false, m: rowRange.count, n: columns, k: rank,
                   alpha: scale, a: up.pointer + rowRange.lowerBound * rank, lda: rank,
                   b: down.pointer, ldb: columns, beta: 1, c: destination, ldc: columns)
    }

    /// The delta as a tensor of `shape` (for tests and diagnostics).
    ///
    /// - Precondition: `shape` holds `rows · columns` elements.
    public func delta(shape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(shape) == rows * columns, "delta shape \(shape) for \(rows)×\(columns)")
        let out = Tensor.zeros(shape)
        add(rows: 0..<rows, into: out.mutablePointer)
        return out
    }
}
