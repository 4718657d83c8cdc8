import Foundation
import Testing
import UNet
import _TestSupport

/// Decoding diffusers' `unet/config.json`: the published SD configs, int-or-list fields, and typed
/// errors for unsupported or invalid values.
@Suite("UNet configuration")
struct UNetConfigurationTests {
    /// `stable-diffusion-v1-5/stable-diffusion-v1-5` `unet/config.json`, as published.
    static let sd15JSON = """
    {
      "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.6.0", "act_fn": "silu",
      "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false,
      "cross_attention_dim": 768,
      "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
      "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
      "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
      "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    }
    """

    /// `stabilityai/stable-diffusion-2-1` `unet/config.json`, as published.
    static let sd21JSON = """
    {
      "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.10.0.dev0", "act_fn": "silu",
      "attention_head_dim": [5, 10, 20, 20], "block_out_channels": [320, 640, 1280, 1280],
      "center_input_sample": false, "cross_attention_dim": 1024,
      "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
      "downsample_padding": 1, "dual_cross_attention": false, "flip_sin_to_cos": true, "freq_shift": 0,
      "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05,
      "norm_num_groups": 32, "num_class_embeds": null, "only_cross_attention": false, "out_channels": 4,
      "sample_size": 96,
      "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
      "upcast_attention": true, "use_linear_projection": true
    }
    """

    static func decode(_ json: String) throws -> UNetConfiguration {
        try JSONDecoder().decode(UNetConfiguration.self, from: Data(json.utf8))
    }

