import _CVectorKernels

/// The transforms of Winograd F(4×4, 3×3) (`Winograd` with `Plan.tile == 4`): 6×6 input patches,
/// 36 positions ξ, with Lavin & Gray's matrices for interpolation points 0, ±1, ±2, ∞.
///
/// The arithmetic is in C (`_CVectorKernels/winograd4_template.h`), compiled for AVX-512, AVX2 and
/// any CPU, the variant chosen by `VectorMath.kernelLevel`: C keeps debug builds fast, where generic
/// Swift SIMD code is not specialised, and all variants give bit-identical results.
extension Winograd {
    /// `U_ξ[k][c] = (G g Gᵀ)_ξ` for every filter; filter `f = k·C + c` lands at `u[ξ·K·C + f]`.
    static func transformFilters4x4(_ weight: UnsafePointer<Float>, outChannels k: Int, channels c: Int,
                                    into u: UnsafeMutablePointer<Float>,
                                    level: VectorMath.KernelLevel = VectorMath.kernelLevel) {
        let plane = k * c
        parallelFor(plane, minimumChunk: 2048) { range in
            let count = range.count, first = range.lowerBound
            switch level {
            case .avx512: sd_winograd4_filters_avx512(weight + first * 9, count, u + first, plane)
            case .avx2: sd_winograd4_filters_avx2(weight + first * 9, count, u + first, plane)
            case .portable: sd_winograd4_filters_portable(weight + first * 9, count, u + first, plane)
            }
        }
    }

    /// `V_ξ[c][t] = (Bᵀ d B)_ξ` for the tiles of `tileRows` (tile rows of all images, image-major),
    /// tile `t` of the band at `v[ξ·C·T + c·T + t]`.
    static func transformInput4x4(_ plan: Plan, input: UnsafePointer<Float>, tileRows: Range<Int>,
                                  into v: UnsafeMutablePointer<Float>,
                                  level: VectorMath.KernelLevel = VectorMath.kernelLevel) {
        let columns = plan.tileColumns
        let tiles = tileRows.count * columns
        let plane = plan.channels * tiles
        parallelFor(plan.channels) { channels in
            let scratch = TensorStorage(uninitializedCount: sd_winograd4_input_scratch(columns))
            for channel in channels {
                // An index loop: `enumerated()` is slow in debug builds.
                for index in 0..<tileRows.count {
                    let tileRow = tileRows.lowerBound + index
                    let n = tileRow / plan.tileRows, i = tileRow % plan.tileRows
                    let image = input + (n * plan.channels + channel) * plan.height * plan.width
                    let firstRow = 4 * i - plan.padTop
                    let destination = v + channel * tiles + index * columns
                    switch level {
                    case .avx512:
                        sd_winograd4_input_avx512(image, plan.height, plan.width, firstRow, plan.padLeft, columns,
                                                  scratch.pointer, destination, plane)
                    case .avx2:
                        sd_winograd4_input_avx2(image, plan.height, plan.width, firstRow, plan.padLeft, columns,
                                                scratch.pointer, destination, plane)
                    case .portable:
                        sd_winograd4_input_portable(image, plan.height, plan.width, firstRow, plan.padLeft, columns,
                                                    scratch.pointer, destination, plane)
                    }
                }
            }
        }
    }

    /// `Y = Aᵀ M A + bias` for output channels `group` (the products hold only those) and the tiles
    /// of `tileRows`, written to the output rows and columns the tiles cover (a last partial tile's
    /// rows and columns beyond the output are left out).
    static func transformOutput4x4(_ plan: Plan, products m: UnsafePointer<Float>, outChannels group: Range<Int>,
                                   tileRows: Range<Int>, bias: UnsafePointer<Float>?,
                                   into output: UnsafeMutablePointer<Float>,
                                   level: VectorMath.KernelLevel = VectorMath.kernelLevel) {
        let columns = plan.tileColumns
        let tiles = tileRows.count * columns
        let plane = group.count * tiles
        let (outHeight, outWidth) = (plan.outHeight, plan.outWidth)
        parallelFor(group.count) { locals in
            for local in locals {
                let channel = group.lowerBound + local
                let shift = bias?[channel] ?? 0
                for index in 0..<tileRows.count {
                    let tileRow = tileRows.lowerBound + index
                    let n = tileRow / plan.tileRows, i = tileRow % plan.tileRows
                    let rows = Swift.min(4, outHeight - 4 * i)
                    let destination = output + ((n * plan.outChannels + channel) * outHeight + 4 * i) * outWidth
                    let source = m + local * tiles + index * columns
                    switch level {
                    case .avx512: sd_winograd4_output_avx512(source, plane, columns, shift, destination, outWidth, rows)
                    case .avx2: sd_winograd4_output_avx2(source, plane, columns, shift, destination, outWidth, rows)
                    case .portable: sd_winograd4_output_portable(source, plane, columns, shift, destination, outWidth, rows)
                    }
                }
            }
        }
    }
}
