import Foundation
import Testing
@testable import VAE
import _TestSupport

// Same reasoning and values as ParityTests: float32 rounding through the tiny networks, plus two
// multiplies and an add per blended element. Measured: tiled decode 3.9e-6, untiled decode of the
// same latents 5.2e-6 (magnitude ≈ 4), tiled moments 1.7e-6.
private let imageTolerance: Float = 5e-5
private let latentTolerance: Float = 2e-5

@Suite("Tiled decoding and encoding")
struct TilingTests {
    /// sd15-tiny has sample_size 32, so diffusers' `enable_tiling()` uses 32-pixel / 4-latent tiles.
    static let tiling = VAETiling(tileSize: 32)

    @Test("default tiling follows sample_size and diffusers' overlap factor")
    func defaults() throws {
        let vae = try VAEFixture.sd15.load()
        #expect(VAETiling.default(for: vae.configuration) == VAETiling(tileSize: 32, overlapFactor: 0.25))
        #expect(VAETiling.default(for: .sd15).tileSize == 512)
        #expect(VAETiling.default(for: .sd21).tileSize == 768)
        // diffusers' arithmetic for SD 1.5 (tile_latent_min_size 64): latent step 48, 128 blended
        // pixels, 384 kept.
        #expect(try TilePlan.decoding(.default(for: .sd15), downsamplingFactor: 8)
                == TilePlan(inputTile: 64, inputStep: 48, outputBlend: 128, outputKeep: 384))
        #expect(try TilePlan.encoding(.default(for: .sd15), downsamplingFactor: 8)
                == TilePlan(inputTile: 512, inputStep: 384, outputBlend: 16, outputKeep: 48))
    }

    @Test("tiled decode matches diffusers' tiled_decode")
    func tiledDecode() throws {
        var vae = try VAEFixture.sd15.load()
        vae.tiling = Self.tiling
        let latents = try VAEFixture.sd15.reference("tiled_decode.latents")
        let tiled = try vae.decode(unscaledLatents: latents)
        expectClose(tiled, try VAEFixture.sd15.reference("tiled_decode.image"), tolerance: imageTolerance, "tiled decode")
    }

    @Test("tiled encode matches diffusers' _tiled_encode")
    func tiledEncode() throws {
        var vae = try VAEFixture.sd15.load()
        vae.tiling = Self.tiling
        let posterior = try vae.posterior(image: VAEFixture.sd15.reference("tiled_encode.image"))
        let moments = try VAEFixture.sd15.reference("tiled_encode.moments").chunked(2, axis: 1)
        expectClose(posterior.mean, moments[0], tolerance: latentTolerance, "tiled mean")
        expectClose(posterior.logVariance, moments[1], tolerance: latentTolerance, "tiled logvar")
    }

    /// Tiles normalise and attend within themselves, so tiled output differs from untiled output;
    /// with random weights the difference is large (diffusers' own, on these fixtures: decode max
    /// 3.04, mean 0.365 on images of magnitude ≈ 4; encode max 1.27, mean 0.265). Ours must be the
    /// same difference, since both sides match diffusers.
    @Test("tiled vs untiled: the same difference as diffusers'")
    func tiledVersusUntiled() throws {
        var vae = try VAEFixture.sd15.load()
        let latents = try VAEFixture.sd15.reference("tiled_decode.latents")
        let untiled = try vae.decode(unscaledLatents: latents)
        expectClose(untiled, try VAEFixture.sd15.reference("tiled_decode.untiled_image"), tolerance: imageTolerance, "untiled")
        vae.tiling = Self.tiling
        let tiled = try vae.decode(unscaledLatents: latents)
        let ours = meanAbsoluteDifference(tiled, untiled)
        let theirs = meanAbsoluteDifference(try VAEFixture.sd15.reference("tiled_decode.image"),
                                            try VAEFixture.sd15.reference("tiled_decode.untiled_image"))
        #expect(abs(ours - theirs) < 1e-4, "mean |tiled − untiled|: ours \(ours), diffusers \(theirs)")
        #expect(abs(Comparison(tiled, untiled).maxAbsoluteError - 3.0426) < 1e-3)
    }

    @Test("inputs that fit in one tile are not tiled")
    func singleTile() throws {
        var vae = try VAEFixture.sd15.load()
        let latents = try VAEFixture.sd15.reference("decode.latents") // 5 × 7 latents
        let untiled = try vae.decode(latents: latents)
        vae.tiling = VAETiling(tileSize: 64) // 8 latents: 5 × 7 fits
        #expect(try vae.decode(latents: latents).scalars == untiled.scalars)
        vae.tiling = VAETiling(tileSize: 32) // 4 latents: does not fit
        #expect(try vae.decode(latents: latents).scalars != untiled.scalars)
    }

    /// With a position-independent per-tile operation the tiled result must equal the untiled one:
    /// the blend weights sum to one and every tile lands where it belongs, so no seam can appear.
    /// The only error is the rounding of `a·(1 − t) + a·t` (a few float32 ulps).
    @Test("tiles are placed and blended without seams", arguments: [(16, 0.25), (32, 0.25), (8, 0.5), (16, 0.5), (16, 0.0)])
    func seamless(tileSize: Int, overlap: Double) throws {
        let (height, width) = (5, 9)
        let latents = Tensor(shape: [2, 3, height, width]) { buffer in
            for i in 0..<buffer.count { buffer[i] = Float(i % 7) - 3 + Float(i) * 0.01 }
        }
        let factor = 4
        let upsample: (Tensor) throws(VAEError) -> Tensor = { tile in
            try wrappingTensorErrors { () throws(TensorError) in
                try tile.upsampleNearest(height: tile.shape[2] * factor, width: tile.shape[3] * factor).map { 2 * $0 + 1 }
            }
        }
        let plan = try TilePlan.decoding(VAETiling(tileSize: tileSize, overlapFactor: overlap), downsamplingFactor: factor)
        let tiled = try TiledProcessing.run(latents, plan: plan, process: upsample)
        expectClose(tiled, try upsample(latents), tolerance: 1e-5, "tiled identity-like decode")
    }

    @Test("blend ramps follow diffusers' blend_v / blend_h")
    func blendRamps() {
        // blend_v over 4 rows: b[y] = a[H − 4 + y] · (1 − y/4) + b[y] · y/4.
        let above = Tensor(shape: [1, 1, 6, 1], scalars: [0, 0, 8, 8, 8, 8])
        var tile = Tensor(shape: [1, 1, 5, 1], scalars: [0, 0, 0, 0, 5])
        TiledProcessing.blendVertically(from: above, into: &tile, extent: 4)
        #expect(tile.scalars == [8, 6, 4, 2, 5])
        // The extent shrinks to the smaller tile, as `min(a.shape[3], b.shape[3], extent)`.
        let left = Tensor(shape: [1, 1, 1, 2], scalars: [4, 4])
        var narrow = Tensor(shape: [1, 1, 1, 3], scalars: [0, 0, 1])
        TiledProcessing.blendHorizontally(from: left, into: &narrow, extent: 4)
        #expect(narrow.scalars == [4, 2, 1])
    }

    @Test("inconsistent tiling options are rejected")
    func invalidTiling() throws {
        var vae = try VAEFixture.sd15.load()
        let latents = try VAEFixture.sd15.reference("decode.latents")
        for tiling in [VAETiling(tileSize: 30), VAETiling(tileSize: 0), VAETiling(tileSize: 32, overlapFactor: 1),
                       VAETiling(tileSize: 32, overlapFactor: -0.1), VAETiling(tileSize: 48)] {
            vae.tiling = tiling
            #expect(throws: VAEError.self, "\(tiling)") { try vae.decode(latents: latents) }
        }
        // 48-pixel tiles (6 latents) step 4 latents but keep 36 pixels: diffusers would misalign.
        #expect {
            try TilePlan.decoding(VAETiling(tileSize: 48), downsamplingFactor: 8)
        } throws: { error in
            guard case .invalidTiling(let parameter, _, _) = error as? VAEError else { return false }
            return parameter == "overlapFactor"
        }
    }

    private func meanAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float {
        let (x, y) = (a.scalars, b.scalars)
        return zip(x, y).reduce(Float(0)) { $0 + abs($1.0 - $1.1) } / Float(x.count)
    }
}
