import Testing
import TensorModule
import _TestSupport

/// SiLU, exact GELU and QuickGELU against `F.silu`, `F.gelu` and `x · sigmoid(1.702 x)` on
/// [-12, 12] and random values, element-wise (tolerances: ``Tolerance/activationRelative`` with
/// ``Tolerance/activationAbsolute``, or ``Tolerance/geluAbsolute`` for GELU).
@Suite("Activations match torch")
struct ActivationTests {
    let fixture: FixtureFile
    let x: Tensor

    init() throws {
        fixture = try FixtureFile("activations")
        x = try fixture("", "x")
    }

    func expectAllClose(_ actual: Tensor, _ name: String, absolute: Float) throws {
        let expected = try fixture("", name)
        #expect(Comparison.allClose(actual, expected, absolute: absolute, relative: Tolerance.activationRelative),
                "\(name): \(Comparison(actual, expected))")
    }

    @Test("SiLU") func silu() throws {
        try expectAllClose(x.silu(), "silu", absolute: Tolerance.activationAbsolute)
    }

    @Test("GELU (erf)") func gelu() throws {
        try expectAllClose(x.gelu(), "gelu", absolute: Tolerance.geluAbsolute)
    }

    @Test("QuickGELU") func quickGELU() throws {
        try expectAllClose(x.quickGELU(), "quick_gelu", absolute: Tolerance.activationAbsolute)
    }

    @Test("The activations are told apart by the fixture")
    func distinct() throws {
        // GELU and QuickGELU differ by ~1e-2 near |x| ≈ 2: a swapped activation cannot pass.
        let gelu = try fixture("", "gelu"), quick = try fixture("", "quick_gelu")
        #expect(!Comparison.allClose(gelu, quick, absolute: Tolerance.geluAbsolute, relative: 1e-3))
    }
}
