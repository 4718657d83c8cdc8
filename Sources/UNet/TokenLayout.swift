import Dispatch
import TensorModule

/// Conversions between the NCHW feature maps of the convolutional path and the `[B, H·W, C]` token
/// sequences of the transformer blocks (PyTorch's `permute(0, 2, 3, 1).reshape(...)` and back),
/// done as cache-blocked transposes.
enum TokenLayout {
    /// Side of the square tiles transposed at a time (a 32×32 Float tile is 4 KB).
    static let tile = 32

    /// `[B, C, H, W]` → `[B, H·W, C]`.
    static func tokens(fromNCHW x: Tensor) -> Tensor {
        let (batch, channels) = (x.shape[0], x.shape[1])
        let positions = x.shape[2] * x.shape[3]
        return x.withUnsafeBufferPointer { source in
            Tensor(shape: [batch, positions, channels]) { destination in
                transpose(source.baseAddress!, rows: channels, columns: positions, batch: batch,
                          into: destination.baseAddress!, adding: nil)
            }
        }
    }

    /// `[B, H·W, C]` → `[B, C, H, W]`, adding `residual` (`[B, C, H, W]`) in the same pass.
    static func nchw(fromTokens tokens: Tensor, height: Int, width: Int, adding residual: Tensor) -> Tensor {
        let (batch, positions, channels) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        precondition(positions == height * width && residual.shape == [batch, channels, height, width],
                     "token layout: tokens \(tokens.shape), residual \(residual.shape), \(height)×\(width)")
        return tokens.withUnsafeBufferPointer { source in
            residual.withUnsafeBufferPointer { residualBuffer in
                Tensor(shape: [batch, channels, height, width]) { destination in
                    transpose(source.baseAddress!, rows: positions, columns: channels, batch: batch,
                              into: destination.baseAddress!, adding: residualBuffer.baseAddress!)
                }
            }
        }
    }

    /// For each batch entry, writes the transpose of a `rows × columns` matrix (plus `adding`, laid
    /// out like the output, when given).
    private static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, batch: Int,
                                  into destination: UnsafeMutablePointer<Float>, adding: UnsafePointer<Float>?) {
        let rowTiles = (rows + tile - 1) / tile
        let pointers = UncheckedPointers(source: source, destination: destination, adding: adding)
        concurrentChunks(batch * rowTiles) { range in
            for job in range {
                let b = job / rowTiles, r0 = (job % rowTiles) * tile
                let input = pointers.source + b * rows * columns
                let output = pointers.destination + b * rows * columns
                let extra = pointers.adding.map { $0 + b * rows * columns }
                let r1 = min(rows, r0 + tile)
                var c0 = 0
                while c0 < columns {
                    let c1 = min(columns, c0 + tile)
                    for c in c0..<c1 {
                        let line = output + c * rows
                        if let extra {
                            let extraLine = extra + c * rows
                            for r in r0..<r1 { line[r] = input[r * columns + c] + extraLine[r] }
                        } else {
                            for r in r0..<r1 { line[r] = input[r * columns + c] }
                        }
                    }
                    c0 = c1
                }
            }
        }
    }
}

/// Raw pointers handed to worker threads that write disjoint ranges.
private struct UncheckedPointers: @unchecked Sendable {
    let source: UnsafePointer<Float>
    let destination: UnsafeMutablePointer<Float>
    let adding: UnsafePointer<Float>?
}

/// Runs `body` over `0..<count` split into one contiguous range per configured thread
/// (``ComputeConfiguration/threads``), returning when all are done.
func concurrentChunks(_ count: Int, _ body: @escaping @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let workers = min(ComputeConfiguration.threads, count)
    guard workers > 1 else { return body(0..<count) }
    let chunk = (count + workers - 1) / workers
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let range = (worker * chunk)..<min(count, (worker + 1) * chunk)
        if !range.isEmpty { body(range) }
    }
}
