import Testing
import TextEncoder
import _TestSupport

/// Bad inputs to `encode` are typed errors, never traps.
struct CLIPTextModelInputTests {
    static let model: CLIPTextModel? = try? CLIPTextModel(folder: TextEncoderFixtures.folder(TextEncoderFixtures.sd15))

    @Test("token ids outside the vocabulary name the window and position")
    func tokenOutOfRange() throws {
        let model = try #require(Self.model)
        #expect(throws: TextEncoderError.tokenOutOfRange(window: 1, position: 2, id: 1000, vocabularySize: 1000)) {
            try model.encode(tokenIDs: [[1, 2, 3], [4, 5, 1000]])
        }
        #expect(throws: TextEncoderError.tokenOutOfRange(window: 0, position: 0, id: -1, vocabularySize: 1000)) {
            try model.encode(tokenIDs: [[-1, 2, 3]])
        }
        // The extremes of the vocabulary are valid.
        #expect(try model.encode(tokenIDs: [[0, 999]]).shape == [1, 2, 32])
    }

    @Test("sequence lengths: 1…77, equal within a batch, at least one window")
    func sequenceLengths() throws {
        let model = try #require(Self.model)
        #expect(throws: TextEncoderError.invalidSequenceLength(window: 0, length: 78, allowed: 1...77)) {
            try model.encode(tokenIDs: [Array(repeating: 7, count: 78)])
        }
        #expect(throws: TextEncoderError.invalidSequenceLength(window: 1, length: 0, allowed: 1...77)) {
            try model.encode(tokenIDs: [[7], []])
        }
        #expect(throws: TextEncoderError.unequalSequenceLengths(window: 1, length: 3, firstWindowLength: 2)) {
            try model.encode(tokenIDs: [[7, 8], [7, 8, 9]])
        }
        #expect(throws: TextEncoderError.emptyBatch) { try model.encode(tokenIDs: []) }
        #expect(try model.encode(tokenIDs: [Array(repeating: 7, count: 77)]).shape == [1, 77, 32])
    }

    @Test("clipSkip must lie in 0…layers; skipping every layer normalizes the embeddings")
    func clipSkipRange() throws {
        let model = try #require(Self.model)
        #expect(throws: TextEncoderError.clipSkipOutOfRange(4, allowed: 0...3)) {
            try model.encode(tokenIDs: [[1]], clipSkip: 4)
        }
        #expect(throws: TextEncoderError.clipSkipOutOfRange(-1, allowed: 0...3)) {
            try model.encode(tokenIDs: [[1]], clipSkip: -1)
        }
        // diffusers' hidden_states[0] is the embeddings output: clip skip 3 of 3 differs from skip 2.
        let all = try model.encode(tokenIDs: [[1, 2]], clipSkip: 3)
        let two = try model.encode(tokenIDs: [[1, 2]], clipSkip: 2)
        #expect(all.shape == [1, 2, 32])
        #expect(Comparison(all, two).maxAbsoluteError > 1e-2)
    }

    @Test("error messages say what and where")
    func messages() {
        #expect(TextEncoderError.tokenOutOfRange(window: 1, position: 2, id: 50000, vocabularySize: 49408).description
            == "text encoder: token id 50000 at window 1, position 2 is outside the vocabulary 0…49407")
        #expect(TextEncoderError.clipSkipOutOfRange(13, allowed: 0...12).description
            == "text encoder: clipSkip 13 is out of range; allowed 0…12 (the number of layers)")
        #expect(TextEncoderError.fileNotFound(folder: "/m/text_encoder", tried: ["model.safetensors", "model.fp16.safetensors"]).description
            == "/m/text_encoder: no 'model.safetensors' or 'model.fp16.safetensors' in the text encoder folder")
    }
}
