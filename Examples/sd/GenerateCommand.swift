import ArgumentParser
import Foundation
import SDServer
import StableDiffusion

/// `sd generate`: text-to-image (and image-to-image) from a diffusers folder or a single-file checkpoint.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate images from a prompt.",
        discussion: """
            --model takes a diffusers folder (SD 1.x / 2.x / SDXL base, Turbo or refiner, detected from model_index.json) or a single-file \
            .safetensors checkpoint (SD 1.x / 2.x). \
            With --num-images K > 1, images are written as NAME-1.png … NAME-K.png. \
            The PNG carries the parameters in AUTOMATIC1111's format (a "parameters" text chunk).
            """)

    @Option(name: .long, help: "A diffusers model folder, or a single-file .safetensors checkpoint.")
    var model: String
    @OptionGroup var loading: ModelLoadingOptions
    @Option(name: .long, help: "The prompt.")
    var prompt: String
    @Option(name: .long, help: "What the image should not show.")
    var negativePrompt: String?
    @Option(name: .long, help: "Inference steps.")
    var steps: Int = 20
    @Option(name: .long, help: "Classifier-free guidance scale (≤ 1 turns guidance off; default: the model family's, 7.5 for SD 1.x/2.x, 5.0 for SDXL).")
    var guidanceScale: Float?
    @Option(name: .long, help: "Sampler: ddim, pndm, euler, euler-a, lms, heun, dpm++2m, dpm++2m-karras, ddpm, unipc, lcm (default: the model's own).")
    var scheduler: String?
    @Option(name: .long, help: "Random seed (default: a random one, reported in the PNG and stats).")
    var seed: UInt64?
    @Option(name: .long, help: "Random number generator: torch (reproduces diffusers' CPU generator).")
    var rng: String = "torch"
    @Option(name: .long, help: "Image width in pixels, a multiple of 8 (default: the model's).")
    var width: Int?
    @Option(name: .long, help: "Image height in pixels, a multiple of 8 (default: the model's).")
    var height: Int?
    @Option(name: .long, help: "Number of images.")
    var numImages: Int = 1
    @Option(name: .long, help: "How prompts are read: a1111 (AUTOMATIC1111's (word:1.2), [word], BREAK, [a:b:when], [a|b], <lora:…> tags, 75-token chunks) or plain (verbatim, as diffusers).")
    var promptSyntax: PromptSyntax = .automatic1111
    @Option(name: .long, help: "Skip this many final text-encoder layers (diffusers' clip_skip; A1111's 'Clip skip' minus one).")
    var clipSkip: Int?
    @Option(name: .long, help: "Image-to-image: the PNG to start from (its size sets the output size).")
    var initImage: String?
    @Option(name: .long, help: "Image-to-image / inpainting strength, 0…1 (default: the model family's, 0.8 for SD 1.x/2.x image-to-image, 0.3 for SDXL, 1.0 for inpainting).")
    var strength: Double?
    @Option(name: .long, help: "Inpainting: a PNG the init image's size, white = repaint, black = keep (gray, RGB or with alpha; binarized at 50 %).")
    var maskImage: String?
    @Option(name: .long, help: "Inpainting: paste the original back outside the mask, through the mask blurred by PX pixels (A1111's 'Mask blur'; not done by diffusers).")
    var maskBlur: Int?
    @Option(name: .long, help: "A safetensors file with a float32 tensor 'latents' [K, 4, H/8, W/8] to start from (diffusers' latents=).")
    var initialLatents: String?
    @Option(name: .long, help: "Output PNG path.")
    var output: String = "out.png"
    @Option(name: .long, help: "Write the final latents (before decoding) to this safetensors file as 'latents'.")
    var outputLatents: String?
    @Option(name: .long, help: "Write timings and peak memory to this JSON file.")
    var statsJson: String?
    @Option(name: .long, help: "SDXL: the original-size conditioning W,H (default: the output size).")
    var originalSize: String?
    @Option(name: .long, help: "SDXL: the crop conditioning X,Y (left, top; default 0,0).")
    var cropTopLeft: String?
    @Option(name: .long, help: "SDXL: the target-size conditioning W,H (default: the output size).")
    var targetSize: String?
    @Option(name: .long, help: "SDXL refiner: the aesthetic-score conditioning of the prompt (default 6.0).")
    var aestheticScore: Double?
    @Option(name: .long, help: "SDXL refiner: the aesthetic-score conditioning of the negative side (default 2.5).")
    var negativeAestheticScore: Double?
    @Option(name: .long, help: "A LoRA .safetensors file (kohya/A1111, diffusers/PEFT), optionally with a scale: PATH[:SCALE] (default 1.0). Repeatable; several LoRAs add up.")
    var lora: [String] = []
    @Option(name: .long, help: "A folder of LoRA files: with --prompt-syntax a1111, each <lora:NAME:WEIGHT> tag in the prompt applies DIR/NAME.safetensors at WEIGHT.")
    var loraDir: String?
    @Option(name: .long, help: "A textual-inversion .safetensors embedding (A1111, diffusers, or SDXL clip_l/clip_g); use its token (A1111, SDXL: the file name) in the prompt. Repeatable.")
    var embedding: [String] = []
    @Option(name: .customLong("controlnet"), help: "A ControlNet: diffusers folder or original single file (repeatable; the n-th pairs with the n-th --control-image).")
    var controlNets: [String] = []
    @Option(name: .customLong("control-image"), help: "The control image (PNG, preprocessed unless --control-preprocess says otherwise) for the n-th --controlnet; resized to the output size, which it sets when --width/--height are not given.")
    var controlImages: [String] = []
    @Option(name: .customLong("control-scale"), help: "Conditioning scale of the n-th ControlNet (default 1.0; one value applies to all).")
    var controlScales: [Float] = []
    @Option(name: .customLong("control-start"), help: "Fraction of the steps after which the ControlNet starts acting (default 0; one value applies to all, or one per ControlNet).")
    var controlStarts: [Double] = []
    @Option(name: .customLong("control-end"), help: "Fraction of the steps after which it stops (default 1; one value applies to all, or one per ControlNet).")
    var controlEnds: [Double] = []
    @Option(name: .customLong("control-preprocess"), help: "Preprocess the n-th --control-image with a built-in preprocessor: canny (OpenCV's cv2.Canny edges) or none (default: none; one value applies to all, or one per ControlNet).")
    var controlPreprocessors: [String] = []
    @Option(name: .customLong("canny-low"), help: "--control-preprocess canny: the lower hysteresis threshold (default 100; swapped with --canny-high when larger, as OpenCV does).")
    var cannyLow: Double?
    @Option(name: .customLong("canny-high"), help: "--control-preprocess canny: the upper hysteresis threshold (default 200).")
    var cannyHigh: Double?
    @Option(name: .long, help: "A replacement VAE: an AutoencoderKL folder, a single .safetensors VAE (LDM layout), or a TAESD (AutoencoderTiny) folder, which also decodes the previews.")
    var vae: String?
    @Option(name: .long, help: "Write a preview image every N steps to --preview (TAESD when --vae is one, else a fast latent → RGB approximation).")
    var previewEvery: Int?
    @Option(name: .long, help: "The preview PNG, rewritten atomically at each preview (the first image of a batch).")
    var preview: String?
    @Option(name: .long, help: "SDXL: a refiner (diffusers folder or single-file checkpoint) that takes over the last part of the schedule (diffusers' denoising_end / denoising_start).")
    var refiner: String?
    @Option(name: .long, help: "With --refiner: the fraction of the schedule the base runs before the refiner takes over, 0 < F < 1 (default 0.8).")
    var refinerStart: Double?

    func validate() throws {
        try loading.validate(model: model)
        if refinerStart != nil, refiner == nil { throw ValidationError("--refiner-start needs --refiner") }
        if let refinerStart, !(refinerStart > 0 && refinerStart < 1) { throw ValidationError("--refiner-start must be between 0 and 1 (exclusive)") }
        guard rng == "torch" else { throw ValidationError("--rng must be 'torch'") }
        if maskImage != nil, initImage == nil { throw ValidationError("--mask-image needs --init-image: \(PipelineError.maskWithoutInitImage)") }
        if maskBlur != nil, maskImage == nil { throw ValidationError("--mask-blur needs --mask-image (it pastes the original back outside the mask)") }
        if let previewEvery, previewEvery < 1 { throw ValidationError("--preview-every must be at least 1") }
        if (previewEvery == nil) != (preview == nil) { throw ValidationError("--preview-every and --preview go together") }
        _ = try microConditioning()
        guard controlImages.count == controlNets.count else {
            throw ValidationError("give one --control-image per --controlnet (\(controlNets.count) ControlNets, \(controlImages.count) images)")
        }
        for (flag, count) in [("--control-scale", controlScales.count), ("--control-start", controlStarts.count), ("--control-end", controlEnds.count),
                              ("--control-preprocess", controlPreprocessors.count)]
        where count > 1 && count != controlNets.count || count > 0 && controlNets.isEmpty {
            throw ValidationError("\(flag) is given \(count) times for \(controlNets.count) ControlNets; give it once (for all) or once per --controlnet")
        }
        _ = try controlPreprocessor(at: 0)
    }

    /// The n-th ControlNet's built-in preprocessor (`--control-preprocess`, `--canny-low`, `--canny-high`).
    func controlPreprocessor(at index: Int) throws -> ControlImagePreprocessor? {
        for name in controlPreprocessors where name != "canny" && name != "none" {
            throw ValidationError("--control-preprocess must be canny or none, got '\(name)'")
        }
        if (cannyLow != nil || cannyHigh != nil), !controlPreprocessors.contains("canny") {
            throw ValidationError("--canny-low and --canny-high need --control-preprocess canny")
        }
        let detector = try CannyEdgeDetector(lowThreshold: cannyLow ?? 100, highThreshold: cannyHigh ?? 200)
        return Self.value(controlPreprocessors, index, default: "none") == "canny" ? .canny(detector) : nil
    }

    /// `--original-size`, `--crop-top-left`, `--target-size` as SDXL's micro-conditioning.
    func microConditioning() throws -> SDXLMicroConditioning {
        func pair(_ text: String?, _ flag: String, positive: Bool) throws -> (Int, Int)? {
            guard let text else { return nil }
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let first = parts[0], let second = parts[1],
                  positive ? (first > 0 && second > 0) : (first >= 0 && second >= 0) else {
                throw ValidationError("--\(flag) must be two \(positive ? "positive" : "non-negative") integers separated by a comma, got '\(text)'")
            }
            return (first, second)
        }
        var micro = SDXLMicroConditioning()
        if let (width, height) = try pair(originalSize, "original-size", positive: true) { micro.originalSize = PixelSize(width: width, height: height) }
        if let (x, y) = try pair(cropTopLeft, "crop-top-left", positive: false) { micro.cropTopLeft = PixelPoint(x: x, y: y) }
        if let (width, height) = try pair(targetSize, "target-size", positive: true) { micro.targetSize = PixelSize(width: width, height: height) }
        for (flag, score) in [("aesthetic-score", aestheticScore), ("negative-aesthetic-score", negativeAestheticScore)] {
            if let score, !score.isFinite { throw ValidationError("--\(flag) must be a finite number") }
        }
        if let aestheticScore { micro.aestheticScore = aestheticScore }
        if let negativeAestheticScore { micro.negativeAestheticScore = negativeAestheticScore }
        return micro
    }

    /// The n-th value of a repeatable option: its own, the single one given for all, or the default.
    static func value<T>(_ values: [T], _ index: Int, default fallback: T) -> T {
        values.count > index ? values[index] : (values.count == 1 ? values[0] : fallback)
    }

    func run() throws {
        try OutputFiles.checkFolders(of: [output] + [outputLatents, statsJson, preview].compactMap { $0 })
        loading.applyThreads()
        // The images are read before the model, so a bad one fails in a moment.
        let initImage = try self.initImage.map { (path) throws(PipelineError) in try RGBImage(pngFile: path) }
        let mask = try maskImage.map { (path) throws(PipelineError) in try InpaintingMask(pngFile: path) }
        let progress = ProgressBar()
        progress.message("loading \(model)")
        var pipeline = try StableDiffusionPipeline(
            contentsOf: model, options: loading.loadOptions(vae: vae))
        let taggedLoRAs = try promptSyntax == .automatic1111 ? Self.taggedLoRAs(in: prompt, folder: loraDir, progress: progress) : []
        if !lora.isEmpty || !embedding.isEmpty || !taggedLoRAs.isEmpty {
            let loras = try lora.map { argument in
                let (path, scale) = try Self.loraArgument(argument)
                return try LoRA(contentsOf: path, scale: scale)
            } + taggedLoRAs
            let embeddings = try embedding.map { try TextualInversion(contentsOf: $0) }
            pipeline = try pipeline.applying(loras: loras, embeddings: embeddings)
            for warning in pipeline.adapters.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
        var parameters = GenerationParameters()
        parameters.negativePrompt = negativePrompt
        parameters.steps = steps
        parameters.guidanceScale = guidanceScale
        parameters.width = width
        parameters.height = height
        parameters.seed = seed
        parameters.numberOfImages = numImages
        parameters.clipSkip = clipSkip
        parameters.promptSyntax = promptSyntax
        if promptSyntax == .automatic1111 {
            Self.reportUnappliedSyntax(in: prompt, appliesTags: loraDir != nil, progress: progress)
        }
        parameters.strength = strength
        parameters.previewInterval = previewEvery
        parameters.microConditioning = try microConditioning()
        if let scheduler { parameters.scheduler = try pipeline.scheduler(named: scheduler) }
        parameters.initImage = initImage
        parameters.mask = mask
        parameters.maskBlur = maskBlur
        if let initialLatents { parameters.initialLatents = try Self.readLatents(initialLatents) }
        for (index, path) in controlNets.enumerated() {
            progress.message("loading ControlNet \(path)")
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            parameters.controlNets.append(ControlNetInput(
                model: try pipeline.loadControlNet(at: path), image: try RGBImage(pngFile: controlImages[index]),
                scale: Self.value(controlScales, index, default: 1), start: Self.value(controlStarts, index, default: 0),
                end: Self.value(controlEnds, index, default: 1), name: name, preprocessor: try controlPreprocessor(at: index)))
        }

        if let refiner {
            progress.message("loading refiner \(refiner)")
            let model = try StableDiffusionPipeline(contentsOf: refiner, options: loading.companionLoadOptions())
            parameters.refinement = Refinement(refiner: model, start: refinerStart ?? 0.8,
                                               scheduler: try scheduler.map { name throws(PipelineError) in try model.scheduler(named: name) })
        }
        let previewPath = preview
        var previewFailed = false
        let result = try pipeline.generate(prompt: prompt, parameters: parameters) { update in
            progress.update(step: update.step, total: update.totalSteps, elapsed: update.elapsedSeconds)
            // writePNG renames a finished temporary file over the preview, so a viewer never reads half a PNG.
            guard let previewPath, let image = update.preview, !previewFailed else { return }
            do { try image.writePNG(to: previewPath) } catch {
                previewFailed = true  // reported once; the generation itself goes on
                progress.message("preview not written: \(error)")
            }
        }
        progress.finish()
        let files = OutputFiles()
        for (index, image) in result.images.enumerated() {
            let path = result.images.count == 1 ? output : Self.numbered(output, index + 1)
            try files.stage(path) { try image.writePNG(to: $0, text: [("parameters", result.parametersText)]) }
        }
        if let outputLatents { try files.stage(outputLatents) { try SafetensorsWriter.write(["latents": result.latents], to: $0) } }
        if let statsJson {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = try encoder.encode(result.statistics)
            try files.stage(statsJson) { try AtomicFile.write(json, to: $0) }
        }
        try files.commit()
        FileHandle.standardError.write(Data("seed \(result.seed); wrote \(result.images.count == 1 ? output : Self.numbered(output, 1) + "…")\n".utf8))
    }

    /// `PATH[:SCALE]`: the text after the last colon is the scale when it reads as a number (so a
    /// path with colons and no scale still works).
    static func loraArgument(_ argument: String) throws -> (path: String, scale: Float) {
        guard let colon = argument.lastIndex(of: ":"), let scale = Float(argument[argument.index(after: colon)...]) else {
            return (argument, 1)
        }
        guard scale.isFinite else { throw ValidationError("--lora \(argument): the scale must be a finite number") }
        return (String(argument[..<colon]), scale)
    }

    /// Says what the A1111 reading of the prompt leaves out: `<lora:…>` tags are removed but not applied (the
    /// LoRA files are given with `--lora`), and `AND` is encoded as text (no composable diffusion).
    static func reportUnappliedSyntax(in prompt: String, appliesTags: Bool, progress: ProgressBar) {
        let parsed = A1111Prompt(prompt)
        for tag in parsed.extraNetworks where tag.lora == nil || !appliesTags {
            progress.message("note: <\(tag.kind):\(tag.arguments.joined(separator: ":"))> removed from the prompt and not applied (tags are not looked up; give LoRA files with --lora PATH:SCALE)")
        }
        if parsed.usesComposableAND {
            progress.message("note: AND is encoded as part of the text (composable diffusion is not supported)")
        }
    }

    /// The LoRAs the prompt's `<lora:NAME:WEIGHT>` tags name, read from `folder` (``LoRATags``, shared
    /// with `sd serve --lora-dir`).
    static func taggedLoRAs(in prompt: String, folder: String?, progress: ProgressBar) throws -> [LoRA] {
        guard let folder else { return [] }
        do { return try LoRATags.resolve(in: prompt, folder: folder) { progress.message($0) } } catch {
            throw CommandError(error.description)
        }
    }

    /// `out.png`, 2 → `out-2.png`.
    static func numbered(_ path: String, _ number: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().path
        return ext.isEmpty ? "\(stem)-\(number)" : "\(stem)-\(number).\(ext)"
    }

    static func readLatents(_ path: String) throws -> Tensor {
        let file = try SafetensorsFile(path: path)
        guard file.entries["latents"] != nil else {
            throw CommandError("\(path): no tensor named 'latents' (found: \(file.tensorNames.prefix(5).joined(separator: ", ")))")
        }
        return try file.tensor(named: "latents")
    }
}

/// A one-line progress bar on standard error (redrawn in place on a terminal, one line per step otherwise).
final class ProgressBar {
    private let isTerminal = isatty(STDERR_FILENO) != 0

    func message(_ text: String) { write(text + "\n") }

    func update(step: Int, total: Int, elapsed: Double) {
        let width = 30
        let filled = total > 0 ? width * step / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "step %d/%d [%@] %.1fs", step, total, bar, elapsed)
        write(isTerminal ? "\r" + line : line + "\n")
    }

    func finish() { if isTerminal { write("\n") } }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
