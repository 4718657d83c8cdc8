import Testing
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

/// Expects `actual` to match a torch reference within `tolerance` relative to the reference's
/// scale (its largest magnitude): `max |actual − expected| ≤ tolerance · max |expected|`.
func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ context: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let comparison = Comparison(actual, expected)
    #expect(comparison.shapesMatch, "\(context): shape \(actual.shape), expected \(expected.shape)",
            sourceLocation: sourceLocation)
    #expect(comparison.relativeToScale <= tolerance, "\(context): \(comparison), tolerance \(tolerance)",
            sourceLocation: sourceLocation)
}

/// Expects `actual` to equal a torch reference bit for bit (ops that only move or combine
/// values with one correctly rounded IEEE operation each).
func expectIdentical(_ actual: Tensor, _ expected: Tensor, _ context: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(context): shape \(actual.shape), expected \(expected.shape)",
            sourceLocation: sourceLocation)
    let comparison = BitwiseComparison(actual.scalars, expected.scalars)
    #expect(comparison.isExact, "\(context): \(comparison)", sourceLocation: sourceLocation)
}
