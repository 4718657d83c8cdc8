import Foundation

/// What the UNet of a single-file checkpoint predicts, and why that is believed.
///
/// The weights do not say: an SD 2.x "768-v" model and a 512 "base" model have the same tensors.
/// diffusers' old converter guessed from the pickle's `global_step` (875000 meant v), which a
/// safetensors file does not have. So, in order:
/// 1. the file's metadata: `modelspec.prediction_type` (`v` / `v_prediction` / `epsilon`, from the
///    Stability AI model spec), `modelspec.architecture` (`stable-diffusion-v2-768-v` /
///    `…-v2-512` / `…-v1`), kohya-ss's `ss_v_parameterization`;
/// 2. otherwise SD 1.x is epsilon, and SD 2.x is v-prediction: that is what diffusers'
///    `from_single_file` does without `config` (it takes `stabilityai/stable-diffusion-2-1`'s
///    scheduler), and the 768 SD 2.x models are the common ones. 2.x-base / SD-Turbo files need the
///    caller to say epsilon (or a model folder's scheduler config, the `config` route).
public struct SingleFilePrediction: Sendable, Equatable {
    /// The target the UNet was trained on (diffusers' `prediction_type`).
    public enum Kind: String, Sendable, Equatable {
        /// Predicts the noise.
        case epsilon
        /// Predicts the velocity v (`v_prediction`).
        case vPrediction = "v_prediction"
    }

    /// The guess.
    public var kind: Kind
    /// Where it comes from ("metadata 'modelspec.prediction_type' = 'v'", "default for SD 2.x", …).
    public var evidence: String

    /// Creates a guess.
    public init(kind: Kind, evidence: String) {
        self.kind = kind
        self.evidence = evidence
    }

    /// Guesses from the family and the safetensors `__metadata__`.
    ///
    /// - Parameters:
    ///   - family: The detected family.
    ///   - metadata: The file's metadata strings.
    ///   - inpainting: Whether the UNet is an inpainting one (9 input channels): the only published
    ///     SD 2 inpainting model (`stabilityai/stable-diffusion-2-inpainting`, 512²) predicts noise.
    /// - Returns: The guess with its evidence.
    public static func guess(family: SingleFileFamily, metadata: [String: String], inpainting: Bool = false) -> SingleFilePrediction {
        func normalised(_ key: String) -> String? {
            metadata[key].map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        if let value = normalised("modelspec.prediction_type") {
            let evidence = "metadata 'modelspec.prediction_type' = '\(metadata["modelspec.prediction_type"] ?? "")'"
            if ["v", "v_prediction", "v-prediction", "v_pred", "vpred"].contains(value) { return .init(kind: .vPrediction, evidence: evidence) }
            if ["epsilon", "eps"].contains(value) { return .init(kind: .epsilon, evidence: evidence) }
        }
        if let value = normalised("modelspec.architecture") {
            let evidence = "metadata 'modelspec.architecture' = '\(metadata["modelspec.architecture"] ?? "")'"
            if value.hasPrefix("stable-diffusion-v2-768-v") { return .init(kind: .vPrediction, evidence: evidence) }
            if value.hasPrefix("stable-diffusion-v2-512") || value.hasPrefix("stable-diffusion-v1") {
                return .init(kind: .epsilon, evidence: evidence)
            }
        }
        if let value = normalised("ss_v_parameterization"), ["true", "false"].contains(value) {
            return .init(kind: value == "true" ? .vPrediction : .epsilon,
                         evidence: "metadata 'ss_v_parameterization' = '\(metadata["ss_v_parameterization"] ?? "")'")
        }
        switch family {
        case .stableDiffusion1: return .init(kind: .epsilon, evidence: "SD 1.x models predict noise")
        case .stableDiffusionXL, .stableDiffusionXLRefiner:
            return .init(kind: .epsilon, evidence: "SDXL base and refiner predict noise (their published scheduler configs)")
        case .stableDiffusion2 where inpainting:
            return .init(kind: .epsilon, evidence: "SD 2 inpainting models predict noise (stabilityai/stable-diffusion-2-inpainting)")
        case .stableDiffusion2:
            return .init(kind: .vPrediction, evidence: "default for SD 2.x (as diffusers' from_single_file without a config); "
                + "SD 2.x-base and SD-Turbo files predict noise instead")
        }
    }
}
