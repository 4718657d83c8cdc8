import Schedulers

/// The generation parameters as AUTOMATIC1111's web UI writes them into a PNG's `parameters` text
/// chunk, so that existing tools (image viewers, civitai, the web UI's "PNG Info") read them:
///
/// ```
/// a photo of a cat
/// Negative prompt: blurry
/// Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: sd15, RNG: CPU, Version: StableDiffusionSwift
/// ```
///
/// Applied LoRAs appear as `<lora:name:scale>` tags at the end of the prompt line.
enum A1111Parameters {
    /// The sampler's name in the web UI's vocabulary, and its schedule type.
    static func samplerName(for scheduler: any SchedulerConfiguration) -> (sampler: String, schedule: String) {
        switch scheduler {
        case let dpm as DPMSolverMultistepScheduler.Configuration:
            return ("DPM++ 2M", dpm.useKarrasSigmas ? "Karras" : "Automatic")
        default:
            let names = [
                DDIMScheduler.Configuration.className: "DDIM",
                PNDMScheduler.Configuration.className: "PLMS",
                EulerDiscreteScheduler.Configuration.className: "Euler",
                EulerAncestralDiscreteScheduler.Configuration.className: "Euler a",
                LMSDiscreteScheduler.Configuration.className: "LMS",
                HeunDiscreteScheduler.Configuration.className: "Heun",
                DDPMScheduler.Configuration.className: "DDPM",
                UniPCMultistepScheduler.Configuration.className: "UniPC",
                LCMScheduler.Configuration.className: "LCM",
            ]
            return (names[scheduler.name] ?? scheduler.name, "Automatic")
        }
    }

    /// The full text.
    static func text(prompt: String, parameters: GenerationParameters, guidanceScale: Float, strength: Double,
                     scheduler: any SchedulerConfiguration, steps: Int, seed: UInt64, width: Int, height: Int,
                     modelName: String, randomName: String, inpaintingModel: Bool = false,
                     loras: [AppliedAdapters.LoRAReference] = [], vaeName: String? = nil) -> String {
        // The web UI records a LoRA as the `<lora:name:weight>` tag the user typed in the prompt; the
        // SDK takes LoRAs outside the prompt, so the tags are appended to it (pasting the text back
        // into the web UI applies the same LoRAs). A LoRA the prompt already names in a tag (the CLI's
        // `--lora-dir`) is not repeated. `Lora hashes` is omitted.
        let tags = loras.filter { !prompt.contains("<lora:\($0.name):") }.map { "<lora:\($0.name):\(format($0.scale))>" }
        var lines = [([prompt] + tags).joined(separator: " ")]
        if let negative = parameters.negativePrompt, !negative.isEmpty { lines.append("Negative prompt: \(negative)") }
        let (sampler, schedule) = samplerName(for: scheduler)
        var fields = [
            ("Steps", "\(steps)"), ("Sampler", sampler), ("Schedule type", schedule),
            ("CFG scale", format(guidanceScale)), ("Seed", "\(seed)"), ("Size", "\(width)x\(height)"),
            ("Model", quoted(modelName)),
        ]
        // The web UI writes the replacement VAE's file name after the model ("VAE: vae-ft-mse-…").
        if let vaeName { fields.append(("VAE", quoted(vaeName))) }
        // The web UI's order: Denoising strength, Conditional mask weight, Clip skip, RNG, then the
        // img2img tab's extras (Mask blur, written whenever a mask is used: it marks inpainting).
        if parameters.initImage != nil { fields.append(("Denoising strength", "\(strength)")) }
        // The web UI's default weight 1.0 is the full mask conditioning, what diffusers does.
        if parameters.mask != nil, inpaintingModel { fields.append(("Conditional mask weight", "1.0")) }
        if let clipSkip = parameters.clipSkip, clipSkip > 0 { fields.append(("Clip skip", "\(clipSkip + 1)")) }
        // As the web UI's ControlNet extension writes each unit ("Module: none" when the image is given
        // preprocessed; diffusers resizes without keeping the aspect ratio, the extension's "Just Resize").
        for (index, control) in parameters.controlNets.enumerated() {
            let module = control.preprocessor?.parametersText ?? (module: "none", thresholds: "")
            let unit = "Module: \(module.module), Model: \(control.name), Weight: \(format(control.scale)), Resize Mode: Just Resize, "
                + module.thresholds + "Guidance Start: \(control.start), Guidance End: \(control.end), Control Mode: Balanced"
            fields.append(("ControlNet \(index)", quoted(unit)))
        }
        // As the web UI writes its refiner: the refiner checkpoint's name and the switch fraction.
        if let refinement = parameters.refinement {
            fields.append(("Refiner", quoted(refinement.refiner.modelName)))
            fields.append(("Refiner switch at", "\(refinement.start)"))
        }
        fields.append(("RNG", randomName == "torch" ? "CPU" : quoted(randomName)))
        if parameters.mask != nil { fields.append(("Mask blur", "\(parameters.maskBlur ?? 0)")) }
        fields.append(("Version", "StableDiffusionSwift"))
        lines.append(fields.map { "\($0.0): \($0.1)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// `7.0` → "7", `7.5` → "7.5" (the web UI's style).
    static func format(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e7 ? "\(Int(value))" : "\(value)"
    }

    /// Quotes a value containing the separators the web UI's parser splits on.
    static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == ":" || $0 == "\"" || $0 == "\n" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
