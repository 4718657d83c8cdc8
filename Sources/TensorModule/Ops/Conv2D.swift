/// Padding of a 2-D convolution, in pixels on each side.
public struct Padding2D: Sendable, Equatable {
    /// Rows added above.
    public var top: Int
    /// Rows added below.
    public var bottom: Int
    /// Columns added on the left.
    public var left: Int
    /// Columns added on the right.
    public var right: Int

    /// Padding with each side given.
    public init(top: Int, bottom: Int, left: Int, right: Int) {
        (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
    }

    /// The same padding on all four sides (PyTorch's `padding=p`).
    public static func uniform(_ p: Int) -> Padding2D { Padding2D(top: p, bottom: p, left: p, right: p) }
}

extension Tensor {
    /// 2-D convolution of an NCHW batch, as PyTorch's `F.conv2d` with one group and no dilation.
    ///
    /// Computed as GEMM: 3×3 stride-1 convolutions with enough channels and positions by Winograd's
    /// F(4×4, 3×3) or, on small images, F(2×2, 3×3) (`Winograd`, 4× or 2.25× fewer
    /// multiplications); 1×1 stride-1 unpadded convolutions multiply the input directly; others
    /// unfold (im2col) a band of output rows at a time so the unfolded buffer stays near 16 MB
    /// whatever the image size.
    ///
    /// - Parameters:
    ///   - weight: `[outChannels, inChannels, kernelHeight, kernelWidth]`, PyTorch's layout.
    ///   - bias: `[outChannels]`, or nil.
    ///   - stride: Step in both directions.
    ///   - padding: Zero padding per side (asymmetric allowed).
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when channels or sizes disagree.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding2D = .uniform(0)) throws(TensorError) -> Tensor {
        try conv2d(weight: weight, bias: bias, stride: stride, padding: padding, allowWinograd: true)
    }

    /// `conv2d` with the weight in the precision it is stored in.
    ///
    /// A float16 weight of a convolution that goes by Winograd is widened inside the filter
    /// transform (on AVX-512 machines, and AVX2 machines with F16C), which saves a separate widening
    /// pass over it; other weights are widened first (``StoredTensor/withFloat32(_:)``). Widening is
    /// exact, so the result is the same either way. A weight carrying low-rank updates (a LoRA) is
    /// always widened and merged first.
    ///
    /// - Parameters:
    ///   - weight: `[outChannels, inChannels, kernelHeight, kernelWidth]`, PyTorch's layout.
    ///   - bias: `[outChannels]`, or nil.
    ///   - stride: Step in both directions.
    ///   - padding: Zero padding per side (asymmetric allowed).
    /// - Throws: ``TensorError/shapeMismatch(operation:details:)`` when channels or sizes disagree.
    public func conv2d(weight: StoredTensor, bias: Tensor? = nil, stride: Int = 1,
                       padding: Padding2D = .uniform(0)) throws(TensorError) -> Tensor {
        if Winograd.fusesHalfWidening, weight.lowRankUpdates.isEmpty,
           case .halfWidth(let buffer, let offset) = weight.representation,
           buffer.encoding == .float16 {
            let (outHeight, outWidth) = try convolutionOutputSize(weightShape: weight.shape, bias: bias, stride: stride,
                                                                  padding: padding)
            if let plan = winogradPlan(weightShape: weight.shape, stride: stride, padding: padding,
                                       outHeight: outHeight, outWidth: outWidth) {
                let out = Tensor.uninitialized([plan.batch, plan.outChannels, outHeight, outWidth])
                withExtendedLifetime(buffer) {
                    Winograd.convolve(plan, input: pointer, filters: .float16(buffer.base + 2 * offset),
                                      bias: bias?.pointer, output: out.mutablePointer)
                }
                return out
            }
        }
        return try weight.withFloat32 { (weight) throws(TensorError) in
            try conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
        }
    }

    /// The output height and width of a convolution with this input, after checking the operands.
    private func convolutionOutputSize(weightShape: [Int], bias: Tensor?, stride: Int,
                                       padding: Padding2D) throws(TensorError) -> (Int, Int) {
        guard rank == 4, weightShape.count == 4, weightShape[1] == shape[1], stride >= 1 else {
            throw .shapeMismatch(operation: "conv2d", details: "input \(shape), weight \(weightShape), stride \(stride)")
        }
        let (height, width) = (shape[2], shape[3])
        let (outChannels, kh, kw) = (weightShape[0], weightShape[2], weightShape[3])
        let paddedHeight = height + padding.top + padding.bottom, paddedWidth = width + padding.left + padding.right
        // Checked before dividing: Swift's division truncates towards zero, so a kernel larger than
        // the padded input would otherwise still give one output row with stride > 1.
        guard kh > 0, kw > 0, paddedHeight >= kh, paddedWidth >= kw else {
            throw .shapeMismatch(operation: "conv2d", details: "input \(shape) is smaller than kernel \(kh)×\(kw) with padding")
        }
        if let bias, bias.shape != [outChannels] {
            throw .shapeMismatch(operation: "conv2d", details: "bias \(bias.shape), expected [\(outChannels)]")
        }
        return ((paddedHeight - kh) / stride + 1, (paddedWidth - kw) / stride + 1)
    }

