import Foundation
import StableDiffusion

/// A txt2img or img2img request in A1111's field names, checked against the server's limits.
/// Defaults are A1111's API defaults (`StableDiffusionProcessing`): 50 steps, CFG 7, 512 × 512,
/// sampler "Euler", seed −1 (random), denoising strength 0.75 for img2img.
struct GenerationRequest: Sendable {
    /// Which endpoint the request came to.
    enum Kind: String, Sendable { case txt2img, img2img }

    let kind: Kind
    let prompt: String
    let negativePrompt: String
    /// −1 asks for a random seed.
    let seed: Int64
    let samplerName: String
    let scheduleName: String
    /// The SDK scheduler name (`sd generate --scheduler`).
    let schedulerCLIName: String
    let batchSize: Int
    let iterations: Int
    let steps: Int
    let cfgScale: Double
    let width: Int
    let height: Int
    /// img2img's strength; for txt2img A1111's (unused) hires value, echoed back.
    let denoisingStrength: Double?
    /// A1111's "Clip skip" (`CLIP_stop_at_last_layers`, 1 = the last layer).
    let clipStopAtLastLayers: Int
    let sendImages: Bool
    let saveImages: Bool
    /// img2img's start images, decoded.
    let initImages: [RGBImage]
    /// img2img's `mask` (white repaints), decoded and inverted if `inpainting_mask_invert` is 1.
    let mask: InpaintingMask?
    /// `mask_blur` (A1111's default 4): the original is pasted back outside the mask blurred by this
    /// many pixels (``GenerationParameters/maskBlur``). Only with a mask.
    let maskBlur: Int?
    /// The request as A1111 echoes it in `parameters`: the fields sent, defaults filled in, images dropped.
    let echo: [String: JSONValue]

    var imageCount: Int { batchSize * iterations }

    /// Parses and checks a request body.
    ///
    /// - Throws: ``APIError`` (422) naming the first field that is malformed, out of the server's
    ///   limits, or asks for something the SDK does not do.
    init(body: Data, kind: Kind, limits: ServerConfiguration) throws(APIError) {
        let json = try JSONValue.parse(body)
        let fields = try JSONObjectReader(json)
        self.kind = kind
        prompt = try fields.string("prompt") ?? ""
        negativePrompt = try fields.string("negative_prompt") ?? ""
        let seedValue = try fields.integer("seed") ?? -1
        guard seedValue >= -1 else { throw .unprocessable("seed is \(seedValue); expected −1 (random) or 0 or more") }
        seed = Int64(seedValue)
        let samplerField = try fields.string("sampler_name")
        let legacySamplerField = try fields.string("sampler_index")
        let sampler = try SamplerNames.schedulerName(sampler: samplerField ?? legacySamplerField,
                                                     schedule: try fields.string("scheduler"))
        (schedulerCLIName, samplerName, scheduleName) = sampler
        batchSize = try fields.integer("batch_size", default: 1, in: 1...limits.maxImages)
        iterations = try fields.integer("n_iter", default: 1, in: 1...limits.maxImages)
        guard batchSize * iterations <= limits.maxImages else {
            throw .unprocessable("batch_size × n_iter is \(batchSize * iterations); this server allows at most \(limits.maxImages) images per request")
        }
        steps = try fields.integer("steps", default: 50, in: 1...limits.maxSteps)
        cfgScale = try fields.number("cfg_scale") ?? 7
        guard (0...100).contains(cfgScale) else { throw .unprocessable("cfg_scale is \(cfgScale); expected 0…100") }
        let strength = try fields.number("denoising_strength")
        if let strength, !(0...1).contains(strength) {
            throw .unprocessable("denoising_strength is \(strength); expected 0…1")
        }
        denoisingStrength = kind == .img2img ? (strength ?? 0.75) : strength
        sendImages = try fields.bool("send_images") ?? true
        saveImages = try fields.bool("save_images") ?? false
        if saveImages, limits.outputDirectory == nil {
            throw .unprocessable("save_images needs the server to be started with --output-dir")
        }
        if let overrides = try fields.object("override_settings") {
            clipStopAtLastLayers = try overrides.integer("CLIP_stop_at_last_layers", default: 1, in: 1...12)
        } else {
            clipStopAtLastLayers = 1
        }
        try Self.refuseUnsupported(fields)

        var images: [RGBImage] = []
        if kind == .img2img {
            guard let encoded = try fields.strings("init_images"), !encoded.isEmpty else {
                throw .unprocessable("init_images must hold at least one base64 PNG")
            }
            for (index, text) in encoded.enumerated() {
                images.append(try Self.decodeImage(text, field: "init_images[\(index)]"))
            }
        }
        initImages = images
        (mask, maskBlur) = try Self.inpaintingMask(fields, kind: kind)
        // img2img keeps the init image's size unless another is asked for; the SDK does not resize.
        let defaultWidth = images.first?.width ?? 512, defaultHeight = images.first?.height ?? 512
        width = try fields.integer("width", default: defaultWidth, in: 8...16384)
        height = try fields.integer("height", default: defaultHeight, in: 8...16384)
        guard width * height <= limits.maxPixels else {
            throw .unprocessable("width × height is \(width)×\(height) = \(width * height) pixels; this server allows at most \(limits.maxPixels)")
        }
        for (index, image) in images.enumerated() where image.width != width || image.height != height {
            throw .unprocessable("init_images[\(index)] is \(image.width)×\(image.height) but the request asks for \(width)×\(height); resizing is not available: send width and height equal to the image's")
        }
        if let mask, mask.width != width || mask.height != height {
            throw .unprocessable("mask is \(mask.width)×\(mask.height) but the image is \(width)×\(height); send a mask of the init image's size")
        }

        var echo = fields.fields
        let filled: [String: JSONValue] = [
            "prompt": .string(prompt), "negative_prompt": .string(negativePrompt), "seed": .integer(seed),
            "sampler_name": .string(samplerName), "scheduler": .string(scheduleName),
            "batch_size": .integer(Int64(batchSize)), "n_iter": .integer(Int64(iterations)), "steps": .integer(Int64(steps)),
            "cfg_scale": .number(cfgScale), "width": .integer(Int64(width)), "height": .integer(Int64(height)),
            "denoising_strength": denoisingStrength.map(JSONValue.number) ?? .null,
            "send_images": .bool(sendImages), "save_images": .bool(saveImages),
        ]
        echo.merge(filled) { _, new in new }
        // A1111 drops the images from the echo (`init_images = None; mask = None`).
        if kind == .img2img { echo["init_images"] = .null; echo["mask"] = .null }
        self.echo = echo
    }

