import Foundation
import TextEncoder
import UNet
import VAE

extension SingleFileLayout {
    /// The layout of a model described by its component configurations (the same structs the
    /// components are built from, so the mapping and the models can never disagree).
    ///
    /// - Throws: ``SingleFileError/invalidConfig(path:key:reason:)`` for structures a single-file
    ///   checkpoint cannot have (per-block resnet counts).
    public init(unet: UNetConfiguration, vae: AutoencoderKLConfiguration, textEncoder: CLIPTextConfiguration,
                textEncoder2: CLIPTextConfiguration? = nil) throws(SingleFileError) {
        guard let layers = unet.layersPerBlock.first, unet.layersPerBlock.allSatisfy({ $0 == layers }) else {
            throw .invalidConfig(path: "unet/config.json", key: "layers_per_block",
                                 reason: "per-block counts \(unet.layersPerBlock) are not supported in single-file checkpoints")
        }
        self.init(derivedFrom: unet, vae: vae, textEncoder: textEncoder, textEncoder2: textEncoder2)
    }

    /// The derivation, for configurations known to be uniform (the presets).
    init(derivedFrom unet: UNetConfiguration, vae: AutoencoderKLConfiguration, textEncoder: CLIPTextConfiguration,
         textEncoder2: CLIPTextConfiguration? = nil) {
        self.init(
            unet: UNetLayout(
                downBlocks: unet.downBlockTypes.map { $0 == .crossAttention ? .crossAttention : .plain },
                upBlocks: unet.upBlockTypes.map { $0 == .crossAttention ? .crossAttention : .plain },
                layersPerBlock: unet.layersPerBlock.first ?? 1,
                transformerLayersPerBlock: unet.transformerLayersPerBlock,
                useLinearProjection: unet.useLinearProjection, textTimeEmbedding: unet.additionEmbedType == .textTime),
            vae: VAELayout(blockCount: vae.blockOutChannels.count, layersPerBlock: vae.layersPerBlock,
                           midBlockHasAttention: vae.midBlockAddAttention),
            textEncoder: TextEncoderLayout(layerCount: textEncoder.layerCount),
            textEncoder2: textEncoder2.map { TextEncoderLayout(layerCount: $0.layerCount) })
    }

    /// Reads the layout from a diffusers model folder's `unet/config.json`, `vae/config.json` and
    /// `text_encoder/config.json`, as diffusers' `from_single_file(path, config=folder)` does, with the
    /// components' own configuration decoders (keys a config omits take the class defaults).
    ///
    /// - Parameter folder: The model folder (the one holding `model_index.json`).
    /// - Throws: ``SingleFileError/invalidConfig(path:key:reason:)`` naming the file and key when a
    ///   config is missing, malformed, or describes a structure the SDK does not support.
    public init(diffusersFolder folder: String) throws(SingleFileError) {
        let configurations = try SingleFileLayout.componentConfigurations(diffusersFolder: folder)
        try self.init(unet: configurations.unet, vae: configurations.vae, textEncoder: configurations.textEncoder)
    }

    /// Decodes the three component configurations of a diffusers folder, turning their errors into
    /// ``SingleFileError/invalidConfig(path:key:reason:)`` naming the file and key.
    public static func componentConfigurations(diffusersFolder folder: String) throws(SingleFileError)
        -> (unet: UNetConfiguration, vae: AutoencoderKLConfiguration, textEncoder: CLIPTextConfiguration) {
        let root = URL(fileURLWithPath: folder)
        let unetPath = root.appendingPathComponent("unet/config.json").path
        let vaePath = root.appendingPathComponent("vae/config.json").path
        let textPath = root.appendingPathComponent("text_encoder/config.json").path
        let unet: UNetConfiguration
        do { unet = try UNetConfiguration(contentsOf: unetPath) } catch {
            throw .invalidConfig(path: unetPath, key: error.configurationKey, reason: error.description)
        }
        let vae: AutoencoderKLConfiguration
        do { vae = try AutoencoderKLConfiguration(contentsOf: URL(fileURLWithPath: vaePath)) } catch {
            throw .invalidConfig(path: vaePath, key: error.configurationKey, reason: error.description)
        }
        let text: CLIPTextConfiguration
        do { text = try CLIPTextConfiguration(contentsOf: URL(fileURLWithPath: textPath)) } catch {
            throw .invalidConfig(path: textPath, key: error.configurationKey, reason: error.description)
        }
        return (unet, vae, text)
    }
}

private extension UNetError {
    var configurationKey: String? {
        switch self {
        case .invalidConfiguration(let key, _, _), .unsupportedConfiguration(let key, _, _): return key
        default: return nil
        }
    }
}

private extension VAEError {
    var configurationKey: String? {
        if case .invalidConfiguration(let key, _, _) = self { return key }
        return nil
    }
}

private extension TextEncoderError {
    var configurationKey: String? {
        if case .invalidConfiguration(let key, _, _, _) = self { return key }
        return nil
    }
}
