/// Turns windows of token ids into the per-token embeddings a noise predictor attends to.
///
/// The pipeline depends on this protocol, not on CLIP, so an app can supply its own encoder.
/// A pipeline encodes its prompts as one batch (`[negative, positive]` for classifier-free
/// guidance); a prompt longer than one window is split by the pipeline into several windows,
/// encoded in the same batch, and the pipeline concatenates their embeddings along the token
/// axis. An encoder only ever sees a batch of independent windows.
///
/// ``CLIPTextModel`` is the conformer for Stable Diffusion 1.x and 2.x.
public protocol TextEncoding: Sendable {
    /// The width of each output token embedding; a UNet's `cross_attention_dim` must equal it
    /// (768 for SD 1.x, 1024 for SD 2.x).
    var embeddingWidth: Int { get }

    /// The most tokens one window may hold (77 for CLIP).
    var maximumSequenceLength: Int { get }

    /// Encodes a batch of token-id windows.
    ///
    /// - Parameters:
    ///   - tokenIDs: One array of ids per window, all of the same length, between 1 and
    ///     ``maximumSequenceLength`` (the tokenizer pads to the full window).
    ///   - clipSkip: How many final layers to skip, as diffusers' `clip_skip`: nil or 0 uses
    ///     the last layer, 1 the one before it, and so on. An encoder without layers may accept
    ///     only nil and 0.
    /// - Returns: `[windows, tokens, embeddingWidth]`, window order preserved.
    /// - Throws: When an id, a length or `clipSkip` is out of range (the encoder's own error type).
    func encode(tokenIDs: [[Int]], clipSkip: Int?) throws -> Tensor
}

/// What ``PooledTextEncoding/encodeHiddenStates(tokenIDs:layersSkipped:pooled:)`` returns.
public struct TextEncoderHiddenStates: Sendable {
    /// The selected layer's hidden states `[windows, tokens, width]`, without a final layer norm.
    public var hiddenStates: Tensor
    /// The pooled (and, with a projection head, projected) embedding `[windows, pooledWidth]`, when asked for.
    public var pooled: Tensor?

    /// Wraps the two outputs.
    public init(hiddenStates: Tensor, pooled: Tensor?) {
        self.hiddenStates = hiddenStates
        self.pooled = pooled
    }
}

/// A text encoder that also hands out an intermediate layer's hidden states and a pooled embedding, as
/// SDXL's conditioning reads them (penultimate layers of both encoders, the second's projected pooled output).
///
/// ``CLIPTextModel`` is the conformer.
public protocol PooledTextEncoding: TextEncoding {
    /// Width of the pooled output.
    var pooledWidth: Int { get }

    /// Encodes a batch of windows, returning `hidden_states[-(layersSkipped + 1)]` (no final layer norm)
    /// and, when `pooled` is true, the pooled output of the last layer.
    ///
    /// - Parameters:
    ///   - tokenIDs: One array of ids per window, all of one length.
    ///   - layersSkipped: Final layers whose output is not used for the hidden states (1 = penultimate).
    ///   - pooled: Whether to compute the pooled output.
    /// - Returns: The hidden states and the optional pooled output.
    /// - Throws: When an id, a length or `layersSkipped` is out of range.
    func encodeHiddenStates(tokenIDs: [[Int]], layersSkipped: Int, pooled: Bool) throws -> TextEncoderHiddenStates
}