    /// The Winograd plan of a checked convolution, or nil when it is not computed by Winograd.
    private func winogradPlan(weightShape: [Int], stride: Int, padding: Padding2D,
                              outHeight: Int, outWidth: Int) -> Winograd.Plan? {
        let (batch, inChannels) = (shape[0], shape[1])
        guard let tile = Winograd.tileSize(channels: inChannels, outChannels: weightShape[0], kernelHeight: weightShape[2],
                                           kernelWidth: weightShape[3], stride: stride, batch: batch,
                                           outHeight: outHeight, outWidth: outWidth) else { return nil }
        return Winograd.Plan(batch: batch, channels: inChannels, outChannels: weightShape[0], height: shape[2],
                             width: shape[3], outHeight: outHeight, outWidth: outWidth, padTop: padding.top,
                             padLeft: padding.left, tile: tile)
    }

    /// `conv2d`, optionally never by Winograd (tests compare the two methods).
    func conv2d(weight: Tensor, bias: Tensor?, stride: Int, padding: Padding2D,
                allowWinograd: Bool) throws(TensorError) -> Tensor {
        let (outHeight, outWidth) = try convolutionOutputSize(weightShape: weight.shape, bias: bias, stride: stride,
                                                              padding: padding)
        let (batch, inChannels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let (outChannels, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let out = Tensor.uninitialized([batch, outChannels, outHeight, outWidth])
        if allowWinograd, let plan = winogradPlan(weightShape: weight.shape, stride: stride, padding: padding,
                                                  outHeight: outHeight, outWidth: outWidth) {
            Winograd.convolve(plan, input: pointer, weight: weight.pointer, bias: bias?.pointer, output: out.mutablePointer)
            return out
        }
        let plane = outHeight * outWidth
        let patch = inChannels * kh * kw
        let direct = kh == 1 && kw == 1 && stride == 1 && padding == .uniform(0)
        let rowsPerBand = direct ? outHeight : max(1, min(outHeight, (4 << 20) / max(1, patch * outWidth)))
        let columns = direct ? nil : TensorStorage(uninitializedCount: patch * rowsPerBand * outWidth)
        for n in 0..<batch {
            let input = pointer + n * inChannels * height * width
            let output = out.mutablePointer + n * outChannels * plane
            if let bias {
                let b = bias.pointer
                parallelFor(outChannels, minimumChunk: 8) { range in
                    for c in range { (output + c * plane).initialize(repeating: b[c], count: plane) }
                }
            }
            let beta: Float = bias == nil ? 0 : 1
            if direct {
                GEMM.sgemm(.pointwiseConvolution, transposeA: false, transposeB: false, m: outChannels, n: plane, k: inChannels,
                           a: weight.pointer, lda: inChannels, b: input, ldb: plane,
                           beta: beta, c: output, ldc: plane)
                continue
            }
            var row0 = 0
            while row0 < outHeight {
                let rows = min(rowsPerBand, outHeight - row0)
                let bandWidth = rows * outWidth
                Tensor.im2col(input: input, channels: inChannels, height: height, width: width,
                              kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding,
                              outWidth: outWidth, rows: row0..<(row0 + rows), into: columns!.pointer)
                GEMM.sgemm(.im2colConvolution, transposeA: false, transposeB: false, m: outChannels, n: bandWidth, k: patch,
                           a: weight.pointer, lda: patch, b: columns!.pointer, ldb: bandWidth,
                           beta: beta, c: output + row0 * outWidth, ldc: plane)
                row0 += rows
            }
        }
        return out
    }

    /// Unfolds output rows `rows` into a `[C·kh·kw, rows·outWidth]` matrix, zero where padded.
    // swiftlint:disable:next function_parameter_count
    static func im2col(input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                       kernelHeight kh: Int, kernelWidth kw: Int, stride: Int, padding: Padding2D,
                       outWidth: Int, rows: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let bandWidth = rows.count * outWidth
        parallelFor(channels * kh, minimumChunk: 1) { range in
            for channelRow in range {
                let c = channelRow / kh, i = channelRow % kh
                let source = input + c * height * width
                for j in 0..<kw {
                    let destination = columns + ((c * kh + i) * kw + j) * bandWidth
                    // An index loop: `enumerated()` costs a tuple-metadata lookup per row in debug
                    // builds, which was half the time of the debug pipeline tests.
                    for bandRow in 0..<rows.count {
                        let oy = rows.lowerBound + bandRow
                        let y = oy * stride + i - padding.top
                        let line = destination + bandRow * outWidth
                        guard y >= 0, y < height else {
                            line.initialize(repeating: 0, count: outWidth)
                            continue
                        }
                        let sourceLine = source + y * width
                        if stride == 1 {
                            // Contiguous copy of the in-bounds span, zeros at the edges.
                            let first = min(outWidth, max(0, padding.left - j))
                            let last = max(first, min(outWidth, width + padding.left - j))
                            if first > 0 { line.initialize(repeating: 0, count: first) }
                            if last > first { (line + first).initialize(from: sourceLine + (first + j - padding.left), count: last - first) }
                            if last < outWidth { (line + last).initialize(repeating: 0, count: outWidth - last) }
                        } else {
                            for ox in 0..<outWidth {
                                let x = ox * stride + j - padding.left
                                line[ox] = (x >= 0 && x < width) ? sourceLine[x] : 0
                            }
                        }
                    }
                }
            }
        }
    }
}
