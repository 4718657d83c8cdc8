import Testing
import TextEncoder
import _TestSupport

/// Outputs of the Swift model against transformers' `CLIPTextModel` on the same tiny random weights.
///
/// Tolerance: max |error| ≤ 1e-5 × the largest |reference| value (the issue asks for ≤ 1e-4). Both sides
/// compute in float32 with different summation orders (OpenBLAS vs MKL GEMMs, our double-accumulated
/// layer norm, exp/erf from different libraries); measured over these 3-layer models: 2.0e-7 to 5.5e-7
/// of the output scale (max abs error ≤ 1.7e-6 at scales 3.1–4.6), so 1e-5 leaves an 18× margin. A wrong
/// formula is far outside it: GELU in place of QuickGELU moves the output by 8.7e-3 of its scale, and a
/// missing causal mask or a skipped layer by more. (A layer-norm epsilon of 1e-6 instead of 1e-5 moves it
/// by only 3.6e-6; the epsilon is checked where the configuration is decoded.)
struct CLIPTextModelParityTests {
    static let tolerance: Float = 1e-5

    struct Case: Sendable, CustomTestStringConvertible {
        let fixture: String
        let output: String
        let clipSkip: Int?
        let ids: String
        var testDescription: String { "\(fixture) \(output)" }
    }

    static let cases: [Case] = [TextEncoderFixtures.sd15, TextEncoderFixtures.sd21].flatMap { fixture in
        [
            Case(fixture: fixture, output: "last_hidden_state", clipSkip: nil, ids: "ids"),
            Case(fixture: fixture, output: "clip_skip_1", clipSkip: 1, ids: "ids"),
            Case(fixture: fixture, output: "clip_skip_2", clipSkip: 2, ids: "ids"),
            Case(fixture: fixture, output: "short_last_hidden_state", clipSkip: nil, ids: "short_ids"),
        ]
    }

    @Test("matches transformers' CLIPTextModel (batch of 2, with and without clip skip, short window)",
          arguments: cases)
    func matchesTransformers(_ testCase: Case) throws {
        let model = try CLIPTextModel(folder: TextEncoderFixtures.folder(testCase.fixture))
        let ids = try TextEncoderFixtures.tokenIDs(testCase.fixture, testCase.ids)
        let expected = try TextEncoderFixtures.reference(testCase.fixture, testCase.output)
        let actual = try model.encode(tokenIDs: ids, clipSkip: testCase.clipSkip)
        let comparison = Comparison(actual, expected)
        #expect(comparison.shapesMatch, "shape \(actual.shape), expected \(expected.shape)")
        #expect(comparison.relativeToScale <= Self.tolerance, "\(comparison)")
    }

    @Test("clip skip 0 equals no clip skip, as in diffusers (hidden_states[-1] then the final norm)")
    func clipSkipZeroIsTheLastLayer() throws {
        let model = try CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd15))
        let ids = try TextEncoderFixtures.tokenIDs(TextEncoderFixtures.sd15)
        // Same computation both ways: bit-identical.
        #expect(try model.encode(tokenIDs: ids, clipSkip: 0).scalars == model.encode(tokenIDs: ids, clipSkip: nil).scalars)
    }

    @Test("windows are independent: encoding one window alone gives its rows of the batch")
    func windowsAreIndependent() throws {
        let model = try CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd21))
        let ids = try TextEncoderFixtures.tokenIDs(TextEncoderFixtures.sd21)
        let batch = try model.encode(tokenIDs: ids, clipSkip: nil)
        let second = try model.encode(tokenIDs: [ids[1]], clipSkip: nil)
        // GEMMs of different row counts may block their sums differently: allow float32 rounding.
        let comparison = Comparison(second, try batch.slice(axis: 0, 1..<2))
        #expect(comparison.shapesMatch)
        #expect(comparison.relativeToScale <= 1e-5, "\(comparison)")
    }

    @Test("the model is usable through the TextEncoding protocol")
    func conformsToTextEncoding() throws {
        let encoder: any TextEncoding = try CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd21))
        #expect(encoder.embeddingWidth == 48)
        #expect(encoder.maximumSequenceLength == 77)
        let ids = try TextEncoderFixtures.tokenIDs(TextEncoderFixtures.sd21)
        let output = try encoder.encode(tokenIDs: ids, clipSkip: 1)
        let expected = try TextEncoderFixtures.reference(TextEncoderFixtures.sd21, "clip_skip_1")
        #expect(Comparison(output, expected).relativeToScale <= Self.tolerance)
    }
}
