import TensorModule
import TextEncoder
import Tokenizer
import UNet

/// A pipeline's text side and UNet as loaded from files, with the sources they were built from,
/// so that applying adapters rebuilds them from tensors already in memory (or mapped), never from
/// the files again. Shared, unchanged, by every pipeline value derived from the loaded one.
struct AdaptableModels: Sendable {
    /// One tokenizer / text encoder pair as loaded, in the conditioner's ``PromptConditioner/textEncoders``
    /// order, with the model a LoRA names it by.
    struct TextSlot: Sendable {
        /// `.textEncoder` (`text_encoder`, kohya `lora_te_` / `lora_te1_`) or `.textEncoder2`
        /// (`text_encoder_2`, `lora_te2_`; the SDXL refiner's only encoder is this one).
        let target: AdapterTarget
        let tokenizer: CLIPTokenizer
        let encoder: CLIPTextModel
        let source: RecordingWeightSource
    }

    /// The conditioner's slots, in its order.
    let textSlots: [TextSlot]
    let unet: UNet2DConditionModel
    let unetSource: RecordingWeightSource
}
