/// Canny edge detection as OpenCV's `cv2.Canny(image, low, high)` computes it with its defaults
/// (`apertureSize=3`, `L2gradient=False`), pixel for pixel: the preprocessor of the Canny ControlNets.
///
/// The image is used as diffusers' and the ControlNet authors' examples pass it,
/// `cv2.Canny(np.array(rgb_image), low, high)`: on a colour image OpenCV does not convert to gray but
/// runs its multi-channel path, so that is what this does (a gray image, R = G = B, gives exactly
/// OpenCV's single-channel result). Per pixel and channel, 3×3 Sobel derivatives in integers with
/// replicated borders (`BORDER_REPLICATE`, what `Canny` passes to `Sobel`), the L1 magnitude
/// `|dx| + |dy|`, the channel with the largest magnitude (the first on ties); non-maximum suppression
/// along the gradient direction quantised with OpenCV's fixed-point `tan 22.5°` test and its asymmetric
/// comparisons (`>` towards one neighbour, `≥` towards the other); hysteresis: a pixel above `low` that
/// survives suppression is an edge when it is 8-connected, through such pixels, to one above `high`.
/// Thresholds are floored to integers (`cvFloor`) and swapped when `low > high`, as OpenCV does.
///
/// Not supported: other aperture sizes, the L2 gradient.
public struct CannyEdgeDetector: Sendable, Equatable {
    /// The lower hysteresis threshold (the smaller of the two given).
    public let lowThreshold: Double
    /// The upper hysteresis threshold (the larger of the two given).
    public let highThreshold: Double

    /// A detector with OpenCV's thresholds. Like `cv2.Canny`, a `low` above `high` is swapped.
    ///
    /// - Parameters:
    ///   - lowThreshold: Gradient magnitude (`|dx| + |dy|` of the Sobel derivatives) above which a
    ///     pixel may continue an edge; 100 by default, diffusers' examples' value.
    ///   - highThreshold: Magnitude above which a pixel starts an edge; 200 by default.
    /// - Throws: ``PipelineError/invalidParameter(name:value:allowed:)`` for a negative or non-finite
    ///   threshold (OpenCV accepts negative ones, which make every flat pixel an edge candidate).
    public init(lowThreshold: Double = 100, highThreshold: Double = 200) throws(PipelineError) {
        for (name, value) in [("cannyLowThreshold", lowThreshold), ("cannyHighThreshold", highThreshold)] {
            guard value.isFinite, value >= 0 else {
                throw .invalidParameter(name: name, value: "\(value)", allowed: "a finite number ≥ 0")
            }
        }
        self.lowThreshold = min(lowThreshold, highThreshold)
        self.highThreshold = max(lowThreshold, highThreshold)
    }

