import Testing
import TensorModule

/// Broadcasting `+ - * /` against torch: one IEEE operation per element, so results are identical.
@Suite("Broadcasting arithmetic matches torch exactly")
struct BroadcastTests {
    /// `BROADCAST_CASES` in `tensor_ops.py`: (name, lhs shape, rhs shape).
    static let cases: [(String, [Int], [Int])] = [
        ("trailing", [2, 3, 4, 5], [5]),
        ("channel", [2, 3, 4, 5], [3, 1, 1]),
        ("sample_channel", [2, 3, 4, 5], [2, 3, 1, 1]),
        ("both", [2, 1, 4, 1], [1, 3, 1, 5]),
        ("left", [4, 5], [2, 3, 4, 5]),
        ("scalar", [2, 3, 4], [1]),
        ("middle", [2, 3, 4], [2, 1, 4]),
        ("same", [2, 3, 4], [2, 3, 4]),
    ]

    @Test("add, subtract, multiply, divide", arguments: cases.map(\.0))
    func arithmetic(_ name: String) throws {
        let fixture = try FixtureFile("broadcast")
        let a = try fixture(name, "a"), b = try fixture(name, "b")
        let shapes = try #require(Self.cases.first { $0.0 == name })
        #expect(a.shape == shapes.1 && b.shape == shapes.2)
        expectIdentical(a + b, try fixture(name, "add"), "\(name) add")
        expectIdentical(a - b, try fixture(name, "sub"), "\(name) subtract")
        expectIdentical(a * b, try fixture(name, "mul"), "\(name) multiply")
        expectIdentical(a / b, try fixture(name, "div"), "\(name) divide")
    }

    @Test("Broadcast shapes follow NumPy's rules")
    func shapes() throws {
        #expect(Tensor.broadcastShape([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(Tensor.broadcastShape([5], []) == [5])
        #expect(Tensor.broadcastShape([2, 3], [3, 2]) == nil)
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).broadcasting(.zeros([2]), { $0 + $1 }) }
    }

    @Test("Scalar operators and scaledSum")
    func scalars() {
        let x = Tensor(shape: [2, 2], scalars: [1, -2, 3.5, 0.25])
        let y = Tensor(shape: [2, 2], scalars: [4, 0.5, -1, 8])
        #expect((x + 1).scalars == [2, -1, 4.5, 1.25])
        #expect((x * 2).scalars == [2, -4, 7, 0.5])
        #expect((2 * x).scalars == (x * 2).scalars)
        #expect((x / 4).scalars == [0.25, -0.5, 0.875, 0.0625])
        #expect((-x).scalars == [-1, 2, -3.5, -0.25])
        #expect(x.scaledSum(0.5, y, 2).scalars == [8.5, 0, -0.25, 16.125])
    }
}
