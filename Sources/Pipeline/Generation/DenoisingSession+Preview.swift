import TensorModule
import VAE

extension DenoisingSession {
    /// The latents a preview shows: the scheduler's estimate of the final latents at the last step
    /// where it makes one (DDIM, Euler, DPM++, …: what ComfyUI and AUTOMATIC1111 preview), else the
    /// current noisy latents (PNDM). Before the first step, the initial latents.
    public var previewLatents: Tensor { predictedOriginal ?? latents }

    /// Preview images of the generation so far, one per image: ``previewLatents`` decoded with the
    /// pipeline's ``StableDiffusionPipeline/previewDecoder`` (a TAESD), or else with the family's
    /// latent → RGB approximation (``ModelFamily/latentPreview``), which is enlarged to the output
    /// size by repeating each latent pixel.
    ///
    /// Reads the session's state and changes nothing in it: no random draws, no scheduler state, so a
    /// generation with previews gives bit for bit the images it gives without.
    ///
    /// - Returns: One image per generated image, of the output size.
    /// - Throws: ``PipelineError`` from the preview decoder.
    public func preview() throws(PipelineError) -> [RGBImage] {
        var approximation = pipeline.family.latentPreview
        approximation.downsamplingFactor = pipeline.decoder.downsamplingFactor
        let decoder: any LatentDecoding = pipeline.previewDecoder ?? approximation
        let source = previewLatents
        let decoded = try attributing(to: "preview decoder") { try decoder.decode(latents: source) }
        var images: [RGBImage] = []
        for index in 0..<source.shape[0] { images.append(try RGBImage(decoderOutput: decoded, index: index)) }
        return images
    }
}
