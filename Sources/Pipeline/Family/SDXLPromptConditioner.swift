import TensorModule
import TextEncoder
import Tokenizer
import UNet

/// The text side of Stable Diffusion XL (base and Turbo): two tokenizer / encoder pairs whose penultimate
/// hidden states, concatenated, are the context; the second encoder's projected pooled output and the
/// micro-conditioning time ids are the UNet's additional conditioning. As diffusers 0.42.1's
/// `StableDiffusionXLPipeline.encode_prompt` and `_get_add_time_ids` compute them:
///
/// - context `[1, 77, w₁ + w₂]`: `hidden_states[-(clip_skip + 2)]` of each encoder (no final layer norm);
/// - pooled `[1, P]`: encoder 2's `text_embeds`, from its last layer whatever `clip_skip` says;
/// - time ids `[1, 6]`: original size (h, w), crop top-left (top, left), target size (h, w), from the
///   request's ``SDXLMicroConditioning`` (default: the generated size, no crop); the negative side gets the
///   same ids;
/// - negative side: zeros (context and pooled) when no negative prompt is given and the model sets
///   `force_zeros_for_empty_prompt`; otherwise the negative prompt, or "", encoded from the penultimate
///   layer (clip skip applies to the prompt only).
///
/// Both encoders read the same prompt (diffusers' `prompt_2` / `negative_prompt_2` default to the prompt).
/// Prompts are truncated to one 77-token window, as diffusers does.
public struct SDXLPromptConditioner: PromptConditioner {
    let text: SDXLTextConditioning
    let firstSlot: TextEncoderSlot
    let secondSlot: TextEncoderSlot
    /// Whether a missing negative prompt means zero conditioning (`force_zeros_for_empty_prompt` in
    /// `model_index.json`; true for SDXL base and Turbo).
    public let forceZerosForEmptyPrompt: Bool

    /// A conditioner over SDXL's two encoders.
    ///
    /// - Parameters:
    ///   - tokenizer: The first tokenizer (CLIP ViT-L's, `tokenizer/`).
    ///   - textEncoder: The first encoder (`text_encoder/`).
    ///   - tokenizer2: The second tokenizer (`tokenizer_2/`, padding with `!`).
    ///   - textEncoder2: The second encoder with its projection (`text_encoder_2/`).
    ///   - forceZerosForEmptyPrompt: `model_index.json`'s `force_zeros_for_empty_prompt`.
    public init(tokenizer: any PromptTokenizer, textEncoder: any PooledTextEncoding,
                tokenizer2: any PromptTokenizer, textEncoder2: any PooledTextEncoding,
                forceZerosForEmptyPrompt: Bool = true) {
        text = SDXLTextConditioning(first: (tokenizer, textEncoder), second: (tokenizer2, textEncoder2))
        firstSlot = TextEncoderSlot(tokenizer: tokenizer, encoder: textEncoder)
        secondSlot = TextEncoderSlot(tokenizer: tokenizer2, encoder: textEncoder2)
        self.forceZerosForEmptyPrompt = forceZerosForEmptyPrompt
    }

    /// CLIP ViT-L's pair, then OpenCLIP ViT-bigG's.
    public var textEncoders: [TextEncoderSlot] { [firstSlot, secondSlot] }

    /// Width of the context (the two encoders' widths added), which must be the UNet's `cross_attention_dim`.
    public var contextWidth: Int { text.contextWidth }

    /// Width of the pooled embedding (encoder 2's projection).
    public var pooledWidth: Int { text.second.encoder.pooledWidth }

    /// Encodes the prompt and, when guided, the negative side, with the time ids.
    ///
    /// - Throws: ``PipelineError`` from a tokenizer or text encoder, or
    ///   ``PipelineError/invalidParameter(name:value:allowed:)`` for a non-positive size or negative crop.
    public func conditioning(for request: PromptRequest) throws(PipelineError) -> PromptConditioning {
        let micro = request.microConditioning
        for (name, size) in [("originalSize", micro.originalSize), ("targetSize", micro.targetSize)] {
            if let size, size.width < 1 || size.height < 1 {
                throw .invalidParameter(name: name, value: "\(size.width)×\(size.height)", allowed: "positive width and height")
            }
        }
        guard micro.cropTopLeft.x >= 0, micro.cropTopLeft.y >= 0 else {
            throw .invalidParameter(name: "cropTopLeft", value: "(\(micro.cropTopLeft.x), \(micro.cropTopLeft.y))",
                                    allowed: "x ≥ 0 and y ≥ 0")
        }
        let timeIDs = micro.baseTimeIDs(width: request.width, height: request.height)
        let positive = try text.encode(request.prompt, clipSkip: request.clipSkip)
        let negative = try request.guided
            ? text.encodeNegative(request.negativePrompt, forceZeros: forceZerosForEmptyPrompt, like: positive) : nil
        func schedule(_ side: (context: Tensor, pooled: Tensor)) -> ConditioningSchedule {
            ConditioningSchedule(DenoiserConditioning(context: side.context, pooledTextEmbedding: side.pooled, timeIDs: timeIDs))
        }
        return PromptConditioning(positive: schedule(positive), negative: negative.map(schedule))
    }
}
