import Foundation

extension UNet2DConditionModel {
    /// Loads a diffusers UNet folder (`unet/` of a pipeline): `config.json` plus the safetensors
    /// weights, strictly (a missing, misshapen or unused tensor is an error). Float16 and bfloat16
    /// weights are widened to float32.
    ///
    /// - Parameters:
    ///   - folder: The folder holding `config.json`.
    ///   - variant: The weight variant to load (`"fp16"` reads `diffusion_pytorch_model.fp16.safetensors`).
    ///     When nil, `diffusion_pytorch_model.safetensors` is read, or the `fp16` file when it is the
    ///     only one present.
    /// - Throws: ``UNetError/configurationUnreadable(path:reason:)`` and the other configuration errors,
    ///   ``UNetError/weightsNotFound(folder:candidates:)`` when no weight file exists, ``UNetError/weights(_:)``
    ///   for unreadable files or tensors that do not match the configuration.
    public init(folder: String, variant: String? = nil) throws(UNetError) {
        let (configuration, source) = try Self.folderContents(folder, variant: variant)
        try self.init(configuration: configuration, source: source)
    }

    /// The configuration and the opened weight file of a diffusers UNet folder, for callers that
    /// build the model from the source themselves (the pipeline keeps it to rebuild the UNet with
    /// LoRAs).
    ///
    /// - Parameters:
    ///   - folder: The folder holding `config.json`.
    ///   - variant: The weight variant, as for ``init(folder:variant:)``.
    /// - Throws: The configuration and file errors of ``init(folder:variant:)``.
    public static func folderContents(_ folder: String, variant: String? = nil) throws(UNetError)
        -> (configuration: UNetConfiguration, source: SafetensorsWeightSource) {
        let directory = URL(fileURLWithPath: folder)
        let configuration = try UNetConfiguration(contentsOf: directory.appendingPathComponent("config.json").path)
        guard let file = WeightFile.locate(in: directory, baseName: "diffusion_pytorch_model", variant: variant) else {
            throw .weightsNotFound(folder: folder, candidates: WeightFile.candidates(baseName: "diffusion_pytorch_model", variant: variant))
        }
        let source: SafetensorsWeightSource
        do { source = try SafetensorsWeightSource(path: file.path) } catch {
            throw .weights(error)
        }
        return (configuration, source)
    }
}
