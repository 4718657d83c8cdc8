import Layers

/// CLIP's text transformer, as transformers' `CLIPTextModel` (`models/clip/modeling_clip.py`): the
/// text encoder of Stable Diffusion 1.x (OpenAI CLIP ViT-L/14) and 2.x (OpenCLIP ViT-H/14).
///
/// Token and position embeddings, ``CLIPTextConfiguration/layerCount`` pre-norm transformer layers
/// with causal multi-head self-attention, and a final layer norm; the output is the last hidden
/// state `[windows, tokens, hiddenSize]` that the UNet cross-attends to.
///
/// For SDXL, ``encodeHiddenStates(tokenIDs:layersSkipped:)`` gives an intermediate layer's hidden states
/// without the final layer norm and the pooled output: `CLIPTextModelWithProjection`'s `text_embeds` (the
/// final-layer-normed end-of-text token through `text_projection`) when the checkpoint has the head.
///
/// Not supported: a padding attention mask (`use_attention_mask`, unused by Stable Diffusion), explicit
/// `position_ids`.
public struct CLIPTextModel: PooledTextEncoding {
    /// The validated configuration the model was built from.
    public let configuration: CLIPTextConfiguration
    let embeddings: CLIPTextEmbeddings
    let layers: [CLIPEncoderLayer]
    let finalLayerNorm: LayerNorm
    /// `CLIPTextModelWithProjection`'s `text_projection` (no bias), nil for a plain `CLIPTextModel`.
    let textProjection: Linear?

    /// Builds the model from tensors under `weights`, which is scoped to the model's root: the level that
    /// holds `embeddings.…`, `encoder.layers.N.…` and `final_layer_norm.…` (inside `text_model.` in
    /// published checkpoints). Strict unused-key checking is the caller's ``WeightLoader``'s; see
    /// ``init(configuration:weightSource:)`` for a complete strict load.
    ///
    /// - Parameters:
    ///   - configuration: The model's shape; validated here.
    ///   - weights: A reader at the model root.
    ///   - projection: For a `CLIPTextModelWithProjection`, a reader scoped to its `text_projection` (which sits
    ///     beside `text_model.`, not inside it); nil loads no projection head.
    /// - Throws: ``TextEncoderError/invalidConfiguration(key:value:reason:path:)`` for a bad configuration,
    ///   ``TextEncoderError/weights(_:)`` naming a missing or misshapen tensor.
    public init(configuration: CLIPTextConfiguration, weights: WeightReader,
                projection: WeightReader? = nil) throws(TextEncoderError) {
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
            textProjection = try projection.map { (reader) throws(TensorError) in
                try Linear(weights: reader, inFeatures: configuration.hiddenSize,
                           outFeatures: configuration.projectionDimension ?? configuration.hiddenSize, bias: false)
            }
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

    /// Width of ``TextEncoderHiddenStates/pooled``: the projection's output width with a projection head,
    /// otherwise the hidden size (transformers' `pooler_output`).
    public var pooledWidth: Int { textProjection?.outFeatures ?? configuration.hiddenSize }

    /// An intermediate layer's hidden states and the pooled output, as diffusers' SDXL `encode_prompt` reads
    /// them from `text_encoder(ids, output_hidden_states=True)`.
    ///
    /// - Parameters:
    ///   - tokenIDs: One array of ids per window, as for ``encode(tokenIDs:clipSkip:)``.
    ///   - layersSkipped: `k` selects transformers' `hidden_states[-(k + 1)]`: the output of layer
    ///     `layerCount − k`, without the final layer norm (SDXL passes `clip_skip + 1`; 0 is the last layer's
    ///     output before the final layer norm). `1...layerCount`, or 0.
    ///   - pooled: Whether to compute the pooled output as well (it needs every layer).
    /// - Returns: The hidden states `[windows, tokens, hiddenSize]` and, when asked for, the pooled output
    ///   `[windows, pooledWidth]`: the final-layer-normed state at the end-of-text token (the first position
    ///   of ``CLIPTextConfiguration/eosTokenID``, or of the largest id when that is 2, as transformers picks
    ///   it), through `text_projection` when the model has one.
    /// - Throws: The input errors of ``encode(tokenIDs:clipSkip:)``; ``TextEncoderError/clipSkipOutOfRange(_:allowed:)``
    ///   when `layersSkipped` is outside `0...layerCount`.
    public func encodeHiddenStates(tokenIDs: [[Int]], layersSkipped: Int,
                                   pooled: Bool) throws(TextEncoderError) -> TextEncoderHiddenStates {
        try validate(tokenIDs: tokenIDs)
        guard (0...layers.count).contains(layersSkipped) else {
            throw .clipSkipOutOfRange(layersSkipped, allowed: 0...layers.count)
        }
        do {
            var hidden = embeddings(tokenIDs)
            let kept = layers.count - layersSkipped
            for layer in layers[..<kept] { hidden = try layer(hidden) }
            let selected = hidden
            guard pooled else { return TextEncoderHiddenStates(hiddenStates: selected, pooled: nil) }
            for layer in layers[kept...] { hidden = try layer(hidden) }
            let normalized = try finalLayerNorm(hidden)
            let rows = try pooledRows(normalized, tokenIDs: tokenIDs)
            let projected = try textProjection.map { (projection) throws(TensorError) in try projection(rows) } ?? rows
            return TextEncoderHiddenStates(hiddenStates: selected, pooled: projected)
        } catch {
            throw .computation(error)
        }
    }

    /// `[windows, hiddenSize]`: each window's row at its end-of-text position.
    private func pooledRows(_ states: Tensor, tokenIDs: [[Int]]) throws(TensorError) -> Tensor {
        let width = configuration.hiddenSize, length = states.shape[1]
        let eos = configuration.eosTokenID
        var rows = [Float]()
        rows.reserveCapacity(tokenIDs.count * width)
        let scalars = states.scalars
        for (window, ids) in tokenIDs.enumerated() {
            // transformers' legacy rule (eos_token_id 2): argmax of the ids, the first maximum on ties;
            // otherwise the first position of eos_token_id (argmax of a 0/1 mask: position 0 when absent).
            let position: Int
            if eos == 2 {
                position = ids.indices.max { ids[$0] < ids[$1] } ?? 0  // `max(by:)` keeps the first of equal maxima
            } else {
                position = ids.firstIndex(of: eos) ?? 0
            }
            let start = (window * length + position) * width
            rows.append(contentsOf: scalars[start..<(start + width)])
        }
        return Tensor(shape: [tokenIDs.count, width], scalars: rows)
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