    /// The edges of `image`: white (255) edge pixels on black, in all three channels, the way
    /// diffusers' examples stack `cv2.Canny`'s one-channel output into an RGB control image.
    public func edges(of image: RGBImage) -> RGBImage {
        let (width, height) = (image.width, image.height)
        guard width > 0, height > 0 else { return image }
        // The largest L1 magnitude is 8 · 255 = 2040, so clamping keeps the comparisons exact.
        let low = Int32(min(lowThreshold, 100_000).rounded(.down))
        let high = Int32(min(highThreshold, 100_000).rounded(.down))
        let gradient = Self.strongestGradient(of: image)
        var state = Self.suppressNonMaxima(gradient, width: width, height: height, low: low, high: high)
        Self.traceEdges(&state, width: width, height: height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in 0..<(width * height) where state[index] == .edge {
            pixels[index * 3] = 255
            pixels[index * 3 + 1] = 255
            pixels[index * 3 + 2] = 255
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Per pixel, the Sobel derivatives and L1 magnitude of the channel whose magnitude is largest.
    struct Gradient {
        var dx: [Int32]
        var dy: [Int32]
        var magnitude: [Int32]
    }

    static func strongestGradient(of image: RGBImage) -> Gradient {
        let (width, height) = (image.width, image.height)
        var gradient = Gradient(dx: .init(repeating: 0, count: width * height), dy: .init(repeating: 0, count: width * height),
                                magnitude: .init(repeating: -1, count: width * height))
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                // BORDER_REPLICATE: a neighbour outside the image is the nearest edge pixel.
                let above = max(y - 1, 0) * width, row = y * width, below = min(y + 1, height - 1) * width
                for x in 0..<width {
                    let left = max(x - 1, 0), right = min(x + 1, width - 1)
                    for channel in 0..<3 {
                        func value(_ rowStart: Int, _ column: Int) -> Int32 { Int32(pixels[(rowStart + column) * 3 + channel]) }
                        let dx = value(above, right) - value(above, left) + 2 * (value(row, right) - value(row, left))
                            + value(below, right) - value(below, left)
                        let dy = value(below, left) - value(above, left) + 2 * (value(below, x) - value(above, x))
                            + value(below, right) - value(above, right)
                        let magnitude = abs(dx) + abs(dy)
                        // Strictly greater: on a tie the earlier channel stays, as in OpenCV.
                        if magnitude > gradient.magnitude[row + x] {
                            gradient.magnitude[row + x] = magnitude
                            gradient.dx[row + x] = dx
                            gradient.dy[row + x] = dy
                        }
                    }
                }
            }
        }
        return gradient
    }

    enum PixelState: UInt8 {
        /// Not an edge.
        case none
        /// Survived suppression above `low`: an edge if connected to a strong pixel.
        case candidate
        /// An edge.
        case edge
    }

    /// OpenCV's non-maximum suppression: `tan 22.5°` as 15-bit fixed point, the magnitude outside the
    /// image 0, candidates above `low`, edges (strong pixels) above `high`.
    static func suppressNonMaxima(_ gradient: Gradient, width: Int, height: Int, low: Int32, high: Int32) -> [PixelState] {
        let tangent22: Int64 = 13573  // Int(0.41421356… · 2¹⁵ + 0.5)
        func magnitude(_ x: Int, _ y: Int) -> Int32 {
            x >= 0 && x < width && y >= 0 && y < height ? gradient.magnitude[y * width + x] : 0
        }
        var state = [PixelState](repeating: .none, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let index = y * width + x
                let m = gradient.magnitude[index]
                guard m > low else { continue }
                let (dx, dy) = (Int64(gradient.dx[index]), Int64(gradient.dy[index]))
                let ax = abs(dx), ay = abs(dy) << 15
                let tangent22x = ax * tangent22
                let isMaximum: Bool
                if ay < tangent22x {  // near horizontal gradient: compare left and right
                    isMaximum = m > magnitude(x - 1, y) && m >= magnitude(x + 1, y)
                } else if ay > tangent22x + (ax << 16) {  // near vertical: above and below
                    isMaximum = m > magnitude(x, y - 1) && m >= magnitude(x, y + 1)
                } else {  // diagonal: the sign of dx·dy picks the diagonal
                    let s = (dx < 0) != (dy < 0) ? -1 : 1
                    isMaximum = m > magnitude(x - s, y - 1) && m > magnitude(x + s, y + 1)
                }
                if isMaximum { state[index] = m > high ? .edge : .candidate }
            }
        }
        return state
    }

    /// Hysteresis: every candidate 8-connected to an edge becomes one (a depth-first flood fill from
    /// the strong pixels; the result does not depend on the order).
    static func traceEdges(_ state: inout [PixelState], width: Int, height: Int) {
        var stack = state.indices.filter { state[$0] == .edge }
        while let index = stack.popLast() {
            let (x, y) = (index % width, index / width)
            for ny in max(y - 1, 0)...min(y + 1, height - 1) {
                for nx in max(x - 1, 0)...min(x + 1, width - 1) where state[ny * width + nx] == .candidate {
                    state[ny * width + nx] = .edge
                    stack.append(ny * width + nx)
                }
            }
        }
    }
}

extension RGBImage {
    /// The image's Canny edges, as `cv2.Canny(np.array(image), low, high)` stacked into three
    /// channels: see ``CannyEdgeDetector``.
    ///
    /// - Parameters:
    ///   - low: Lower hysteresis threshold (100 by default).
    ///   - high: Upper hysteresis threshold (200 by default); swapped with `low` when smaller.
    /// - Returns: A white-on-black edge image of the same size.
    /// - Throws: ``PipelineError/invalidParameter(name:value:allowed:)`` for a negative or non-finite threshold.
    public func cannyEdges(low: Double = 100, high: Double = 200) throws(PipelineError) -> RGBImage {
        try CannyEdgeDetector(lowThreshold: low, highThreshold: high).edges(of: self)
    }
}
