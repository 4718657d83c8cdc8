import Testing
import TensorModule

/// `linear` and `matmul` against `F.linear` and `@` (tolerance: ``Tolerance/gemm``).
@Suite("Linear and matmul match torch")
struct LinearMatMulTests {
    let fixture: FixtureFile

    init() throws { fixture = try FixtureFile("linear_matmul") }

    @Test("linear with and without bias")
    func linear() throws {
        let x = try fixture("linear", "x"), weight = try fixture("linear", "weight"), bias = try fixture("linear", "bias")
        expectClose(try x.linear(weight: weight, bias: bias), try fixture("linear", "out_bias"),
                    tolerance: Tolerance.gemm, "linear with bias")
        expectClose(try x.linear(weight: weight), try fixture("linear", "out_nobias"),
                    tolerance: Tolerance.gemm, "linear without bias")
        let wide = try fixture("linear_wide", "x").linear(weight: try fixture("linear_wide", "weight"),
                                                           bias: try fixture("linear_wide", "bias"))
        expectClose(wide, try fixture("linear_wide", "out"), tolerance: Tolerance.gemm, "linear 96 → 40")
    }

    @Test("linear rejects mismatched shapes")
    func linearShapes() throws {
        let x = Tensor.zeros([2, 5, 7])
        #expect(throws: TensorError.self) { try x.linear(weight: .zeros([3, 6])) }
        #expect(throws: TensorError.self) { try x.linear(weight: .zeros([3, 7]), bias: .zeros([4])) }
        #expect(throws: TensorError.self) { try x.linear(weight: .zeros([3, 7, 1])) }
    }

    @Test("2-D matmul with every combination of transposes")
    func matmul2D() throws {
        let a = try fixture("matmul", "a"), b = try fixture("matmul", "b")
        let aT = try fixture("matmul", "a_t"), bT = try fixture("matmul", "b_t")
        let expected = try fixture("matmul", "out")
        expectClose(try a.matmul(b), expected, tolerance: Tolerance.gemm, "a · b")
        expectClose(try aT.matmul(b, transposeSelf: true), expected, tolerance: Tolerance.gemm, "(aᵀ)ᵀ · b")
        expectClose(try a.matmul(bT, transposeOther: true), expected, tolerance: Tolerance.gemm, "a · (bᵀ)ᵀ")
        expectClose(try aT.matmul(bT, transposeSelf: true, transposeOther: true), expected,
                    tolerance: Tolerance.gemm, "(aᵀ)ᵀ · (bᵀ)ᵀ")
    }

    @Test("Batched matmul, with transposes and a shared right operand")
    func batched() throws {
        let a = try fixture("bmm", "a"), b = try fixture("bmm", "b")
        let aT = try fixture("bmm", "a_t"), bT = try fixture("bmm", "b_t")
        let expected = try fixture("bmm", "out")
        expectClose(try a.matmul(b), expected, tolerance: Tolerance.gemm, "batched a · b")
        expectClose(try aT.matmul(b, transposeSelf: true), expected, tolerance: Tolerance.gemm, "batched aᵀ")
        expectClose(try a.matmul(bT, transposeOther: true), expected, tolerance: Tolerance.gemm, "batched bᵀ")
        expectClose(try aT.matmul(bT, transposeSelf: true, transposeOther: true), expected,
                    tolerance: Tolerance.gemm, "batched aᵀ bᵀ")
        expectClose(try a.matmul(try fixture("bmm", "shared")), try fixture("bmm", "out_shared"),
                    tolerance: Tolerance.gemm, "batched a · shared b")
    }

    @Test("matmul rejects mismatched shapes")
    func matmulShapes() throws {
        let a = Tensor.zeros([2, 3, 5, 7])
        #expect(throws: TensorError.self) { try a.matmul(.zeros([2, 3, 6, 4])) }
        #expect(throws: TensorError.self) { try a.matmul(.zeros([3, 3, 7, 4])) }
        #expect(throws: TensorError.self) { try a.matmul(.zeros([7])) }
        #expect(throws: TensorError.self) { try a.matmul(.zeros([2, 3, 7, 4]), transposeSelf: true) }
    }
}
