import Foundation
import StableDiffusion

/// The JSON bodies the server answers with, shaped as AUTOMATIC1111's API returns them.
enum A1111Responses {
    /// `POST /sdapi/v1/txt2img` / `img2img`: `images` (base64 PNGs), `parameters` (the request echoed),
    /// `info` (a JSON string, A1111's `Processed.js()`).
    static func generation(_ request: GenerationRequest, _ reply: GenerationReply) -> JSONValue {
        let images = request.sendImages ? reply.images.map { JSONValue.string($0.base64EncodedString()) } : []
        return .object(["images": .array(images), "parameters": .object(request.echo), "info": .string(reply.info)])
    }

    /// A1111's `info` JSON text for a finished request (made where the images were generated: in the
    /// server, or on a queue worker, which stores it with the PNGs).
    static func info(_ request: GenerationRequest, _ outcome: GenerationService.Outcome, modelName: String) -> String {
        let seed = outcome.allSeeds.first ?? 0
        let count = outcome.allSeeds.count
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMddHHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let info: JSONValue = .object([
            "prompt": .string(request.prompt),
            "all_prompts": .array(Array(repeating: .string(request.prompt), count: count)),
            "negative_prompt": .string(request.negativePrompt),
            "all_negative_prompts": .array(Array(repeating: .string(request.negativePrompt), count: count)),
            "seed": .integer(Int64(clamping: seed)),
            "all_seeds": .array(outcome.allSeeds.map { .integer(Int64(clamping: $0)) }),
            // Variation seeds are not offered: A1111 reports the subseeds it drew; here they equal the seeds.
            "subseed": .integer(Int64(clamping: seed)),
            "all_subseeds": .array(outcome.allSeeds.map { .integer(Int64(clamping: $0)) }),
            "subseed_strength": .integer(0),
            "width": .integer(Int64(request.width)),
            "height": .integer(Int64(request.height)),
            "sampler_name": .string(request.samplerName),
            "cfg_scale": .number(request.cfgScale),
            "steps": .integer(Int64(request.steps)),
            "batch_size": .integer(Int64(request.batchSize)),
            "restore_faces": .bool(false),
            "face_restoration_model": .null,
            "sd_model_name": .string(modelName),
            "sd_model_hash": .null,
            "sd_vae_name": .null,
            "sd_vae_hash": .null,
            "seed_resize_from_w": .integer(-1),
            "seed_resize_from_h": .integer(-1),
            "denoising_strength": request.denoisingStrength.map(JSONValue.number) ?? .null,
            "extra_generation_params": .object(["Schedule type": .string(request.scheduleName)]),
            "index_of_first_image": .integer(0),
            "infotexts": .array(outcome.infotexts.map(JSONValue.string)),
            "styles": .array([]),
            "job_timestamp": .string(formatter.string(from: Date())),
            "clip_skip": .integer(Int64(request.clipStopAtLastLayers)),
            "is_using_inpainting_conditioning": .bool(false),
            "version": .string("StableDiffusionSwift"),
            // Not in A1111: tells a client that /interrupt cut the request short.
            "interrupted": .bool(outcome.interrupted),
        ])
        return info.jsonText
    }

    /// `GET /sdapi/v1/progress`.
    ///
    /// - Parameter currentImage: A base64 PNG of the current image's preview, if one is shown.
    static func progress(_ snapshot: ProgressBoard.Snapshot, running: Int, waiting: Int, currentImage: String? = nil) -> JSONValue {
        var progress = 0.0, eta = 0.0
        var state: [String: JSONValue] = [
            "skipped": .bool(false), "interrupted": .bool(snapshot.interrupted), "stopping_generation": .bool(false),
            "job": .string(""), "job_count": .integer(0), "job_timestamp": .string("0"), "job_no": .integer(0),
            "sampling_step": .integer(0), "sampling_steps": .integer(0),
        ]
        if let job = snapshot.job {
            let stepFraction = job.totalSteps > 0 ? Double(job.step) / Double(job.totalSteps) : 0
            progress = min((Double(job.imagesDone) + stepFraction) / Double(max(job.imageCount, 1)), 1)
            let elapsed = Date().timeIntervalSince(job.started)
            eta = progress > 0 ? elapsed / progress - elapsed : 0
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyyMMddHHmmss"
            formatter.locale = Locale(identifier: "en_US_POSIX")
            state["job"] = .string(job.kind.rawValue)
            state["job_count"] = .integer(Int64(job.imageCount))
            state["job_no"] = .integer(Int64(job.imagesDone))
            state["job_timestamp"] = .string(formatter.string(from: job.started))
            state["sampling_step"] = .integer(Int64(job.step))
            state["sampling_steps"] = .integer(Int64(job.totalSteps))
        }
        return .object([
            "progress": .number(progress), "eta_relative": .number(eta), "state": .object(state),
            // null when no preview is shown (A1111 also answers null when previews are off).
            "current_image": currentImage.map(JSONValue.string) ?? .null, "textinfo": .null, "current_task": .null,
            // Not in A1111: the admission queue.
            "queue": .object(["running": .integer(Int64(running)), "waiting": .integer(Int64(waiting)),
                              "cancelled": .integer(Int64(snapshot.cancelledJobs))]),
        ])
    }

    /// `GET /sdapi/v1/samplers`.
    static var samplers: JSONValue {
        .array(SamplerNames.samplers.map { sampler in
            .object(["name": .string(sampler.name), "aliases": .array(sampler.aliases.map(JSONValue.string)),
                     "options": .object(sampler.karras == nil ? [:] : ["scheduler": .string("karras")])])
        })
    }

    /// `GET /sdapi/v1/schedulers`.
    static var schedulers: JSONValue {
        .array(SamplerNames.schedules.map { schedule in
            .object(["name": .string(schedule.name), "label": .string(schedule.label), "aliases": .null,
                     "default_rho": .number(schedule.name == "karras" ? 7 : -1), "need_inner_model": .bool(false)])
        })
    }

    /// `GET /sdapi/v1/sd-models`: the one model the server loaded.
    static func models(name: String, path: String) -> JSONValue {
        .array([.object(["title": .string(name), "model_name": .string(name), "hash": .null, "sha256": .null,
                         "filename": .string(path), "config": .null])])
    }

    /// `GET /sdapi/v1/options`: the settings clients read.
    static func options(modelName: String) -> JSONValue {
        .object(["sd_model_checkpoint": .string(modelName), "CLIP_stop_at_last_layers": .integer(1),
                 "samples_format": .string("png"), "sd_checkpoint_hash": .null])
    }
}
