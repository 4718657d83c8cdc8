import Foundation
import Testing
import TextEncoder
import _TestSupport

/// A tiny model's `text_encoder/config.json` (the pipeline fixture) with keys removed, retyped or
/// set to unsupported values, and files that are not JSON objects: each decodes to transformers'
/// defaults or fails with the specific ``TextEncoderError`` naming the file or key.
@Suite("Malformed input: text encoder configuration")
struct MalformedInputTextEncoderTests {
    static let path = "/models/tiny/text_encoder/config.json"

    /// The fixture config with `edit` applied to its JSON object.
    static func config(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pipeline/sd15-tiny/text_encoder/config.json")))
        var object = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func decodingError(_ data: Data) -> TextEncoderError? {
        do { _ = try CLIPTextConfiguration(jsonData: data, path: path); return nil } catch { return error }
    }

    @Test("Files that are not a JSON object name the file", arguments: ["", "[]", "{\"hidden_size\": 32", "\"clip\""])
    func notAnObject(_ text: String) {
        guard case .unreadableConfiguration(let reported, _)? = Self.decodingError(Data(text.utf8)) else {
            Issue.record("expected unreadableConfiguration for \(text.debugDescription)")
            return
        }
        #expect(reported == Self.path)
    }

    @Test("Values of the wrong JSON type name the key", arguments: [
        ("hidden_size", "32" as any Sendable), ("hidden_act", 1 as any Sendable),
        ("layer_norm_eps", "tiny" as any Sendable), ("vocab_size", [49408] as any Sendable),
    ] as [(String, any Sendable)])
    func wrongType(key: String, value: any Sendable) throws {
        let error = Self.decodingError(try Self.config { $0[key] = value })
        guard case .unreadableConfiguration(let reported, let reason)? = error else {
            Issue.record("\(key): expected unreadableConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == Self.path)
        #expect(reason.contains("'\(key)'"))
    }

    @Test("Out-of-range and unsupported values name the key and the file", arguments: [
        ("num_attention_heads", 5 as any Sendable), ("hidden_act", "relu" as any Sendable), ("max_position_embeddings", -1 as any Sendable),
        ("intermediate_size", 0 as any Sendable),
    ] as [(String, any Sendable)])
    func invalidValue(key: String, value: any Sendable) throws {
        let error = Self.decodingError(try Self.config { $0[key] = value })
        guard case .invalidConfiguration(let reported, _, _, let reportedPath)? = error else {
            Issue.record("\(key): expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == key)
        #expect(reportedPath == Self.path)
    }

    @Test("A fractional number where an integer belongs is explained (Foundation names no key for it)")
    func fractionalInteger() throws {
        let error = Self.decodingError(try Self.config { $0["num_hidden_layers"] = 2.5 })
        guard case .unreadableConfiguration(let reported, let reason)? = error else {
            Issue.record("expected unreadableConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reported == Self.path)
        #expect(reason.contains("where an integer is expected"))
    }

    @Test("A missing key takes transformers' default")
    func missingKey() throws {
        let configuration = try CLIPTextConfiguration(jsonData: try Self.config { $0.removeValue(forKey: "hidden_act") })
        #expect(configuration.hiddenActivation == .quickGELU)
        // Without num_attention_heads the default (8) does not divide hidden_size 36.
        let error = Self.decodingError(try Self.config { $0.removeValue(forKey: "num_attention_heads"); $0["hidden_size"] = 36 })
        guard case .invalidConfiguration(let key, _, _, _)? = error else {
            Issue.record("expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(key == "num_attention_heads")
    }

    @Test("An activation name with a line break is reported on one line")
    func hostileActivation() throws {
        let error = try #require(Self.decodingError(try Self.config { $0["hidden_act"] = "quick\ngelu" }))
        #expect(!error.description.contains { $0.isNewline })
        #expect(error.description.contains(#"quick\ngelu"#))
    }
}
