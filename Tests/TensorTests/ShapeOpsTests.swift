import Testing
import TensorModule

/// Concatenate, slice, chunk, permute and nearest upsampling only move values, so they must equal
/// torch's outputs bit for bit.
@Suite("Shape ops match torch exactly")
struct ShapeOpsTests {
    let fixture: FixtureFile

    init() throws { fixture = try FixtureFile("shape_ops") }

    @Test("concatenate along each axis")
    func concatenate() throws {
        let a = try fixture("concat", "a"), b = try fixture("concat", "b"), c = try fixture("concat", "c")
        expectIdentical(try Tensor.concatenate([a, b, c], axis: 1), try fixture("concat", "axis1"), "axis 1")
        expectIdentical(try Tensor.concatenate([a, try fixture("concat", "d")], axis: 0), try fixture("concat", "axis0"), "axis 0")
        expectIdentical(try Tensor.concatenate([a, try fixture("concat", "e")], axis: 2), try fixture("concat", "axis2"), "axis 2")
        #expect(throws: TensorError.self) { try Tensor.concatenate([a, b], axis: 2) }
        #expect(throws: TensorError.self) { try Tensor.concatenate([], axis: 0) }
        #expect(throws: TensorError.self) { try Tensor.concatenate([a], axis: 3) }
    }

    @Test("slice and chunk")
    func sliceAndChunk() throws {
        let x = try fixture("slice", "x")
        expectIdentical(try x.slice(axis: 1, 1..<4), try fixture("slice", "axis1"), "slice axis 1")
        expectIdentical(try x.slice(axis: 3, 2..<5), try fixture("slice", "axis3"), "slice axis 3")
        expectIdentical(try x.slice(axis: 0, 1..<2), try fixture("slice", "axis0"), "slice axis 0")
        for (i, piece) in try x.chunked(3, axis: 1).enumerated() {
            expectIdentical(piece, try fixture("chunk.axis1", "\(i)"), "chunk axis 1 piece \(i)")
        }
        for (i, piece) in try x.chunked(2, axis: 0).enumerated() {
            expectIdentical(piece, try fixture("chunk.axis0", "\(i)"), "chunk axis 0 piece \(i)")
        }
        let g = try fixture("chunk.last", "x")
        let halves = try g.chunked(2, axis: 2)
        #expect(halves.count == 2)
        for (i, piece) in halves.enumerated() {
            expectIdentical(piece, try fixture("chunk.last", "\(i)"), "GEGLU chunk piece \(i)")
        }
        #expect(throws: TensorError.self) { try x.slice(axis: 1, 4..<7) }
        #expect(throws: TensorError.self) { try x.slice(axis: 4, 0..<1) }
        #expect(throws: TensorError.self) { try x.chunked(4, axis: 1) }
    }

    @Test("permute")
    func permute() throws {
        let x = try fixture("permute", "x")
        expectIdentical(try x.permuted([0, 2, 3, 1]), try fixture("permute", "nhwc"), "NCHW → NHWC")
        expectIdentical(try x.permuted([0, 2, 1, 3]), try fixture("permute", "heads"), "[b, n, h, d] → [b, h, n, d]")
        expectIdentical(try x.permuted([3, 1, 0, 2]), try fixture("permute", "scrambled"), "(3, 1, 0, 2)")
        expectIdentical(try x.permuted([0, 1, 2, 3]), x, "identity")
        #expect(throws: TensorError.self) { try x.permuted([0, 1, 1, 3]) }
        #expect(throws: TensorError.self) { try x.permuted([0, 1, 2]) }
    }

    @Test("Nearest upsampling: 2×, odd sizes, and a smaller size")
    func upsample() throws {
        let x = try fixture("upsample", "x")   // [2, 3, 4, 5]
        expectIdentical(try x.upsampleNearest(height: 8, width: 10), try fixture("upsample", "2x"), "2×")
        expectIdentical(try x.upsampleNearest(height: 7, width: 9), try fixture("upsample", "7x9"), "7×9")
        expectIdentical(try x.upsampleNearest(height: 5, width: 11), try fixture("upsample", "5x11"), "5×11")
        expectIdentical(try x.upsampleNearest(height: 3, width: 4), try fixture("upsample", "3x4"), "3×4")
        let odd = try fixture("upsample.odd", "x")
        expectIdentical(try odd.upsampleNearest(height: 7, width: 7), try fixture("upsample.odd", "7x7"), "3×3 → 7×7")
        #expect(throws: TensorError.self) { try x.upsampleNearest(height: 0, width: 4) }
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 4, 5]).upsampleNearest(height: 8, width: 10) }
    }
}
