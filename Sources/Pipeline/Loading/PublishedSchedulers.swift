import Foundation
import Schedulers

/// Scheduler options of the published checkpoints, for single-file models loaded without a config
/// folder (a single file carries no scheduler).
enum PublishedSchedulers {
    /// `stable-diffusion-v1-5/scheduler/scheduler_config.json`.
    static let sd15 = """
        {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
         "clip_sample": false, "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true,
         "steps_offset": 1, "trained_betas": null}
        """

    /// `stable-diffusion-2-1/scheduler/scheduler_config.json` (v-prediction); the 2.x base models
    /// differ only in `prediction_type` epsilon.
    static func sd2(predictionType: String) -> String {
        """
        {"_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
         "clip_sample": false, "num_train_timesteps": 1000, "prediction_type": "\(predictionType)",
         "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null}
        """
    }

    static func options(_ json: String) throws(SchedulerError) -> DiffusersSchedulerConfig {
        try DiffusersSchedulerConfig(jsonData: Data(json.utf8), path: "published scheduler_config.json")
    }
}
