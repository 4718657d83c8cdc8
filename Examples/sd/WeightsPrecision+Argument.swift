import ArgumentParser
import StableDiffusion

/// `--weights-precision fp32|fp16|bf16`: the precision float32 checkpoint weights are kept in
/// (``LoadOptions/weightsPrecision``).
enum WeightsPrecisionArgument: String, CaseIterable, ExpressibleByArgument {
    case fp32, fp16, bf16

    /// The library's name for it.
    var storedPrecision: StoredPrecision {
        switch self {
        case .fp32: .float32
        case .fp16: .float16
        case .bf16: .bfloat16
        }
    }
}
