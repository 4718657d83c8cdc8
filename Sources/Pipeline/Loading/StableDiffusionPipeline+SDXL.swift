import Dispatch
import Foundation
import Schedulers
import TensorModule
import TextEncoder
import Tokenizer
import UNet
import VAE

extension StableDiffusionPipeline {
    /// Loads an SDXL diffusers folder (`StableDiffusionXLPipeline` or its img2img class): two tokenizers and
    /// text encoders (the refiner: the second pair only), a `text_time` UNet, the VAE and the scheduler,
    /// checked against each other so that a mismatched component is a load error, not a failure at the
    /// first step.
    init(xlFolder folder: URL, index: DiffusersFolder.ModelIndex, options: LoadOptions,
         start: DispatchTime) throws(PipelineError) {
        let modelName = folder.standardizedFileURL.lastPathComponent
        let tokenizer2 = try attributing(to: "tokenizer 2") { try CLIPTokenizer(folder: folder.appendingPathComponent("tokenizer_2")) }
        // The refiner's only encoder is text_encoder_2; it is loaded in the first encoder's place.
        let components = try DiffusersFolder.loadComponents(
            unetFolder: folder.appendingPathComponent("unet"), vaeFolder: folder.appendingPathComponent("vae"),
            textEncoderFolder: folder.appendingPathComponent(index.isRefiner ? "text_encoder_2" : "text_encoder"),
            options: options)
        let conditioner: SDXLPromptConditioner
        let textEncoder2: CLIPTextModel
        // Each slot keeps the source it was built from, so adapters rebuild it without reading files again.
        let slots: [AdaptableModels.TextSlot]
        if index.isRefiner {
            textEncoder2 = components.textEncoder
            conditioner = SDXLPromptConditioner(refinerTokenizer: tokenizer2, textEncoder: textEncoder2,
                                                forceZerosForEmptyPrompt: index.forceZerosForEmptyPrompt)
            slots = [.init(target: .textEncoder2, tokenizer: tokenizer2, encoder: textEncoder2, source: components.textEncoderSource)]
        } else {
            let tokenizer = try attributing(to: "tokenizer") { try CLIPTokenizer(folder: folder.appendingPathComponent("tokenizer")) }
            let (configuration2, file2) = try attributing(to: "text encoder 2") {
                try CLIPTextModel.folderContents(folder.appendingPathComponent("text_encoder_2"), variant: options.variant)
            }
            let source2 = RecordingWeightSource(base: options.storing(file2))
            textEncoder2 = try attributing(to: "text encoder 2") { try CLIPTextModel(configuration: configuration2, weightSource: source2) }
            conditioner = SDXLPromptConditioner(tokenizer: tokenizer, textEncoder: components.textEncoder,
                                                tokenizer2: tokenizer2, textEncoder2: textEncoder2,
                                                forceZerosForEmptyPrompt: index.forceZerosForEmptyPrompt)
            slots = [.init(target: .textEncoder, tokenizer: tokenizer, encoder: components.textEncoder, source: components.textEncoderSource),
                     .init(target: .textEncoder2, tokenizer: tokenizer2, encoder: textEncoder2, source: source2)]
        }
        let schedulerOptions = try DiffusersFolder.schedulerOptions(folder)
        let unet = components.unet, vae = components.vae
        try Self.checkXLComponents(conditioner: conditioner, textEncoder2: textEncoder2, unet: unet.configuration,
                                   vae: vae, modelName: modelName)
        try self.init(family: .stableDiffusionXL, conditioner: conditioner, noisePredictor: unet, decoder: vae, encoder: vae,
                      schedulerOptions: schedulerOptions,
                      defaultImageSize: (unet.configuration.sampleSize ?? 128) * vae.downsamplingFactor,
                      modelName: modelName, loadSeconds: DenoisingSession.seconds(since: start))
        adaptableModels = AdaptableModels(textSlots: slots, unet: unet, unetSource: components.unetSource)
    }

    /// The widths SDXL's conditioning must agree on: context = the encoders' widths, `add_embedding`'s input
    /// = the pooled width plus six time ids (five for the refiner).
    static func checkXLComponents(conditioner: SDXLPromptConditioner, textEncoder2: CLIPTextModel,
                                          unet: UNetConfiguration, vae: AutoencoderKL, modelName: String) throws(PipelineError) {
        guard textEncoder2.configuration.hasProjectionHead else {
            throw .invalidModel(path: modelName, reason: "text_encoder_2 is not a CLIPTextModelWithProjection (its config's architectures); SDXL needs its pooled projection")
        }
        guard conditioner.contextWidth == unet.crossAttentionDim else {
            throw .invalidModel(path: modelName, reason: "the text encoders' widths add up to \(conditioner.contextWidth), but the UNet's cross_attention_dim is \(unet.crossAttentionDim)")
        }
        guard unet.additionEmbedType == .textTime, let timeWidth = unet.additionTimeEmbedDim,
              unet.projectionClassEmbeddingsInputDim == conditioner.pooledWidth + conditioner.timeIDCount * timeWidth else {
            throw .invalidModel(path: modelName, reason: "the UNet's addition embedding (addition_embed_type \(unet.additionEmbedType?.rawValue ?? "null"), projection_class_embeddings_input_dim \(unet.projectionClassEmbeddingsInputDim.map(String.init) ?? "null")) does not take text_encoder_2's \(conditioner.pooledWidth)-wide pooled embedding and \(conditioner.timeIDCount) time ids")
        }
        guard vae.latentChannels == unet.inChannels else {
            throw .invalidModel(path: modelName, reason: "VAE latent_channels \(vae.latentChannels) does not match the UNet's in_channels \(unet.inChannels)")
        }
    }
}
