import Foundation
import TextEncoder
import _TestSupport

/// The tiny transformers `CLIPTextModel`s written by `Tests/Fixtures/generators/text_encoder.py`.
enum TextEncoderFixtures {
    /// SD 1.x-like: quick_gelu, fp32, `text_model.` prefix and the int64 `position_ids` buffer.
    static let sd15 = "text_encoder/sd15"
    /// SD 2.x-like: gelu, fp16 `model.fp16.safetensors`, no prefix (transformers 5).
    static let sd21 = "text_encoder/sd21"

    static func folder(_ name: String) -> URL { URL(fileURLWithPath: Fixtures.path(name)) }

    static func reference(_ name: String, _ tensor: String) throws -> Tensor {
        try Fixtures.tensor("\(name).reference.safetensors", tensor)
    }

    /// Token ids recorded as float32 (exact: all ids are below 2^24), one array per window.
    static func tokenIDs(_ name: String, _ tensor: String = "ids") throws -> [[Int]] {
        let ids = try reference(name, tensor)
        let length = ids.shape[1]
        let values = ids.scalars.map { Int($0) }
        return stride(from: 0, to: values.count, by: length).map { Array(values[$0..<($0 + length)]) }
    }

    /// Every floating-point tensor of the SD 1.x-like fixture, held in memory so tests can add, drop or
    /// reshape one. The int64 `position_ids` buffer is left out (the reader does not widen integers).
    static func sd15Tensors() throws -> [String: Tensor] {
        let file = try Fixtures.safetensors("\(sd15)/model.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames where file.entries[name]?.dtype.isReadableAsFloat == true {
            tensors[name] = try file.tensor(named: name)
        }
        return tensors
    }

    static func sd15Configuration() throws -> CLIPTextConfiguration {
        try CLIPTextConfiguration(contentsOf: folder(sd15).appendingPathComponent("config.json"))
    }
}
