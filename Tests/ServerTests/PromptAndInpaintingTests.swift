import Foundation
import Hummingbird
import SDServer
import StableDiffusion
import Testing
import _TestSupport

/// LoRA tags (`--lora-dir`), inpainting (`mask`) and previews (`current_image`) through real HTTP,
/// each against what the library gives for the same parameters.
@Suite("Server LoRA tags, inpainting and previews", .serialized)
struct PromptAndInpaintingTests {
    static let loraFolder = Fixtures.path("lora/adapters")

    @Test func loraTagAppliesTheFolderFileAsTheLibraryDoes() async throws {
        let pipeline = try ServerHarness.pipeline.get()
        let adapted = try pipeline.applying(loras: [try LoRA(contentsOf: "\(Self.loraFolder)/kohya.safetensors", scale: 0.8)])
        let parameters = GenerationParameters(steps: 2, guidanceScale: 7, width: 64, height: 64, seed: 5,
                                              scheduler: try pipeline.scheduler(named: "euler"))
        let expected = try await adapted.generate(prompt: "a red fox <lora:kohya:0.8>", parameters: parameters)
        let plain = try await pipeline.generate(prompt: "a red fox", parameters: parameters)
        #expect(expected.images[0] != plain.images[0], "the LoRA must change the image for this test to mean anything")

        try await ServerHarness.withServer({ $0.loraFolder = Self.loraFolder }) { client in
            let body = #"{"prompt": "a red fox <lora:kohya:0.8>", "steps": 2, "cfg_scale": 7, "width": 64, "height": 64, "seed": 5, "sampler_name": "Euler"}"#
            let response = try await client.post("/sdapi/v1/txt2img", body)
            #expect(response.status == .ok, "\(response.text)")
            let image = try response.json()["images"][0].png().image
            #expect(GenerationEndpointTests.sameWithinRounding(image, expected.images[0]))

            for (prompt, message) in [("<lora:absent:1>", "no \(Self.loraFolder)/absent.safetensors in the --lora-dir folder"),
                                      ("<lora:../kohya:1>", "not a path"),
                                      ("<lora:kohya:0.5:1>", "separate text-encoder and UNet weights")] {
                let refused = try await client.post("/sdapi/v1/txt2img", #"{"prompt": "x \#(prompt)", "steps": 1, "width": 64, "height": 64}"#)
                #expect(refused.status == .unprocessableContent)
                #expect(try refused.json()["detail"].string?.contains(message) == true, "\(refused.text)")
            }
        }
        // Without --lora-dir a tagged prompt is refused, not generated without its LoRA.
        try await ServerHarness.withServer { client in
            let refused = try await client.post("/sdapi/v1/txt2img", #"{"prompt": "x <lora:kohya:1>", "steps": 1, "width": 64, "height": 64}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.json()["detail"].string?.contains("--lora-dir") == true)
        }
    }

    @Test func maskInpaintsAsTheLibraryDoesWithA1111MaskBlur() async throws {
        let pipeline = try ServerHarness.pipeline.get()
        let start = try await GenerationEndpointTests.libraryImage(seed: 7, steps: 2, cfg: 7.5, scheduler: "euler").image
        var maskPixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
        for y in 16..<48 { for x in 16..<48 { for c in 0..<3 { maskPixels[(y * 64 + x) * 3 + c] = 255 } } }
        let mask = RGBImage(width: 64, height: 64, pixels: maskPixels)
        var parameters = GenerationParameters(steps: 4, guidanceScale: 7.5, width: 64, height: 64, seed: 11,
                                              scheduler: try pipeline.scheduler(named: "euler"))
        parameters.initImage = start
        parameters.strength = 0.75
        parameters.mask = try InpaintingMask(image: mask)
        parameters.maskBlur = 4
        let expected = try await pipeline.generate(prompt: "a red fox", parameters: parameters)

        try await ServerHarness.withServer { client in
            let response = try await client.post("/sdapi/v1/img2img", """
                {"prompt": "a red fox", "init_images": ["\(try start.pngData().base64EncodedString())"],
                 "mask": "\(try mask.pngData().base64EncodedString())", "inpainting_fill": 1, "inpaint_full_res": false,
                 "steps": 4, "cfg_scale": 7.5, "seed": 11, "sampler_name": "Euler"}
                """)
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.json()
            let image = try body["images"][0].png().image
            #expect(GenerationEndpointTests.sameWithinRounding(image, expected.images[0]))
            #expect(body["parameters"]["mask"] == .null)

            // Inverted, the kept and repainted areas swap: a different image.
            let inverted = try await client.post("/sdapi/v1/img2img", """
                {"prompt": "a red fox", "init_images": ["\(try start.pngData().base64EncodedString())"],
                 "mask": "\(try mask.pngData().base64EncodedString())", "inpainting_mask_invert": 1,
                 "steps": 4, "cfg_scale": 7.5, "seed": 11, "sampler_name": "Euler"}
                """)
            #expect(inverted.status == .ok)
            #expect(try inverted.json()["images"][0].png().image != image)

            let refused = try await client.post("/sdapi/v1/img2img", """
                {"init_images": ["\(try start.pngData().base64EncodedString())"], "mask": "\(try mask.pngData().base64EncodedString())",
                 "inpainting_fill": 2}
                """)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.json()["detail"].string?.contains("inpainting_fill 2") == true)
        }
    }

    /// A long request, polled until a preview shows: `current_image` is a PNG of the output size,
    /// and `skip_current_image=true` leaves it out. Polling waits for an event; it measures nothing.
    @Test func progressShowsTheCurrentImagePreview() async throws {
        try await ServerHarness.withServer({ $0.previewInterval = 1 }) { client in
            let work = Task { try await client.post("/sdapi/v1/txt2img", #"{"prompt": "x", "steps": 40, "width": 64, "height": 64, "seed": 1}"#) }
            let progress = try await client.waitForProgress("a current_image") { $0["current_image"].string != nil }
            let preview = try progress["current_image"].png().image
            #expect(preview.width == 64 && preview.height == 64)
            let skipped = try await client.json("/sdapi/v1/progress?skip_current_image=true")
            #expect(skipped["current_image"] == .null)
            #expect(try await work.value.status == .ok)
        }
    }
}
