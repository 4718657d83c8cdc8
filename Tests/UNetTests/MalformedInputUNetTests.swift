import Foundation
import Testing
import UNet
import _TestSupport

/// A tiny model's `unet/config.json` (the pipeline fixture) with keys removed, retyped or set to
/// unsupported values, and files that are not JSON objects: each decodes to diffusers' defaults or
/// fails with the specific ``UNetError`` naming the file or key.
@Suite("Malformed input: UNet configuration")
struct MalformedInputUNetTests {
    static let path = "/models/tiny/unet/config.json"

    /// The fixture config with `edit` applied to its JSON object.
    static func config(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pipeline/sd15-tiny/unet/config.json")))
        var object = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func decodingError(_ data: Data) -> UNetError? {
        do { _ = try UNetConfiguration(jsonData: data, path: path); return nil } catch { return error }
    }

    @Test("The unedited fixture decodes, so each case below fails for its edit alone")
    func baseline() throws {
        let configuration = try UNetConfiguration(jsonData: try Self.config { _ in }, path: Self.path)
        #expect(configuration.blockOutChannels == [16, 32])
    }

    @Test("Files that are not a JSON object name the file", arguments: ["", "[]", "{\"in_channels\": 4", "null", "\u{FEFF}x"])
    func notAnObject(_ text: String) {
        guard case .configurationUnreadable(let reported, _)? = Self.decodingError(Data(text.utf8)) else {
            Issue.record("expected configurationUnreadable for \(text.debugDescription)")
            return
        }
        #expect(reported == Self.path)
    }

    @Test("Values of the wrong JSON type name the key", arguments: [
        ("in_channels", "\"four\"" as any Sendable), ("sample_size", [8] as any Sendable), ("flip_sin_to_cos", "yes" as any Sendable),
        ("block_out_channels", 16 as any Sendable), ("down_block_types", "CrossAttnDownBlock2D" as any Sendable), ("norm_eps", [1e-5] as any Sendable),
    ] as [(String, any Sendable)])
    func wrongType(key: String, value: any Sendable) throws {
        let error = Self.decodingError(try Self.config { $0[key] = value })
        guard case .configurationUnreadable(let reported, let reason)? = error else {
            Issue.record("\(key): expected configurationUnreadable, got \(String(describing: error))")
            return
        }
        #expect(reported == Self.path)
        #expect(reason.contains(key))
    }

    @Test("A fractional number where an integer belongs is explained (Foundation names no key for it)")
    func fractionalInteger() throws {
        let error = Self.decodingError(try Self.config { $0["in_channels"] = 4.5 })
        guard case .configurationUnreadable(let reported, let reason)? = error else {
            Issue.record("expected configurationUnreadable, got \(String(describing: error))")
            return
        }
        #expect(reported == Self.path)
        #expect(reason.contains("where an integer is expected"))
    }

    @Test("A per-block value of the wrong type is an invalid configuration naming the key",
          arguments: ["layers_per_block", "attention_head_dim", "transformer_layers_per_block"])
    func perBlockWrongType(key: String) throws {
        let error = Self.decodingError(try Self.config { $0[key] = "two" })
        guard case .invalidConfiguration(let reported, _, _)? = error else {
            Issue.record("\(key): expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == key)
    }

    @Test("A missing key takes diffusers' default, which then disagrees with the keys present", arguments: [
        ("block_out_channels", "down_block_types"), ("down_block_types", "down_block_types"),
        ("norm_num_groups", "norm_num_groups"), ("cross_attention_dim", nil),
    ] as [(String, String?)])
    func missingKey(key: String, reportedKey: String?) throws {
        let data = try Self.config { $0.removeValue(forKey: key) }
        guard let reportedKey else {
            // cross_attention_dim defaults to 1280, a valid width for this UNet (the text encoder then
            // disagrees with it, which the pipeline reports).
            #expect(try UNetConfiguration(jsonData: data).crossAttentionDim == 1280)
            return
        }
        let error = Self.decodingError(data)
        guard case .invalidConfiguration(let reported, _, _)? = error else {
            Issue.record("without \(key): expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == reportedKey)
    }

    @Test("An unknown block type is unsupported, naming the key and the types there are", arguments: [
        ("down_block_types", ["CrossAttnDownBlock3D", "DownBlock2D"]),
        ("up_block_types", ["UpBlock2D", "KCrossAttnUpBlock2D"]),
    ])
    func unknownBlockType(key: String, types: [String]) throws {
        let error = Self.decodingError(try Self.config { $0[key] = types })
        guard case .unsupportedConfiguration(let reported, let value, let reason)? = error else {
            Issue.record("\(key): expected unsupportedConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == key)
        #expect(types.contains { value.contains($0) })
        #expect(reason.contains("CrossAttnDownBlock2D") || reason.contains("CrossAttnUpBlock2D"))
    }

    @Test("A block type holding a line break is quoted escaped, on one line")
    func hostileBlockTypeName() throws {
        let error = try #require(Self.decodingError(try Self.config { $0["down_block_types"] = ["Cross\nAttn\u{1B}[0m", "DownBlock2D"] }))
        #expect(!error.description.contains { $0.isNewline })
        #expect(error.description.contains(#"Cross\nAttn\u{1B}[0m"#))
    }
}
