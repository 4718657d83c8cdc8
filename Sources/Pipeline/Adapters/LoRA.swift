import Foundation
import TensorModule

/// A LoRA file as people download it, read into low-rank factors: a value to apply to a loaded
/// pipeline at a scale (``StableDiffusionPipeline/applying(loras:embeddings:)``), any number of
/// times, without reloading the model.
///
/// Spellings read (`.safetensors` only; pickles are refused unread):
/// - kohya-ss / A1111: `lora_unet_<module path, dots as underscores>.lora_down.weight` /
///   `.lora_up.weight` / `.alpha`, text encoder `lora_te_text_model_…` (`lora_te1_` / `lora_te2_`
///   for SDXL's two encoders). Linear layers and LoCon convolutions (4-D factors, 3×3 included).
/// - diffusers / PEFT (`save_lora_weights`): `unet.<module>.lora_A.weight` / `lora_B.weight`,
///   `text_encoder.[text_model.]<module>…`, with `lora_alpha` / `r` / `alpha_pattern` from the
///   header's `lora_adapter_metadata`.
/// - diffusers' training scripts: `….lora.down.weight` / `.lora.up.weight`,
///   `….lora_linear_layer.down.weight` / `.up.weight`, and the older attention-processor names
///   (`….processor.to_q_lora.down.weight`).
///
/// Each module's delta is `scale × alpha / rank × up · down` (no alpha: `scale × up · down`), the
/// semantics of diffusers' `load_lora_weights` + `set_adapters(names, adapter_weights)`.
/// LoHa, LoKr, DoRA and full-weight diffs are refused with ``AdapterError/unsupportedFormat(path:key:reason:)``.
public struct LoRA: Sendable {
    /// How the file spells its keys.
    public enum Format: String, Sendable {
        /// kohya-ss / A1111 (`lora_unet_…`, `lora_te_…`).
        case kohya
        /// diffusers / PEFT (`….lora_A.weight`).
        case peft
        /// diffusers' training-script spellings (`….lora.down.weight`, `….lora_linear_layer.down.weight`).
        case diffusers
    }

    /// One layer's factors, as the file names them.
    public struct Module: Sendable {
        /// The model the layer belongs to.
        public let target: AdapterTarget
        /// The layer's name in the file: a dotted module path (`down_blocks.0.…attn1.to_q`), or for
        /// kohya files the underscored one without its `lora_unet_` / `lora_te_` prefix.
        public let name: String
        /// Whether ``name`` is kohya's underscored spelling.
        public let isKohyaName: Bool
        /// The file key of the down factor (named in errors and warnings).
        public let key: String
        /// The file key of the up factor.
        public let upKey: String
        /// `[rank, in]` or `[rank, in, kh, kw]`.
        public let down: Tensor
        /// `[out, rank]` or `[out, rank, 1, 1]`.
        public let up: Tensor
        /// The module's alpha, or nil for none (then alpha = rank).
        public let alpha: Float?

        /// The rank of the factors.
        public var rank: Int { down.shape[0] }
        /// `alpha / rank` (1 without alpha).
        public var alphaScale: Float { (alpha ?? Float(rank)) / Float(rank) }
    }

    /// The file.
    public let path: String
    /// The file name without extension (how PNG parameters and messages name it).
    public let name: String
    /// The file's spelling.
    public let format: Format
    /// The layers it changes, sorted by key.
    public let modules: [Module]
    /// The user's strength: every delta is multiplied by it (diffusers' `adapter_weights`).
    public var scale: Float

    /// Reads a LoRA file.
    ///
    /// - Parameters:
    ///   - path: A `.safetensors` file.
    ///   - scale: The strength to apply it with (1 = as trained).
    /// - Throws: ``AdapterError``: missing or pickle files, malformed tensors, unsupported kinds.
    public init(contentsOf path: String, scale: Float = 1) throws(AdapterError) {
        let file = try AdapterFile.open(path)
        let parsed = try LoRAKeyParser.parse(file)
        self.path = path
        self.name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        self.format = parsed.format
        self.modules = parsed.modules
        self.scale = scale
    }

    /// The same LoRA at another strength.
    public func scaled(_ scale: Float) -> LoRA {
        var copy = self
        copy.scale = scale
        return copy
    }
}

/// The model of a pipeline an adapter changes.
public enum AdapterTarget: String, Sendable, CaseIterable {
    /// The UNet.
    case unet
    /// The (first) text encoder.
    case textEncoder
    /// SDXL's second text encoder (no SD 1.x / 2.x model has one).
    case textEncoder2

    /// How messages name it.
    public var displayName: String {
        switch self {
        case .unet: return "UNet"
        case .textEncoder: return "text encoder"
        case .textEncoder2: return "second text encoder"
        }
    }
}
