import TextEncoder
import Tokenizer

/// A model family's text side: turns the prompts of one generation into the conditioning its
/// denoiser reads. SD 1.x/2.x use one CLIP tokenizer and encoder (``CLIPPromptConditioner``); SDXL
/// uses two and adds a pooled embedding and size conditioning. The pipeline holds one conditioner and
/// never looks inside the conditioning it returns, so a family (or an app's own encoder) plugs in
/// here without a second pipeline.
public protocol PromptConditioner: Sendable {
    /// The tokenizer / text encoder pairs the conditioner uses, the primary one first (SDXL: CLIP
    /// ViT-L, then OpenCLIP ViT-bigG). Features that act on every encoder (LoRA, textual inversion)
    /// reach them through this list.
    var textEncoders: [TextEncoderSlot] { get }

    /// Encodes the prompt and, when guided, the negative prompt.
    ///
    /// - Parameter request: The prompts and what the family needs besides them (clip skip, size, steps).
    /// - Returns: Batch-1 schedules for the positive and the negative side.
    /// - Throws: ``PipelineError`` from a tokenizer or text encoder, or for a request the family
    ///   cannot encode.
    func conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning
}

/// One tokenizer and the text encoder that reads its ids.
public struct TextEncoderSlot: Sendable {
    /// Turns prompts into token ids.
    public var tokenizer: any PromptTokenizer
    /// Turns token ids into embeddings.
    public var encoder: any TextEncoding

    /// A pair.
    public init(tokenizer: any PromptTokenizer, encoder: any TextEncoding) {
        self.tokenizer = tokenizer
        self.encoder = encoder
    }
}
