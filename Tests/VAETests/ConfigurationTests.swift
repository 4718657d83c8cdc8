import Foundation
import Testing
import VAE

@Suite("AutoencoderKL configuration")
struct ConfigurationTests {
    private func decode(_ json: String) throws -> AutoencoderKLConfiguration {
        try JSONDecoder().decode(AutoencoderKLConfiguration.self, from: Data(json.utf8))
    }

    /// `stable-diffusion-v1-5/stable-diffusion-v1-5` `vae/config.json` as published (no scaling_factor).
    static let sd15JSON = """
    {"_class_name": "AutoencoderKL", "_diffusers_version": "0.6.0", "act_fn": "silu",
     "block_out_channels": [128, 256, 512, 512],
     "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
     "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3,
     "sample_size": 512,
     "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]}
    """

    @Test("the SD 1.5 preset equals the published config, with scaling_factor defaulting to 0.18215")
    func sd15() throws {
        let configuration = try decode(Self.sd15JSON)
        #expect(configuration == .sd15)
        #expect(configuration.scalingFactor == 0.18215)
        #expect(configuration.downsamplingFactor == 8)
        #expect(AutoencoderKLConfiguration.sd21.sampleSize == 768)
    }

    @Test("the fixture configs written by diffusers decode")
    func fixtures() throws {
        let sd21 = try AutoencoderKLConfiguration(contentsOf: VAEFixture.sd21.directory.appendingPathComponent("config.json"))
        #expect(sd21.blockOutChannels == [16, 32, 32, 32] && sd21.layersPerBlock == 1 && sd21.scalingFactor == 0.13025)
        #expect(sd21.sampleSize == 64 && sd21.normGroups == 8)
    }

    @Test("absent keys take diffusers' AutoencoderKL defaults; sample_size may be a list")
    func defaults() throws {
        let configuration = try decode("{}")
        #expect(configuration.blockOutChannels == [64] && configuration.layersPerBlock == 1)
        #expect(configuration.downBlockTypes == ["DownEncoderBlock2D"] && configuration.upBlockTypes == ["UpDecoderBlock2D"])
        #expect(configuration.sampleSize == 32 && configuration.normGroups == 32 && configuration.latentChannels == 4)
        #expect(configuration.useQuantConv && configuration.usePostQuantConv && configuration.midBlockAddAttention)
        #expect(try decode(#"{"sample_size": [768, 512]}"#).sampleSize == 768)
    }

    @Test("encoding round-trips")
    func roundTrip() throws {
        let data = try JSONEncoder().encode(AutoencoderKLConfiguration.sd21)
        #expect(try JSONDecoder().decode(AutoencoderKLConfiguration.self, from: data) == .sd21)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"block_out_channels\"") && text.contains("\"scaling_factor\""))
    }

    @Test("invalid values are rejected naming the key", arguments: [
        (#"{"down_block_types": ["AttnDownEncoderBlock2D"]}"#, "down_block_types"),
        (#"{"up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"]}"#, "up_block_types"),
        (#"{"block_out_channels": [48], "norm_num_groups": 32}"#, "block_out_channels"),
        (#"{"block_out_channels": []}"#, "block_out_channels"),
        (#"{"act_fn": "gelu"}"#, "act_fn"),
        (#"{"layers_per_block": 0}"#, "layers_per_block"),
        (#"{"scaling_factor": -1}"#, "scaling_factor"),
        (#"{"latent_channels": 0}"#, "latent_channels"),
        (#"{"sample_size": []}"#, "sample_size"),
    ])
    func invalid(json: String, key: String) {
        #expect {
            try decode(json)
        } throws: { error in
            guard case .invalidConfiguration(let badKey, _, _) = error as? VAEError else { return false }
            return badKey == key
        }
    }

    @Test("a malformed config file is an error naming the file and the field")
    func malformed() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vae-config-\(UUID().uuidString).json")
        try Data(#"{"block_out_channels": "wide"}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try AutoencoderKLConfiguration(contentsOf: url)
        } throws: { error in
            guard case .configurationUnreadable(let path, let reason) = error as? VAEError else { return false }
            return path == url.path && reason.contains("block_out_channels")
        }
        // Presets built in code are validated too.
        var broken = AutoencoderKLConfiguration.sd15
        broken.normGroups = 7
        #expect(throws: VAEError.self) { try broken.validate() }
    }
}
