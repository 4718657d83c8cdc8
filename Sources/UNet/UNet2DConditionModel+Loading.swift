import Foundation

extension UNet2DConditionModel {
    /// The weight file name diffusers writes for a variant (`nil` → `diffusion_pytorch_model.safetensors`,
    /// `"fp16"` → `diffusion_pytorch_model.fp16.safetensors`).
    public static func weightsFileName(variant: String?) -> String {
        variant.map { "diffusion_pytorch_model.\($0).safetensors" } ?? "diffusion_pytorch_model.safetensors"
    }

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
        let directory = URL(fileURLWithPath: folder)
        let configuration = try UNetConfiguration(contentsOf: directory.appendingPathComponent("config.json").path)
        let candidates = variant == nil ? [Self.weightsFileName(variant: nil), Self.weightsFileName(variant: "fp16")]
            : [Self.weightsFileName(variant: variant)]
        guard let file = candidates.first(where: {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }) else {
            throw .weightsNotFound(folder: folder, candidates: candidates)
        }
        let source: SafetensorsWeightSource
        do { source = try SafetensorsWeightSource(path: directory.appendingPathComponent(file).path) } catch {
            throw .weights(error)
        }
        try self.init(configuration: configuration, source: source)
    }
}
