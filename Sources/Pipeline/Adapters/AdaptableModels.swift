import TensorModule
import TextEncoder
import Tokenizer
import UNet

/// A pipeline's text side and UNet as loaded from files, with the sources they were built from,
/// so that applying adapters rebuilds them from tensors already in memory (or mapped), never from
/// the files again. Shared, unchanged, by every pipeline value derived from the loaded one.
struct AdaptableModels: Sendable {
    let tokenizer: CLIPTokenizer
    let textEncoder: CLIPTextModel
    let textEncoderSource: RecordingWeightSource
    let unet: UNet2DConditionModel
    let unetSource: RecordingWeightSource
}
