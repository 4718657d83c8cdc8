import Foundation
import Testing
import VAE
import _TestSupport

/// A tiny model's `vae/config.json` (the pipeline fixture) with keys removed, retyped or set to
/// unsupported values, and files that are not JSON objects: each fails with the specific
/// ``VAEError`` naming the file or key.
@Suite("Malformed input: VAE configuration")
struct MalformedInputVAETests {
    static let path = "/models/tiny/vae/config.json"
    static let fixture = URL(fileURLWithPath: Fixtures.path("pipeline/sd15-tiny/vae/config.json"))

    /// The fixture config with `edit` applied to its JSON object.
    static func config(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func decodingError(_ data: Data) -> VAEError? {
        do { _ = try AutoencoderKLConfiguration(jsonData: data, path: path); return nil } catch { return error }
    }

    @Test("The unedited fixture decodes, so each case below fails for its edit alone")
    func baseline() throws {
        #expect(try AutoencoderKLConfiguration(jsonData: try Self.config { _ in }).blockOutChannels == [8, 16, 16, 16])
    }

    @Test("Files that are not a JSON object name the file", arguments: ["", "[]", "{\"in_channels\": 3", "true"])
    func notAnObject(_ text: String) {
        guard case .configurationUnreadable(let reported, _)? = Self.decodingError(Data(text.utf8)) else {
            Issue.record("expected configurationUnreadable for \(text.debugDescription)")
            return
        }
        #expect(reported == Self.path)
    }

    @Test("Values of the wrong JSON type name the key", arguments: [
        ("latent_channels", "4" as any Sendable), ("block_out_channels", "wide" as any Sendable),
        ("use_quant_conv", "no" as any Sendable), ("down_block_types", 1 as any Sendable),
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
        let error = Self.decodingError(try Self.config { $0["layers_per_block"] = 2.5 })
        guard case .configurationUnreadable(let reported, let reason)? = error else {
            Issue.record("expected configurationUnreadable, got \(String(describing: error))")
            return
        }
        #expect(reported == Self.path)
        #expect(reason.contains("where an integer is expected"))
    }

    @Test("A missing key takes diffusers' default, which then disagrees with the keys present", arguments: [
        ("block_out_channels", "down_block_types"), ("norm_num_groups", "block_out_channels"),
    ])
    func missingKey(key: String, reportedKey: String) throws {
        let error = Self.decodingError(try Self.config { $0.removeValue(forKey: key) })
        guard case .invalidConfiguration(let reported, _, _)? = error else {
            Issue.record("without \(key): expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == reportedKey)
    }

    @Test("An unknown block type names the key and the supported type", arguments: [
        ("down_block_types", "AttnDownEncoderBlock2D"), ("up_block_types", "UpDecoderBlock3D"),
    ])
    func unknownBlockType(key: String, type: String) throws {
        let error = Self.decodingError(try Self.config { $0[key] = Array(repeating: type, count: 4) })
        guard case .invalidConfiguration(let reported, let value, let reason)? = error else {
            Issue.record("\(key): expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == key)
        #expect(value.contains(type))
        #expect(reason.contains("supported"))
    }

    @Test("An unsupported activation with a line break in it is reported on one line")
    func hostileActivation() throws {
        let error = try #require(Self.decodingError(try Self.config { $0["act_fn"] = "gelu\n\u{2028}x" }))
        guard case .invalidConfiguration(let key, _, _) = error else {
            Issue.record("expected invalidConfiguration, got \(error)")
            return
        }
        #expect(key == "act_fn")
        #expect(!error.description.contains { $0.isNewline })
    }
}
