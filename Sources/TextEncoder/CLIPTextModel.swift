import Layers

/// CLIP's text transformer, as transformers' `CLIPTextModel` (`models/clip/modeling_clip.py`): the
/// text encoder of Stable Diffusion 1.x (OpenAI CLIP ViT-L/14) and 2.x (OpenCLIP ViT-H/14).
///
/// Token and position embeddings, ``CLIPTextConfiguration/layerCount`` pre-norm transformer layers
/// with causal multi-head self-attention, and a final layer norm; the output is the last hidden
/// state `[windows, tokens, hiddenSize]` that the UNet cross-attends to.
///
/// Not supported: a padding attention mask (`use_attention_mask`, unused by SD 1.x / 2.x), the
/// pooled output and the projection head (not used by these pipelines), explicit `position_ids`.
public struct CLIPTextModel: TextEncoding {
    /// The validated configuration the model was built from.
    public let configuration: CLIPTextConfiguration
    let embeddings: CLIPTextEmbeddings
    let layers: [CLIPEncoderLayer]
    let finalLayerNorm: LayerNorm

    /// Builds the model from tensors under `weights`, which is scoped to the model's root: the level that
    /// holds `embeddings.…`, `encoder.layers.N.…` and `final_layer_norm.…` (inside `text_model.` in
    /// published checkpoints). Strict unused-key checking is the caller's ``WeightLoader``'s; see
    /// ``init(configuration:weightSource:)`` for a complete strict load.
    ///
    /// - Parameters:
    ///   - configuration: The model's shape; validated here.
    ///   - weights: A reader at the model root.
    /// - Throws: ``TextEncoderError/invalidConfiguration(key:value:reason:path:)`` for a bad configuration,
    ///   ``TextEncoderError/weights(_:)`` naming a missing or misshapen tensor.
    public init(configuration: CLIPTextConfiguration, weights: WeightReader) throws(TextEncoderError) {
        try configuration.validate()
        self.configuration = configuration
        do {
            embeddings = try CLIPTextEmbeddings(weights: weights.scoped("embeddings"), configuration: configuration)
            var layers: [CLIPEncoderLayer] = []
            layers.reserveCapacity(configuration.layerCount)
            for index in 0..<configuration.layerCount {
                layers.append(try CLIPEncoderLayer(weights: weights.scoped("encoder.layers", index),
                                                   configuration: configuration))
            }
            self.layers = layers
            finalLayerNorm = try LayerNorm(weights: weights.scoped("final_layer_norm"),
                                           channels: configuration.hiddenSize, epsilon: configuration.layerNormEpsilon)
        } catch {
            throw .weights(error)
        }
    }

    /// ``CLIPTextConfiguration/hiddenSize``.
    public var embeddingWidth: Int { configuration.hiddenSize }

    /// ``CLIPTextConfiguration/maximumPositions``.
    public var maximumSequenceLength: Int { configuration.maximumPositions }

    /// Encodes a batch of token-id windows, as transformers' `last_hidden_state`, or with `clipSkip` as
    /// diffusers' `encode_prompt`: `hidden_states[-(clipSkip + 1)]` followed by the final layer norm.
    ///
    /// - Parameters:
    ///   - tokenIDs: One array of ids per window, all of one length in `1...maximumSequenceLength`, each id in
    ///     `0..<vocabularySize`.
    ///   - clipSkip: Final layers to skip, `0...layerCount`; nil or 0 runs every layer.
    /// - Returns: `[windows, tokens, hiddenSize]`.
    /// - Throws: ``TextEncoderError/emptyBatch``, ``TextEncoderError/invalidSequenceLength(window:length:allowed:)``,
    ///   ``TextEncoderError/unequalSequenceLengths(window:length:firstWindowLength:)``,
    ///   ``TextEncoderError/tokenOutOfRange(window:position:id:vocabularySize:)``,
    ///   ``TextEncoderError/clipSkipOutOfRange(_:allowed:)``.
    public func encode(tokenIDs: [[Int]], clipSkip: Int? = nil) throws(TextEncoderError) -> Tensor {
        try validate(tokenIDs: tokenIDs)
        let skip = clipSkip ?? 0
        guard (0...layers.count).contains(skip) else { throw .clipSkipOutOfRange(skip, allowed: 0...layers.count) }
        do {
            var hidden = embeddings(tokenIDs)
            for layer in layers.dropLast(skip) { hidden = try layer(hidden) }
            return try finalLayerNorm(hidden)
        } catch {
            throw .computation(error)
        }
    }

    private func validate(tokenIDs: [[Int]]) throws(TextEncoderError) {
        guard let first = tokenIDs.first else { throw .emptyBatch }
        let allowed = 1...configuration.maximumPositions
        let vocabulary = configuration.vocabularySize
        for (window, ids) in tokenIDs.enumerated() {
            guard allowed.contains(ids.count) else {
                throw .invalidSequenceLength(window: window, length: ids.count, allowed: allowed)
            }
            guard ids.count == first.count else {
                throw .unequalSequenceLengths(window: window, length: ids.count, firstWindowLength: first.count)
            }
            if let position = ids.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
                throw .tokenOutOfRange(window: window, position: position, id: ids[position], vocabularySize: vocabulary)
            }
        }
    }
}
