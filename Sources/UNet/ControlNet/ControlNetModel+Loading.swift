import Foundation

extension ControlNetModel {
    /// Loads a diffusers ControlNet folder (`config.json` with `_class_name` `ControlNetModel` plus
    /// the safetensors weights), strictly. fp16 weights stay 16-bit.
    ///
    /// - Parameters:
    ///   - folder: The folder holding `config.json`.
    ///   - variant: The weight variant (`"fp16"` reads `diffusion_pytorch_model.fp16.safetensors`); when
    ///     nil, `diffusion_pytorch_model.safetensors`, or the `fp16` file when it is the only one.
    /// - Throws: ``UNetError/configurationUnreadable(path:reason:)`` and the other configuration errors,
    ///   ``UNetError/weightsNotFound(folder:candidates:)``, ``UNetError/weights(_:)``.
    public init(folder: String, variant: String? = nil) throws(UNetError) {
        let directory = URL(fileURLWithPath: folder)
        let configuration = try ControlNetConfiguration(contentsOf: directory.appendingPathComponent("config.json").path)
        guard let file = WeightFile.locate(in: directory, baseName: "diffusion_pytorch_model", variant: variant) else {
            throw .weightsNotFound(folder: folder, candidates: WeightFile.candidates(baseName: "diffusion_pytorch_model", variant: variant))
        }
        let source: SafetensorsWeightSource
        do { source = try SafetensorsWeightSource(path: file.path) } catch { throw .weights(error) }
        try self.init(configuration: configuration, source: source)
    }
}
