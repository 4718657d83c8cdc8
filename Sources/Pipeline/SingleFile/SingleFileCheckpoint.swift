import Foundation
import TensorModule

/// A Stable Diffusion 1.x, 2.x or XL (base or refiner) checkpoint in one `.safetensors` file, in the original LDM /
/// SGM / A1111 layout, loaded with no conversion step: the file is memory-mapped once and each component reads
/// its tensors from it under diffusers / transformers names.
///
/// ```swift
/// let checkpoint = try SingleFileCheckpoint(path: "v1-5-pruned-emaonly.safetensors")
/// let unetLoader = WeightLoader(source: checkpoint.unet)   // down_blocks.0.resnets.0.norm1.weight, …
/// ```
///
/// With `layout: nil` the published configuration of the detected family is assumed (SD 1.5 or
/// SD 2.1, as diffusers' `from_single_file` does without `config`); pass
/// ``SingleFileLayout/init(diffusersFolder:)`` for a model folder's configuration
/// (`from_single_file(path, config=folder)`).
public struct SingleFileCheckpoint: Sendable {
    /// The open file.
    public let file: SafetensorsFile
    /// The name map.
    public let mapping: SingleFileKeyMapping
    /// The UNet's weights (`UNet2DConditionModel` names).
    public let unet: SingleFileWeightSource
    /// The VAE's weights (`AutoencoderKL` names).
    public let vae: SingleFileWeightSource
    /// The text encoder's weights (`CLIPTextModel` names, `text_model.…` by default).
    public let textEncoder: SingleFileWeightSource
    /// SDXL base's second text encoder (`CLIPTextModelWithProjection` names); nil for other families.
    public let textEncoder2: SingleFileWeightSource?

    /// The file path.
    public var path: String { file.path }
    /// SD 1.x, SD 2.x, SDXL or the SDXL refiner.
    public var family: SingleFileFamily { mapping.family }
    /// The layout the names were mapped with.
    public var layout: SingleFileLayout { mapping.layout }
    /// The safetensors `__metadata__` strings.
    public var metadata: [String: String] { file.metadata }
    /// What the UNet predicts, as far as the file tells (see ``SingleFilePrediction``).
    public var prediction: SingleFilePrediction {
        .guess(family: family, metadata: file.metadata, inpainting: unetInputChannels == 9)
    }
    /// The UNet's input channels: 4, or 9 for an inpainting checkpoint (latents + mask + masked-image
    /// latents; SD 1.5 / SD 2 inpainting).
    public var unetInputChannels: Int {
        SingleFileFamily.unetInputChannels(tensorShapes: file.entries.mapValues(\.shape)) ?? 4
    }

    /// Opens, recognises and maps a checkpoint.
    ///
    /// - Parameters:
    ///   - path: The `.safetensors` file.
    ///   - layout: The model structure; nil for the published preset of the detected family.
    ///   - textEncoderPrefix: Put before every text-encoder name (`text_model.` by default; `""` for
    ///     the layout transformers 5 saves).
    /// - Throws: ``SingleFileError``: ``SingleFileError/fileNotFound(path:)``;
    ///   ``SingleFileError/pickleCheckpoint(path:)`` for `.ckpt` and other pickles (never unpickled);
    ///   ``SingleFileError/unreadableFile(path:underlying:)`` for malformed or truncated files; the
    ///   detection and mapping errors of ``SingleFileKeyMapping/init(tensorShapes:path:layout:textEncoderPrefix:)``.
    public init(path: String, layout: SingleFileLayout? = nil, textEncoderPrefix: String = "text_model.") throws(SingleFileError) {
        guard let format = CheckpointFileFormat.sniff(path: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw .unreadableFile(path: path, underlying: .fileUnreadable(path: path, reason: "cannot be opened for reading"))
            }
            throw .fileNotFound(path: path)
        }
        if format == .pickle { throw .pickleCheckpoint(path: path) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw .unreadableFile(path: path, underlying: error) }
        let shapes = file.entries.mapValues(\.shape)
        let mapping = try SingleFileKeyMapping(tensorShapes: shapes, path: path, layout: layout, textEncoderPrefix: textEncoderPrefix)
        try Self.checkReadable(file, mapping: mapping)
        self.file = file
        self.mapping = mapping
        self.unet = SingleFileWeightSource(component: .unet, file: file, sources: mapping[.unet])
        self.vae = SingleFileWeightSource(component: .vae, file: file, sources: mapping[.vae])
        self.textEncoder = SingleFileWeightSource(component: .textEncoder, file: file, sources: mapping[.textEncoder])
        self.textEncoder2 = mapping.components[.textEncoder2].map {
            SingleFileWeightSource(component: .textEncoder2, file: file, sources: $0)
        }
    }

    /// Recognises the family of a checkpoint from its header alone.
    ///
    /// - Parameter path: The `.safetensors` file.
    /// - Returns: SD 1.x, SD 2.x, SDXL or the SDXL refiner.
    /// - Throws: The file errors of ``init(path:layout:textEncoderPrefix:)`` and the errors of
    ///   ``SingleFileFamily/detect(tensorShapes:path:)``.
    public static func detectFamily(path: String) throws(SingleFileError) -> SingleFileFamily {
        guard let format = CheckpointFileFormat.sniff(path: path) else { throw .fileNotFound(path: path) }
        if format == .pickle { throw .pickleCheckpoint(path: path) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw .unreadableFile(path: path, underlying: error) }
        return try SingleFileFamily.detect(tensorShapes: file.entries.mapValues(\.shape), path: path)
    }

    /// Every mapped tensor must be a float type the SDK reads, so a bad dtype is reported at open, with
    /// its key, rather than midway through loading a model.
    private static func checkReadable(_ file: SafetensorsFile, mapping: SingleFileKeyMapping) throws(SingleFileError) {
        for component in mapping.components.keys {
            for source in mapping[component].values {
                if let entry = file.entries[source.checkpointKey], !entry.dtype.isReadableAsFloat {
                    throw .unsupportedDType(path: file.path, key: source.checkpointKey, dtype: entry.dtype.rawValue)
                }
            }
        }
    }
}
