import Foundation
import VAE

/// A VAE to use instead of a model's own, for the final decode and for image-to-image encoding: a
/// diffusers `AutoencoderKL` folder, a single `.safetensors` VAE, a TAESD (`AutoencoderTiny`) folder,
/// or any decoder / encoder pair an app supplies. Apply it with
/// ``StableDiffusionPipeline/replacingVAE(_:)``, which checks that it fits the model.
///
/// Each VAE brings its own `scaling_factor` (diffusers' pipelines read `vae.config.scaling_factor`),
/// so latents are scaled for the VAE in use: 0.18215 for SD 1.x/2.x VAEs, 1.0 for TAESD.
public struct VAEReplacement: Sendable {
    /// What kind of autoencoder it is.
    public enum Kind: Sendable, Equatable {
        /// diffusers' `AutoencoderKL`, with its configuration.
        case autoencoderKL(AutoencoderKLConfiguration)
        /// diffusers' `AutoencoderTiny` (TAESD), with its configuration.
        case tiny(AutoencoderTinyConfiguration)
        /// An app's own decoder (and encoder).
        case custom
    }

    /// Latents → images.
    public let decoder: any LatentDecoding
    /// Images → latents for image-to-image; nil leaves image-to-image unavailable.
    public let encoder: (any LatentEncoding)?
    /// What kind of autoencoder it is.
    public let kind: Kind
    /// Where it came from (a path or a name), for messages and the PNG parameters.
    public let name: String

    /// Wraps an app's own decoder and encoder. No family check is possible for these.
    ///
    /// - Parameters:
    ///   - decoder: Latents → images.
    ///   - encoder: Images → latents, or nil.
    ///   - name: A name for messages and the PNG parameters.
    public init(decoder: any LatentDecoding, encoder: (any LatentEncoding)?, name: String) {
        self.decoder = decoder
        self.encoder = encoder
        self.kind = .custom
        self.name = name
    }

    /// Wraps a loaded `AutoencoderKL` (decoder and encoder).
    ///
    /// - Parameters:
    ///   - autoencoder: The model.
    ///   - name: A name for messages and the PNG parameters.
    public init(_ autoencoder: AutoencoderKL, name: String) {
        decoder = autoencoder
        encoder = autoencoder
        kind = .autoencoderKL(autoencoder.configuration)
        self.name = name
    }

    /// Wraps a loaded TAESD (decoder and encoder).
    ///
    /// - Parameters:
    ///   - tiny: The model.
    ///   - name: A name for messages and the PNG parameters.
    public init(_ tiny: AutoencoderTiny, name: String) {
        decoder = tiny
        encoder = tiny
        kind = .tiny(tiny.configuration)
        self.name = name
    }

    /// Loads a VAE from disk.
    ///
    /// - A folder with `config.json`: `_class_name` `AutoencoderTiny` loads TAESD, `AutoencoderKL` (or
    ///   none) an AutoencoderKL. A model folder holding `vae/` is read from its `vae/` folder.
    /// - A `.safetensors` file: a single-file VAE in the original LDM key layout (or under
    ///   `first_stage_model.`, or with diffusers' names), with `singleFileConfiguration` as its
    ///   architecture and scaling factor.
    ///
    /// - Parameters:
    ///   - path: The folder or file.
    ///   - singleFileConfiguration: The configuration for a single file (the base model's
    ///     `vae/config.json` or the family's published one); ignored for folders.
    ///   - variant: Weight variant of a folder (`"fp16"`), as ``LoadOptions/variant``.
    ///   - tiling: Tiling for an AutoencoderKL (TAESD does not tile).
    /// - Throws: ``PipelineError`` naming the file, key or tensor at fault.
    public static func load(contentsOf path: String, singleFileConfiguration: AutoencoderKLConfiguration,
                            variant: String? = nil, tiling: VAETiling? = nil) throws(PipelineError) -> VAEReplacement {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path, what: "VAE folder or .safetensors file")
        }
        guard isDirectory.boolValue else {
            return VAEReplacement(try SingleFileVAE.load(path: path, configuration: singleFileConfiguration, tiling: tiling),
                                  name: path)
        }
        var folder = URL(fileURLWithPath: path)
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path),
           FileManager.default.fileExists(atPath: folder.appendingPathComponent("vae/config.json").path) {
            folder = folder.appendingPathComponent("vae")
        }
        let configPath = folder.appendingPathComponent("config.json").path
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw .fileNotFound(path: configPath, what: "VAE config.json")
        }
        let className = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["_class_name"] as? String
        switch className {
        case "AutoencoderTiny":
            return VAEReplacement(try attributing(to: "VAE") { try AutoencoderTiny(directory: folder, variant: variant) }, name: path)
        case nil, "AutoencoderKL":
            return VAEReplacement(try attributing(to: "VAE") { try AutoencoderKL(directory: folder, variant: variant, tiling: tiling) },
                                  name: path)
        case let other?:
            throw .invalidModel(path: configPath, reason: "\"_class_name\" is \"\(other)\"; supported VAEs: AutoencoderKL, AutoencoderTiny")
        }
    }

    /// The model family whose latent space this VAE was made for, when its configuration tells: an
    /// AutoencoderKL's `scaling_factor` is that of one family's published VAE (SD 1.x/2.x 0.18215,
    /// SDXL 0.13025). nil when it cannot tell (TAESD and TAESDXL share one configuration; custom VAEs).
    ///
    /// - Parameter candidates: The families to tell apart.
    /// - Returns: The families whose published VAE has this scaling factor (SD 1.x and 2.x both), or
    ///   nil when unknown.
    public func families(among candidates: [ModelFamily] = ModelFamily.known) -> [ModelFamily]? {
        guard case .autoencoderKL(let configuration) = kind else { return nil }
        let matching = candidates.filter { $0.vaeScalingFactor == configuration.scalingFactor }
        return matching.isEmpty ? nil : matching
    }

    /// `scaling_factor` of the VAE, when its kind has one.
    var scalingFactor: Double? {
        switch kind {
        case .autoencoderKL(let configuration): return configuration.scalingFactor
        case .tiny(let configuration): return configuration.scalingFactor
        case .custom: return nil
        }
    }
}