    /// img2img's inpainting fields. Honoured: `mask`, `mask_blur`, `inpainting_mask_invert`.
    /// `inpainting_fill` 0 ("fill", A1111's API default) and 1 ("original") both start from the init
    /// image as diffusers does; 2 and 3 (latent noise / nothing) are refused. `inpaint_full_res`
    /// ("only masked") is read but the whole picture is always inpainted (Documentation/Server.md).
    private static func inpaintingMask(_ fields: JSONObjectReader, kind: Kind) throws(APIError) -> (InpaintingMask?, Int?) {
        guard kind == .img2img, let encoded = try fields.string("mask"), !encoded.isEmpty else { return (nil, nil) }
        var image = try decodeImage(encoded, field: "mask")
        if try fields.integer("inpainting_mask_invert", default: 0, in: 0...1) == 1 {
            image = RGBImage(width: image.width, height: image.height, pixels: image.pixels.map { 255 - $0 })
        }
        let fill = try fields.integer("inpainting_fill", default: 1, in: 0...3)
        guard fill <= 1 else {
            throw .unprocessable("inpainting_fill \(fill): only 0 (fill) and 1 (original), which both start from the init image, are available")
        }
        _ = try fields.bool("inpaint_full_res")
        let blur = try fields.integer("mask_blur", default: 4, in: 0...64)
        do { return (try InpaintingMask(image: image, source: "mask"), blur) } catch {
            throw .unprocessable(error.description)
        }
    }

    /// Fields that would change the image in ways the SDK cannot do: refused rather than ignored,
    /// so a client never receives an image that silently differs from what it asked for.
    private static func refuseUnsupported(_ fields: JSONObjectReader) throws(APIError) {
        if try fields.bool("enable_hr") == true { throw .unprocessable("enable_hr: hires fix is not available in this server") }
        if try fields.bool("restore_faces") == true { throw .unprocessable("restore_faces is not available in this server") }
        if try fields.bool("tiling") == true { throw .unprocessable("tiling is not available in this server") }
        if let strength = try fields.number("subseed_strength"), strength != 0 {
            throw .unprocessable("subseed_strength: variation seeds are not available in this server")
        }
        if let styles = try fields.strings("styles"), !styles.isEmpty {
            throw .unprocessable("styles are not available in this server")
        }
        if let script = try fields.string("script_name"), !script.isEmpty {
            throw .unprocessable("script_name: scripts are not available in this server")
        }
        if case .object(let scripts) = fields.fields["alwayson_scripts"] ?? .null, !scripts.isEmpty {
            throw .unprocessable("alwayson_scripts: scripts are not available in this server")
        }
    }

    /// Decodes a base64 PNG, with or without a `data:image/png;base64,` prefix (A1111 accepts both).
    static func decodeImage(_ text: String, field: String) throws(APIError) -> RGBImage {
        var payload = Substring(text)
        if payload.hasPrefix("data:"), let comma = payload.firstIndex(of: ",") { payload = payload[payload.index(after: comma)...] }
        guard let data = Data(base64Encoded: String(payload), options: [.ignoreUnknownCharacters]), !data.isEmpty else {
            throw .unprocessable("\(field) is not valid base64")
        }
        do { return try RGBImage.decodePNG(data, source: field).image } catch {
            throw .unprocessable("\(field): \(error.description) (only PNG images are accepted)")
        }
    }
}
