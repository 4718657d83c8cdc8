import Foundation
import TensorModule

/// Locates the committed reference fixtures under `Tests/Fixtures`, written by
/// `Tests/Fixtures/generate.py` from diffusers / transformers.
public enum Fixtures {
    /// The `Tests/Fixtures` folder of this checkout.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The path of a fixture file or folder, relative to `Tests/Fixtures`. The tiny single-file
    /// checkpoints are not committed: their path is that of a copy assembled from the folders
    /// (``SingleFileFixtures``); a failure to assemble one points at the recipe, so a test then fails
    /// on a file named after it.
    public static func path(_ relative: String) -> String {
        if SingleFileFixtures.assembled.contains(relative) {
            do { return try SingleFileFixtures.path(of: relative) } catch {
                return root.appendingPathComponent(relative).path + " (not assembled: \(error))"
            }
        }
        return root.appendingPathComponent(relative).path
    }

    /// Opens a fixture safetensors file.
    public static func safetensors(_ relative: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: path(relative))
    }

    /// Reads one tensor from a fixture safetensors file.
    public static func tensor(_ relative: String, _ name: String) throws -> Tensor {
        try safetensors(relative).tensor(named: name)
    }
}

/// Element-wise comparison of a result with a reference, for tolerance assertions.
public struct Comparison: Sendable, CustomStringConvertible {
    /// Largest |actual − expected|.
    public var maxAbsoluteError: Float
    /// Largest |expected|, the scale errors are judged against.
    public var referenceScale: Float
    /// `maxAbsoluteError / max(referenceScale, tiny)`.
    public var relativeToScale: Float { maxAbsoluteError / max(referenceScale, 1e-12) }
    /// Whether the shapes agreed (if not, the errors are meaningless).
    public var shapesMatch: Bool

    /// Compares two tensors of the same shape.
    public init(_ actual: Tensor, _ expected: Tensor) {
        shapesMatch = actual.shape == expected.shape
        var maxError: Float = shapesMatch ? 0 : .infinity
        var scale: Float = 0
        if shapesMatch {
            let a = actual.scalars, e = expected.scalars
            for i in 0..<a.count {
                let error = abs(a[i] - e[i])
                maxError = error.isNaN ? .infinity : max(maxError, error)
                scale = max(scale, abs(e[i]))
            }
        }
        maxAbsoluteError = maxError
        referenceScale = scale
    }

    /// Whether `|actual − expected| ≤ absolute + relative · |expected|` holds element-wise
    /// (NumPy's `allclose`), computed separately from the summary above.
    public static func allClose(_ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float) -> Bool {
        guard actual.shape == expected.shape else { return false }
        let a = actual.scalars, e = expected.scalars
        for i in 0..<a.count where !(abs(a[i] - e[i]) <= absolute + relative * abs(e[i])) { return false }
        return true
    }

    /// "max abs error X (scale Y, relative Z)".
    public var description: String {
        shapesMatch ? "max abs error \(maxAbsoluteError) (reference scale \(referenceScale), relative \(relativeToScale))" : "shape mismatch"
    }
}
