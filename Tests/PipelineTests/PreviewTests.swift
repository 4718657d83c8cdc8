import Foundation
import StableDiffusion
import Testing
import _TestSupport

@Suite("Live previews")
struct PreviewTests {
    /// What one previewed run saw: the steps that had previews, and each preview file as read back.
    struct Observed {
        var steps: [Int] = []
        var files: [RGBImage] = []
    }

    /// A 6-step seeded run on sd15-tiny (64² images) with previews every 2 steps, each written to a
    /// PNG file atomically (as `sd generate --preview` does) and read back at once.
    static func previewedRun(_ pipeline: StableDiffusionPipeline, interval: Int?) throws -> (GenerationResult, Observed) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("preview.png").path
        var parameters = GenerationParameters(negativePrompt: "blurry", steps: 6, guidanceScale: 7.5, seed: 99)
        parameters.scheduler = try pipeline.scheduler(named: "euler-a")
        parameters.previewInterval = interval
        var observed = Observed()
        var failure: (any Error)?
        let result = try pipeline.generate(prompt: "a red apple", parameters: parameters) { update in
            guard let preview = update.preview else { return }
            do {
                try preview.writePNG(to: file)
                observed.steps.append(update.step)
                observed.files.append(try RGBImage(pngFile: file))
            } catch { failure = error }
        }
        if let failure { throw failure }
        return (result, observed)
    }

    @Test("Every 2 steps of 6: a valid PNG of the output size, and the final image is unchanged bit for bit",
          arguments: ["approximation", "taesd"])
    func previewsEveryTwoSteps(_ decoder: String) throws {
        let base = try PipelineRunFixtures.sd15Folder.get()
        let pipeline = decoder == "taesd" ? try base.replacingPreviewDecoder(VAESwapFixtures.pipeline("taesd").decoder) : base
        let (with, observed) = try Self.previewedRun(pipeline, interval: 2)
        #expect(observed.steps == [2, 4, 6])
        for image in observed.files { #expect(image.width == 64 && image.height == 64) }
        // Successive previews show a changing picture (a preview stuck on the first latents would not).
        #expect(Set(observed.files.map(\.pixels)).count == 3)
        let (without, none) = try Self.previewedRun(pipeline, interval: nil)
        #expect(none.steps.isEmpty)
        #expect(SingleFileGenerationTests.identical(with.latents, without.latents))
        #expect(with.images == without.images)
    }

    @Test("A TAESD preview of the final latents is the TAESD pipeline's final image")
    func taesdPreviewIsItsDecode() throws {
        let pipeline = try VAESwapFixtures.pipeline("taesd")
        var parameters = GenerationParameters(steps: 2, guidanceScale: 1, seed: 5)
        parameters.scheduler = try pipeline.scheduler(named: "pndm")  // PNDM has no x₀ estimate: previews show the latents
        let session = try pipeline.makeSession(prompt: "a cat", parameters: parameters)
        while !session.isFinished { try session.step() }
        #expect(try session.preview() == session.decode())
    }

    @Test("The latent → RGB approximation applies ComfyUI's factors per latent pixel and enlarges by the VAE factor")
    func approximationArithmetic() throws {
        // One latent pixel with channels (1, 0, 0, 0) gives the first factor row; (0, 0, 0, 1) the last.
        let latents = Tensor(shape: [1, 4, 1, 2], scalars: [1, 0, 0, 0, 0, 0, 0, 1])
        let decoded = try LatentRGBApproximation.stableDiffusion.decode(latents: latents)
        #expect(decoded.shape == [1, 3, 8, 16])
        let scalars = decoded.scalars
        #expect([scalars[0], scalars[128], scalars[256]] == [0.3512, 0.2297, 0.3227])
        #expect([scalars[8 * 16 - 1], scalars[128 + 127], scalars[256 + 127]] == [-0.2120, -0.2616, -0.7177])
        let xl = try LatentRGBApproximation.stableDiffusionXL.decode(latents: Tensor(shape: [1, 4, 1, 1], scalars: [0, 0, 0, 0]))
        #expect(xl.scalars[0] == 0.1084 && xl.scalars[64] == -0.0175)
    }

    @Test("previewInterval 0 is refused")
    func invalidInterval() throws {
        let pipeline = try PipelineRunFixtures.sd15Folder.get()
        var parameters = GenerationParameters(steps: 2)
        parameters.previewInterval = 0
        #expect(throws: PipelineError.invalidParameter(name: "previewInterval", value: "0", allowed: "1 or more, or nil for no previews")) {
            try pipeline.generate(prompt: "x", parameters: parameters) { _ in }
        }
    }
}
