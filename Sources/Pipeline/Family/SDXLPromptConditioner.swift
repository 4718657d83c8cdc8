import TensorModule
import TextEncoder
import Tokenizer
import UNet

/// The text side of Stable Diffusion XL (base, Turbo and refiner): two tokenizer / encoder pairs whose penultimate
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
/// With ``PromptSyntax/plain`` prompts are truncated to one 77-token window, as diffusers does; with
/// ``PromptSyntax/automatic1111`` both encoders chunk and weight the parsed prompt as the web UI does for SDXL
/// (`SDXLTextConditioning.encodeAutomatic1111`, `Documentation/PromptSyntax.md`), the zeros rule above staying
/// diffusers' (the web UI zeros every empty negative prompt, typed or not).
///
/// The refiner (``init(refinerTokenizer:textEncoder:forceZerosForEmptyPrompt:)``) has the second encoder only,
/// whose hidden states are then the whole context, and five time ids: original size, crop, and the aesthetic
/// score (``SDXLMicroConditioning/aestheticScore`` for the prompt, ``SDXLMicroConditioning/negativeAestheticScore``
/// for the negative side), as `StableDiffusionXLImg2ImgPipeline` with `requires_aesthetics_score` builds them.
public struct SDXLPromptConditioner: PromptConditioner {
    let text: SDXLTextConditioning
    let firstSlot: TextEncoderSlot?
    let secondSlot: TextEncoderSlot
    /// Whether the time ids end with an aesthetic score instead of the target size (the refiner's
    /// `requires_aesthetics_score`).
    public let requiresAestheticsScore: Bool
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
        requiresAestheticsScore = false
    }

    /// The refiner's conditioner: the second encoder only, aesthetic-score time ids.
    ///
    /// - Parameters:
    ///   - tokenizer: The refiner's tokenizer (`tokenizer_2/`).
    ///   - textEncoder: The refiner's encoder with its projection (`text_encoder_2/`).
    ///   - forceZerosForEmptyPrompt: `model_index.json`'s `force_zeros_for_empty_prompt` (false for the
    ///     published refiner).
    public init(refinerTokenizer tokenizer: any PromptTokenizer, textEncoder: any PooledTextEncoding,
                forceZerosForEmptyPrompt: Bool = false) {
        text = SDXLTextConditioning(first: nil, second: (tokenizer, textEncoder))
        firstSlot = nil
        secondSlot = TextEncoderSlot(tokenizer: tokenizer, encoder: textEncoder)
        self.forceZerosForEmptyPrompt = forceZerosForEmptyPrompt
        requiresAestheticsScore = true
    }

    /// CLIP ViT-L's pair, then OpenCLIP ViT-bigG's (the refiner: the latter only).
    public var textEncoders: [TextEncoderSlot] { (firstSlot.map { [$0] } ?? []) + [secondSlot] }

    /// How many time ids the UNet receives: 6 (sizes and crop), or 5 with the aesthetic score.
    public var timeIDCount: Int { requiresAestheticsScore ? 5 : 6 }

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
        guard micro.aestheticScore.isFinite, micro.negativeAestheticScore.isFinite else {
            throw .invalidParameter(name: "aestheticScore", value: "\(micro.aestheticScore) / \(micro.negativeAestheticScore)",
                                    allowed: "finite numbers")
        }
        func timeIDs(negative: Bool) -> Tensor {
            requiresAestheticsScore ? micro.refinerTimeIDs(width: request.width, height: request.height, negative: negative)
                                    : micro.baseTimeIDs(width: request.width, height: request.height)
        }
        let positive: SDXLScheduledText
        var negative: SDXLScheduledText?
        switch request.syntax {
        case .plain:
            let encoded = try text.encode(request.prompt, clipSkip: request.clipSkip)
            positive = SDXLScheduledText(endSteps: [request.steps], texts: [encoded])
            negative = try request.guided
                ? SDXLScheduledText(endSteps: [request.steps],
                                    texts: [text.encodeNegative(request.negativePrompt, forceZeros: forceZerosForEmptyPrompt, like: encoded)])
                : nil
        case .automatic1111:
            positive = try text.encodeAutomatic1111(A1111Prompt(request.prompt).text, steps: request.steps, clipSkip: request.clipSkip)
            if request.guided, request.negativePrompt == nil, forceZerosForEmptyPrompt {
                // diffusers' rule, kept in both syntaxes: zeros shaped like the prompt's (first) conditioning.
                let like = positive.texts[0]
                negative = SDXLScheduledText(endSteps: [request.steps], texts: [(Tensor.zeros(like.context.shape), Tensor.zeros(like.pooled.shape))])
            } else if request.guided {
                negative = try text.encodeAutomatic1111(request.negativePrompt ?? "", steps: request.steps, clipSkip: nil)
            }
        }
        func schedule(_ side: SDXLScheduledText, negative: Bool) throws(PipelineError) -> ConditioningSchedule {
            let ids = timeIDs(negative: negative)
            let conditionings = side.texts.map {
                DenoiserConditioning(context: $0.context, pooledTextEmbedding: $0.pooled, timeIDs: ids)
            }
            return try A1111PromptSide.schedule(endSteps: side.endSteps, conditionings)
        }
        let negativeSchedule = try negative.map { side throws(PipelineError) in try schedule(side, negative: true) }
        return try PromptConditioning(positive: schedule(positive, negative: false), negative: negativeSchedule)
    }
}
