import Foundation
import UNet

/// Whether a ControlNet fits the pipeline it is asked to guide: the same text width (a ControlNet for
/// SD 2.x reads 1024-wide embeddings, one for SD 1.x 768), the same encoder structure (its residuals
/// must have the UNet's skip shapes), latents of the decoder's channels and a conditioning embedding
/// that lands on the latent size.
enum ControlNetCompatibility {
    /// "SD 1.x", "SD 2.x", "SDXL", or the width itself.
    static func familyName(crossAttentionWidth width: Int) -> String {
        switch width {
        case 768: return "SD 1.x"
        case 1024: return "SD 2.x"
        case 2048: return "SDXL"
        default: return "cross_attention_dim \(width)"
        }
    }
}

extension StableDiffusionPipeline {
    /// Checks that `model` can guide this pipeline's denoiser.
    ///
    /// - Parameters:
    ///   - model: The ControlNet.
    ///   - name: How to name it in the error.
    /// - Throws: ``PipelineError/incompatibleControlNet(name:reason:)`` saying what differs.
    public func checkCompatibility(of model: ControlNetModel, name: String) throws(PipelineError) {
        try checkCompatibility(of: model.configuration, name: name)
    }

    /// Checks that a ControlNet of architecture `control` can guide this pipeline's denoiser.
    ///
    /// - Parameters:
    ///   - control: The ControlNet's configuration.
    ///   - name: How to name it in the error.
    /// - Throws: ``PipelineError/incompatibleControlNet(name:reason:)`` saying what differs.
    public func checkCompatibility(of control: ControlNetConfiguration, name: String) throws(PipelineError) {
        guard control.unet.inChannels == decoder.latentChannels else {
            throw .incompatibleControlNet(name: name, reason: "it takes \(control.unet.inChannels) latent channels and this model's VAE makes \(decoder.latentChannels)")
        }
        guard control.imageScaleFactor == decoder.downsamplingFactor else {
            throw .incompatibleControlNet(name: name, reason: "its conditioning embedding shrinks images \(control.imageScaleFactor)× and this model's VAE \(decoder.downsamplingFactor)×")
        }
        // The structure can be compared only with the SDK's own UNet; another denoiser reports
        // misfitting residuals itself when it runs.
        guard let unet = (noisePredictor as? UNet2DConditionModel)?.configuration else { return }
        let c = control.unet
        if c.crossAttentionDim != unet.crossAttentionDim {
            throw .incompatibleControlNet(
                name: name, reason: "it is a ControlNet for \(ControlNetCompatibility.familyName(crossAttentionWidth: c.crossAttentionDim)) "
                    + "(cross_attention_dim \(c.crossAttentionDim)) and this model is \(ControlNetCompatibility.familyName(crossAttentionWidth: unet.crossAttentionDim)) (\(unet.crossAttentionDim))")
        }
        if c.blockOutChannels != unet.blockOutChannels || c.layersPerBlock != unet.layersPerBlock || c.downBlockTypes != unet.downBlockTypes {
            throw .incompatibleControlNet(
                name: name, reason: "its encoder (block_out_channels \(c.blockOutChannels), layers_per_block \(c.layersPerBlock)) "
                    + "differs from this UNet's (\(unet.blockOutChannels), \(unet.layersPerBlock))")
        }
    }

    /// Loads a ControlNet for this pipeline: a diffusers folder (`config.json` + weights) or an
    /// original-layout single file (`control_v11p_sd15_canny.safetensors`, whose structure is taken
    /// from this pipeline's UNet), and checks that it fits.
    ///
    /// - Parameters:
    ///   - path: The folder or `.safetensors` file.
    ///   - variant: For folders, the weight variant (`"fp16"`), as ``ControlNetModel/init(folder:variant:)``.
    /// - Returns: The model, ready for a ``ControlNetInput``.
    /// - Throws: ``PipelineError/fileNotFound(path:what:)``; ``PipelineError/unet(_:)`` for a folder's
    ///   configuration or weights; ``PipelineError/singleFile(_:)`` for a file's keys;
    ///   ``PipelineError/incompatibleControlNet(name:reason:)`` for a ControlNet of another base model.
    public func loadControlNet(at path: String, variant: String? = nil) throws(PipelineError) -> ControlNetModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path, what: "ControlNet")
        }
        let model: ControlNetModel
        if isDirectory.boolValue {
            // The configuration first, so a ControlNet for another base is named as such rather than
            // by the first tensor whose shape does not fit.
            do {
                let configuration = try ControlNetConfiguration(contentsOf: URL(fileURLWithPath: path).appendingPathComponent("config.json").path)
                try checkCompatibility(of: configuration, name: path)
                model = try ControlNetModel(folder: path, variant: variant)
            } catch let error as UNetError {
                throw .unet(error)
            } catch let error as PipelineError {
                throw error
            } catch {
                throw .component(name: "ControlNet", message: "\(error)")
            }
        } else {
            guard let unet = (noisePredictor as? UNet2DConditionModel)?.configuration else {
                throw .invalidModel(path: path, reason: "a single-file ControlNet takes its structure from the pipeline's UNet, and this pipeline's denoiser is not a UNet2DConditionModel; use a diffusers ControlNet folder")
            }
            model = try ControlNetSingleFile.load(path: path, base: unet)
        }
        try checkCompatibility(of: model, name: path)
        return model
    }
}
