import Foundation

/// Where diffusers and transformers put a component's weights: `<base>.safetensors`, or
/// `<base>.<variant>.safetensors` for a variant (`diffusion_pytorch_model.fp16.safetensors`).
public enum WeightFile {
    /// The file names to try, in order: with a variant, only that variant's file; without one, the
    /// plain file, then the fp16 variant (published repos that ship only fp16 files).
    ///
    /// - Parameters:
    ///   - baseName: `diffusion_pytorch_model` (UNet, VAE) or `model` (text encoder).
    ///   - variant: A variant name such as `"fp16"`, or nil.
    public static func candidates(baseName: String, variant: String?) -> [String] {
        variant.map { ["\(baseName).\($0).safetensors"] } ?? ["\(baseName).safetensors", "\(baseName).fp16.safetensors"]
    }

    /// The first candidate that exists in `folder`, or nil.
    ///
    /// - Parameters:
    ///   - folder: The component folder.
    ///   - baseName: `diffusion_pytorch_model` or `model`.
    ///   - variant: A variant name, or nil.
    public static func locate(in folder: URL, baseName: String, variant: String?) -> URL? {
        candidates(baseName: baseName, variant: variant)
            .map { folder.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
