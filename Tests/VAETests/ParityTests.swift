import Foundation
import Testing
import VAE
import _TestSupport

// Tolerances. The reference ran the same float32 arithmetic in a different order (MKL/oneDNN
// convolutions vs im2col + OpenBLAS, other summation orders in group norm and softmax), so results
// agree to float32 rounding accumulated through the network (≈ 25 convolutions, 15 group norms and
// an attention per half). Measured max abs errors: decoded images 2.5e-6 (sd15) and 2.9e-6 (sd21)
// on magnitudes ≈ 4; posterior mean / log-variance / sample ≤ 1.8e-6 on magnitudes ≈ 1–4; scaled
// latents ≤ 3.3e-7. The tolerances leave ≈ 10× margin for other BLAS kernels and thread counts (which
// change summation order) while any real mistake — a wrong padding, a swapped weight, a missing
// layer — moves outputs by 1e-2 or more.
private let imageTolerance: Float = 5e-5
private let latentTolerance: Float = 2e-5

@Suite("AutoencoderKL parity with diffusers")
struct ParityTests {
    @Test("decode matches vae.decode(latents / scaling_factor)", arguments: VAEFixture.allCases)
    func decode(_ fixture: VAEFixture) throws {
        let vae = try fixture.load()
        let latents = try fixture.reference("decode.latents")
        let image = try vae.decode(latents: latents)
        expectClose(image, try fixture.reference("decode.image"), tolerance: imageTolerance, "\(fixture) decode")
    }

    @Test("decode(unscaledLatents:) skips the division by scaling_factor")
    func decodeUnscaled() throws {
        let vae = try VAEFixture.sd21.load()
        let latents = try VAEFixture.sd21.reference("decode.latents")
        let factor = Float(vae.configuration.scalingFactor)
        #expect(factor == 0.13025)
        let image = try vae.decode(unscaledLatents: latents.map { $0 / factor })
        expectClose(image, try VAEFixture.sd21.reference("decode.image"), tolerance: imageTolerance, "unscaled decode")
    }

    @Test("posterior mean and log-variance match vae.encode(image).latent_dist", arguments: VAEFixture.allCases)
    func posterior(_ fixture: VAEFixture) throws {
        let vae = try fixture.load()
        let posterior = try vae.posterior(image: fixture.reference("encode.image"))
        expectClose(posterior.mean, try fixture.reference("encode.mean"), tolerance: latentTolerance, "\(fixture) mean")
        expectClose(posterior.logVariance, try fixture.reference("encode.logvar"), tolerance: latentTolerance, "\(fixture) logvar")
        expectClose(posterior.mode(), try fixture.reference("encode.mean"), tolerance: latentTolerance, "\(fixture) mode")
    }

    @Test("sample draws one request of the mean's shape and returns mean + std · noise", arguments: VAEFixture.allCases)
    func sample(_ fixture: VAEFixture) throws {
        let vae = try fixture.load()
        let posterior = try vae.posterior(image: fixture.reference("encode.image"))
        let noise = try fixture.reference("encode.noise")
        let random = RecordedNoise([noise])
        let sample = try posterior.sample(using: random)
        #expect(random.requests == [posterior.mean.shape])
        expectClose(sample, try fixture.reference("encode.sample"), tolerance: latentTolerance, "\(fixture) sample")
    }

    @Test("encode(image:random:) returns scaling_factor × sample, or × mode without a source", arguments: VAEFixture.allCases)
    func encodeScaled(_ fixture: VAEFixture) throws {
        let vae = try fixture.load()
        let image = try fixture.reference("encode.image")
        let random = RecordedNoise([try fixture.reference("encode.noise")])
        let sampled = try vae.encode(image: image, random: random)
        expectClose(sampled, try fixture.reference("encode.scaled_sample"), tolerance: latentTolerance, "\(fixture) scaled sample")
        let mode = try vae.encode(image: image, random: nil)
        expectClose(mode, try fixture.reference("encode.scaled_mode"), tolerance: latentTolerance, "\(fixture) scaled mode")
    }

    @Test("the SD 2.x-like fixture is stored in float16 and loads through the fp16 variant name")
    func fp16Variant() throws {
        let file = try Fixtures.safetensors("vae/sd21-tiny/diffusion_pytorch_model.fp16.safetensors")
        #expect(file.entries["decoder.conv_in.weight"]?.dtype == .f16)
        let explicit = try AutoencoderKL(directory: VAEFixture.sd21.directory, variant: "fp16")
        let latents = try VAEFixture.sd21.reference("decode.latents")
        expectClose(try explicit.decode(latents: latents), try VAEFixture.sd21.reference("decode.image"),
                    tolerance: imageTolerance, "fp16 variant")
    }

    @Test("the pipeline protocols reach the same computation")
    func protocols() throws {
        let vae = try VAEFixture.sd15.load()
        let decoder: any LatentDecoding = vae.decoder
        let encoder: any LatentEncoding = vae.encoder
        #expect(decoder.downsamplingFactor == 8 && decoder.latentChannels == 4)
        #expect(encoder.downsamplingFactor == 8 && encoder.latentChannels == 4)
        let latents = try VAEFixture.sd15.reference("decode.latents")
        #expect(try decoder.decode(latents: latents).scalars == vae.decode(latents: latents).scalars)
        let image = try VAEFixture.sd15.reference("encode.image")
        #expect(try encoder.encode(image: image, random: nil).scalars == vae.encode(image: image, random: nil).scalars)
    }
}
