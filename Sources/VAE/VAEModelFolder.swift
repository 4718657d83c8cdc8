import Foundation

/// A diffusers VAE folder opened for loading: its configuration and a strict loader over its weights.
struct VAEModelFolder {
    let configuration: AutoencoderKLConfiguration
    let loader: WeightLoader

    /// Reads `config.json` and opens the weights file.
    ///
    /// - Parameters:
    ///   - directory: The `vae` folder.
    ///   - variant: nil for the plain file (or the `fp16` variant when it is the only file), else the
    ///     variant's file only.
    init(directory: URL, variant: String?) throws(VAEError) {
        configuration = try AutoencoderKLConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        loader = try Self.openWeights(directory: directory, variant: variant)
    }

    /// Opens the folder's weights file (`diffusion_pytorch_model[.variant].safetensors`) for strict loading.
    static func openWeights(directory: URL, variant: String?) throws(VAEError) -> WeightLoader {
        guard let file = WeightFile.locate(in: directory, baseName: "diffusion_pytorch_model", variant: variant) else {
            throw .weightsNotFound(directory: directory.path,
                                   lookedFor: WeightFile.candidates(baseName: "diffusion_pytorch_model", variant: variant))
        }
        let path = file.path
        return WeightLoader(source: try wrappingTensorErrors { () throws(TensorError) in
            try SafetensorsWeightSource(path: path)
        })
    }

    /// Reports tensors no layer used, except those under `ignoringPrefixes` (the other half of the
    /// autoencoder when only one half was loaded).
    func finish(ignoringPrefixes prefixes: [String] = []) throws(VAEError) {
        try wrappingTensorErrors { () throws(TensorError) in
            try loader.finish { name in prefixes.contains { name.hasPrefix($0) } }
        }
    }
}

extension AutoencoderKL {
    /// The configuration and weights file of a diffusers `vae` folder, without building the model (for
    /// loaders that wrap the weights, such as one keeping float32 weights 16-bit).
    ///
    /// - Parameters:
    ///   - directory: The `vae` folder.
    ///   - variant: nil for the plain file (or the `fp16` variant when it is the only file), else the
    ///     variant's file only.
    /// - Throws: ``VAEError`` for a missing or invalid configuration or a missing weights file.
    public static func folderContents(_ directory: URL, variant: String? = nil) throws(VAEError)
        -> (configuration: AutoencoderKLConfiguration, source: any WeightSource) {
        let folder = try VAEModelFolder(directory: directory, variant: variant)
        return (folder.configuration, folder.loader.source)
    }
}
