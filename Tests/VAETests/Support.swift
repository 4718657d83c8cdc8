import Foundation
import Testing
import VAE
import _TestSupport

/// A random source that hands out recorded noise (diffusers' draws, saved in a fixture) and
/// remembers what was asked for.
final class RecordedNoise: RandomSource {
    private var queue: [Tensor]
    private(set) var requests: [[Int]] = []

    init(_ tensors: [Tensor]) { queue = tensors }

    func normal(shape: [Int]) -> Tensor {
        requests.append(shape)
        return queue.isEmpty ? Tensor.zeros(shape) : queue.removeFirst()
    }
}

/// The fixture models and their reference tensors.
enum VAEFixture: String, CaseIterable, CustomStringConvertible {
    /// SD 1.x-like, fp32 `diffusion_pytorch_model.safetensors`.
    case sd15 = "sd15-tiny"
    /// SD 2.x-like, float16 `diffusion_pytorch_model.fp16.safetensors`, scaling_factor 0.13025.
    case sd21 = "sd21-tiny"

    var description: String { rawValue }
    var directory: URL { URL(fileURLWithPath: Fixtures.path("vae/\(rawValue)")) }

    func reference(_ name: String) throws -> Tensor {
        try Fixtures.tensor("vae/\(rawValue)-reference.safetensors", name)
    }

    func load() throws -> AutoencoderKL { try AutoencoderKL(directory: directory) }

    /// Every tensor of the model's weights file, by name.
    func weights() throws -> [String: Tensor] {
        let name = self == .sd15 ? "diffusion_pytorch_model.safetensors" : "diffusion_pytorch_model.fp16.safetensors"
        let file = try Fixtures.safetensors("vae/\(rawValue)/\(name)")
        var tensors: [String: Tensor] = [:]
        for key in file.tensorNames { tensors[key] = try file.tensor(named: key) }
        return tensors
    }
}

/// Expects `actual` within `tolerance` (absolute, element-wise maximum) of `expected`.
func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let comparison = Comparison(actual, expected)
    #expect(comparison.shapesMatch, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    #expect(comparison.maxAbsoluteError <= tolerance, "\(what): \(comparison), tolerance \(tolerance)",
            sourceLocation: sourceLocation)
}
