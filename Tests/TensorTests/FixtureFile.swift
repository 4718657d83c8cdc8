import TensorModule
import _TestSupport

/// One of the `tensor_ops/*.safetensors` fixtures written by
/// `Tests/Fixtures/generators/tensor_ops.py`, whose tensors are named `<case>.<tensor>`.
struct FixtureFile {
    let file: SafetensorsFile

    init(_ name: String) throws {
        file = try Fixtures.safetensors("tensor_ops/\(name).safetensors")
    }

    /// The tensor `<case>.<name>` (or `name` alone when `testCase` is empty).
    func callAsFunction(_ testCase: String, _ name: String) throws -> Tensor {
        try file.tensor(named: testCase.isEmpty ? name : "\(testCase).\(name)")
    }

    /// Whether the fixture has `<case>.<name>`.
    func contains(_ testCase: String, _ name: String) -> Bool {
        file.entries["\(testCase).\(name)"] != nil
    }
}

/// Bitwise comparison of float32 results that must be identical.
struct BitwiseComparison: CustomStringConvertible {
    /// Elements whose bit patterns differ.
    var mismatches = 0
    /// Largest |actual − expected|.
    var maxAbsoluteError: Float = 0
    /// Whether the element counts agree.
    var countsMatch: Bool

    init(_ actual: [Float], _ expected: [Float]) {
        countsMatch = actual.count == expected.count
        for (a, e) in zip(actual, expected) where a.bitPattern != e.bitPattern {
            mismatches += 1
            maxAbsoluteError = max(maxAbsoluteError, abs(a - e))
        }
    }

    var isExact: Bool { countsMatch && mismatches == 0 }

    var description: String {
        countsMatch ? "\(mismatches) differing elements, max abs difference \(maxAbsoluteError)" : "element counts differ"
    }
}