    /// The SD 1.5 config with one key set to a raw JSON value (added or replaced).
    static func sd15(setting key: String, to value: String) -> String {
        guard var object = (try? JSONSerialization.jsonObject(with: Data(sd15JSON.utf8))) as? [String: Any],
              let parsed = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed),
              let data = try? JSONSerialization.data(withJSONObject: { object[key] = parsed; return object }()) else {
            return "not JSON: \(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The error a decode throws, as a `UNetError`.
    static func decodingError(_ json: String) -> UNetError? {
        do { _ = try decode(json); return nil } catch { return error as? UNetError }
    }

    @Test("The published SD 1.5 and SD 2.1 configs decode to the presets")
    func publishedConfigs() throws {
        #expect(try Self.decode(Self.sd15JSON) == .sd15)
        #expect(try Self.decode(Self.sd21JSON) == .sd21)
        #expect(UNetConfiguration.sd15.attentionHeads == [8, 8, 8, 8])
        #expect(UNetConfiguration.sd21.attentionHeads == [5, 10, 20, 20])
        #expect(UNetConfiguration.sd15.timeEmbeddingChannels == 1280)
        try UNetConfiguration.sd15.validate()
        try UNetConfiguration.sd21.validate()
    }

    @Test("Fixture configs written by diffusers' save_pretrained decode")
    func fixtureConfigs() throws {
        let sd1 = try UNetConfiguration(contentsOf: Fixtures.path("unet/sd1_tiny/config.json"))
        #expect(sd1.blockOutChannels == [8, 16, 16, 16])
        #expect(sd1.attentionHeads == [2, 2, 2, 2])
        #expect(sd1.crossAttentionDim == 32 && !sd1.useLinearProjection && !sd1.upcastAttention)
        #expect(sd1.downBlockTypes == [.crossAttention, .crossAttention, .crossAttention, .resnet])
        let sd2 = try UNetConfiguration(contentsOf: Fixtures.path("unet/sd2_tiny/config.json"))
        #expect(sd2.attentionHeads == [2, 4, 4, 4])
        #expect(sd2.crossAttentionDim == 64 && sd2.useLinearProjection && sd2.upcastAttention)
        #expect(sd2.transformerLayersPerBlock == [1, 1, 1, 1])
    }

    @Test("Per-block fields accept an integer or a list")
    func intOrList() throws {
        let lists = try Self.decode(Self.sd15(setting: "layers_per_block", to: "[2, 2, 2, 2]"))
        #expect(lists == .sd15)
        let uneven = try Self.decode(Self.sd15(setting: "transformer_layers_per_block", to: "[1, 2, 3, 1]"))
        #expect(uneven.transformerLayersPerBlock == [1, 2, 3, 1])
        let crossList = try Self.decode(Self.sd15(setting: "cross_attention_dim", to: "[768, 768, 768, 768]"))
        #expect(crossList.crossAttentionDim == 768)
        let legacyName = try Self.decode(Self.sd15(setting: "down_block_types",
            to: "[\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"UNetResDownBlock2D\"]"))
        #expect(legacyName.downBlockTypes.last == .resnet)
    }

    @Test("Encoding then decoding gives the same configuration")
    func roundTrip() throws {
        for configuration in [UNetConfiguration.sd15, .sd21, .sdxl] {
            let data = try JSONEncoder().encode(configuration)
            #expect(try JSONDecoder().decode(UNetConfiguration.self, from: data) == configuration)
        }
    }

    /// SDXL base's published `unet/config.json` (stabilityai/stable-diffusion-xl-base-1.0), verbatim.
    @Test("SDXL base's published config decodes to the .sdxl preset")
    func sdxlPublished() throws {
        let json = """
        {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.19.0.dev0", "act_fn": "silu",
         "addition_embed_type": "text_time", "addition_embed_type_num_heads": 64, "addition_time_embed_dim": 256,
         "attention_head_dim": [5, 10, 20], "block_out_channels": [320, 640, 1280], "center_input_sample": false,
         "class_embed_type": null, "class_embeddings_concat": false, "conv_in_kernel": 3, "conv_out_kernel": 3,
         "cross_attention_dim": 2048, "cross_attention_norm": null,
         "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
         "downsample_padding": 1, "dual_cross_attention": false, "encoder_hid_dim": null, "encoder_hid_dim_type": null,
         "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
         "mid_block_only_cross_attention": null, "mid_block_scale_factor": 1, "mid_block_type": "UNetMidBlock2DCrossAttn",
         "norm_eps": 1e-05, "norm_num_groups": 32, "num_attention_heads": null, "num_class_embeds": null,
         "only_cross_attention": false, "out_channels": 4, "projection_class_embeddings_input_dim": 2816,
         "resnet_out_scale_factor": 1.0, "resnet_skip_time_act": false, "resnet_time_scale_shift": "default",
         "sample_size": 128, "time_cond_proj_dim": null, "time_embedding_act_fn": null, "time_embedding_dim": null,
         "time_embedding_type": "positional", "timestep_post_act": null, "transformer_layers_per_block": [1, 2, 10],
         "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], "upcast_attention": null,
         "use_linear_projection": true}
        """
        #expect(try UNetConfiguration(jsonData: Data(json.utf8)) == .sdxl)
    }

    @Test("text_time without its widths is an error naming the missing key", arguments: [
        ("addition_time_embed_dim", "\"projection_class_embeddings_input_dim\": 2816"),
        ("projection_class_embeddings_input_dim", "\"addition_time_embed_dim\": 256"),
    ])
    func textTimeNeedsWidths(missing: String, present: String) {
        let json = "{\"addition_embed_type\": \"text_time\", \(present)}"
        guard case .invalidConfiguration(let key, _, _)? = Self.decodingError(json) else {
            Issue.record("expected invalidConfiguration for \(missing)")
            return
        }
        #expect(key == missing)
    }

    @Test("Features SD 1.x/2.x do not use are rejected by name", arguments: [
        ("num_attention_heads", "8"), ("only_cross_attention", "true"), ("only_cross_attention", "[false, true, false, false]"),
        ("mid_block_only_cross_attention", "true"), ("dual_cross_attention", "true"),
        ("class_embed_type", "\"timestep\""), ("num_class_embeds", "10"), ("class_embeddings_concat", "true"),
        ("addition_embed_type", "\"text\""), ("addition_embed_type", "\"image\""), ("encoder_hid_dim", "768"), ("encoder_hid_dim_type", "\"text_proj\""),
        ("time_embedding_type", "\"fourier\""), ("time_embedding_act_fn", "\"silu\""), ("timestep_post_act", "\"silu\""),
        ("time_cond_proj_dim", "256"), ("resnet_time_scale_shift", "\"scale_shift\""), ("attention_type", "\"gated\""),
        ("reverse_transformer_layers_per_block", "[[1], [1], [1], [1]]"), ("mid_block_scale_factor", "1.5"),
        ("mid_block_type", "\"UNetMidBlock2DSimpleCrossAttn\""), ("mid_block_type", "null"), ("act_fn", "\"gelu\""),
        ("norm_num_groups", "null"), ("cross_attention_dim", "[768, 768, 1024, 1024]"),
        ("down_block_types", "[\"AttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"]"),
        ("up_block_types", "[\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\", \"SimpleCrossAttnUpBlock2D\"]"),
    ])
    func rejectsUnsupported(key: String, value: String) {
        let error = Self.decodingError(Self.sd15(setting: key, to: value))
        guard case .unsupportedConfiguration(let reportedKey, _, _)? = error else {
            Issue.record("\(key) = \(value): expected unsupportedConfiguration, got \(String(describing: error))")
            return
        }
        #expect(reportedKey == key)
    }

    @Test("Defaults written out explicitly are accepted", arguments: [
        ("only_cross_attention", "[false, false, false, false]"), ("mid_block_only_cross_attention", "null"),
        ("class_embed_type", "null"), ("time_embedding_type", "\"positional\""), ("attention_type", "\"default\""),
        ("resnet_skip_time_act", "true"), ("resnet_out_scale_factor", "2.0"), ("dropout", "0.1"), ("act_fn", "\"swish\""),
    ])
    func acceptsDefaults(key: String, value: String) throws {
        #expect(try Self.decode(Self.sd15(setting: key, to: value)).blockOutChannels == [320, 640, 1280, 1280])
    }

    @Test("Invalid values are rejected with the key at fault", arguments: [
        ("attention_head_dim", "[8, 8, 8]", "attention_head_dim"),
        ("attention_head_dim", "[5, 10, 20, 7]", "attention_head_dim"),
        ("attention_head_dim", "0", "attention_head_dim"),
        ("attention_head_dim", "\"eight\"", "attention_head_dim"),
        ("norm_num_groups", "48", "norm_num_groups"),
        ("block_out_channels", "[]", "block_out_channels"),
        ("block_out_channels", "[320, -640, 1280, 1280]", "block_out_channels"),
        ("layers_per_block", "[2, 2, 2]", "layers_per_block"),
        ("up_block_types", "[\"UpBlock2D\", \"CrossAttnUpBlock2D\"]", "up_block_types"),
        ("conv_in_kernel", "4", "conv_in_kernel"),
        ("in_channels", "0", "in_channels"),
        ("norm_eps", "0", "norm_eps"),
        ("freq_shift", "160", "freq_shift"),
    ])
    func rejectsInvalid(key: String, value: String, reportedKey: String) {
        let error = Self.decodingError(Self.sd15(setting: key, to: value))
        guard case .invalidConfiguration(let actualKey, _, _)? = error else {
            Issue.record("\(key) = \(value): expected invalidConfiguration, got \(String(describing: error))")
            return
        }
        #expect(actualKey == reportedKey)
    }

    @Test("Unreadable files and wrongly typed values name the file and key")
    func unreadable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unet-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.json").path
        #expect(throws: UNetError.self) { try UNetConfiguration(contentsOf: missing) }

        let malformed = folder.appendingPathComponent("config.json")
        try Data(Self.sd15(setting: "in_channels", to: "\"four\"").utf8).write(to: malformed)
        do {
            _ = try UNetConfiguration(contentsOf: malformed.path)
            Issue.record("a string in_channels decoded")
        } catch {
            guard case .configurationUnreadable(let path, let reason) = error else {
                Issue.record("expected configurationUnreadable, got \(error)")
                return
            }
            #expect(path == malformed.path)
            #expect(reason.contains("in_channels"))
        }
    }
}
