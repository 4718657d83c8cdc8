"""Scheduler traces from diffusers: timesteps, sigmas and the sample after every step.

Each case builds a diffusers scheduler with `from_config` from a published model config (SD 1.5's
PNDM config, SD 2.1's v-prediction DDIM config, SD-Turbo's Euler config) plus the extra options the
Swift side applies (the CLI name's options and the case's own), and runs the denoising loop exactly
as StableDiffusionPipeline / StableDiffusionImg2ImgPipeline do, on a fake noise predictor:

    model_output = bank[i % 4] + 0.05 * scale_model_input(latents, t)

which the Swift test computes identically. Noise that a stochastic step draws (randn_tensor) is
recorded in draw order, so the Swift side can replay it through a RandomSource.

Writes schedulers/cases.json (the manifest) and one safetensors file per scheduler name with the
tensors of its cases: `<case>/sample.<k>` after step k, `<case>/denoised.<k>` (the predicted
original sample, for the main matrix's short runs of schedulers that return one), `<case>/noise.<k>` (draw k) and,
for img2img, `<case>/noised` (add_noise's result). Shared inputs are in inputs.safetensors.
"""
import importlib
import inspect
import json
import pathlib

import torch

import diffusers
from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    HeunDiscreteScheduler,
    LCMScheduler,
    LMSDiscreteScheduler,
    PNDMScheduler,
    UniPCMultistepScheduler,
)

from ._common import save, seeded

SHAPE = (1, 4, 8, 8)
BANK_SIZE = 4
MODEL_INPUT_WEIGHT = 0.05

# Published scheduler_config.json files (runwayml/stable-diffusion-v1-5,
# stabilityai/stable-diffusion-2-1, stabilityai/sd-turbo).
CONFIGS = {
    "sd15": {
        "_class_name": "PNDMScheduler",
        "_diffusers_version": "0.6.0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "num_train_timesteps": 1000,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "trained_betas": None,
        "clip_sample": False,
    },
    "sd21v": {
        "_class_name": "DDIMScheduler",
        "_diffusers_version": "0.8.0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "num_train_timesteps": 1000,
        "prediction_type": "v_prediction",
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "trained_betas": None,
    },
    "sdturbo": {
        "_class_name": "EulerDiscreteScheduler",
        "_diffusers_version": "0.24.0.dev0",
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "beta_start": 0.00085,
        "clip_sample": False,
        "interpolation_type": "linear",
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "sample_max_value": 1.0,
        "set_alpha_to_one": False,
        "skip_prk_steps": True,
        "steps_offset": 1,
        "timestep_spacing": "trailing",
        "trained_betas": None,
        "use_karras_sigmas": False,
    },
}

# CLI name -> (diffusers class, options the name itself sets). Must agree with SchedulerName.swift.
NAMES = {
    "ddim": (DDIMScheduler, {}),
    "pndm": (PNDMScheduler, {}),
    "euler": (EulerDiscreteScheduler, {}),
    "euler-a": (EulerAncestralDiscreteScheduler, {}),
    "lms": (LMSDiscreteScheduler, {}),
    "heun": (HeunDiscreteScheduler, {}),
    "dpm++2m": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": False}),
    "dpm++2m-karras": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True}),
    "ddpm": (DDPMScheduler, {}),
    "unipc": (UniPCMultistepScheduler, {}),
    "lcm": (LCMScheduler, {}),
}

STEP_COUNTS = [1, 4, 10, 20]
GRID_STEP_COUNTS = [1, 2, 3, 5, 7, 13, 25, 30, 50, 77, 100]
DENOISED_MAX_STEPS = 10  # predicted originals are recorded for short runs only (fixture size)

SCHEDULER_MODULES = [
    "scheduling_ddim", "scheduling_ddpm", "scheduling_dpmsolver_multistep", "scheduling_euler_ancestral_discrete",
    "scheduling_euler_discrete", "scheduling_heun_discrete", "scheduling_lcm", "scheduling_lms_discrete",
    "scheduling_pndm", "scheduling_unipc_multistep",
]


def option_cases():
    """The options matrix: (name or None for the config's own class, config, options, steps, extra)."""
    linear = {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}
    cos = {"beta_schedule": "squaredcos_cap_v2"}
    cases = [
        # The model's own scheduler class, from _class_name.
        (None, "sd15", {}, 10, {}),
        (None, "sd21v", {}, 10, {}),
        (None, "sdturbo", {}, 1, {}),
        (None, "sdturbo", {}, 2, {}),
        (None, "sdturbo", {}, 4, {}),
        # DDIM
        ("ddim", "sd15", linear, 10, {}),
        ("ddim", "sd15", cos, 10, {}),
        ("ddim", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("ddim", "sd15", {"timestep_spacing": "linspace"}, 10, {}),
        ("ddim", "sd15", {"clip_sample": True}, 10, {}),
        ("ddim", "sd15", {"set_alpha_to_one": True}, 10, {}),
        ("ddim", "sd15", {"prediction_type": "sample"}, 10, {}),
        ("ddim", "sd15", {"steps_offset": 0}, 10, {}),
        ("ddim", "sd15", {**linear, "num_train_timesteps": 500}, 10, {}),
        ("ddim", "sd15", {}, 10, {"eta": 1.0}),
        # PNDM
        ("pndm", "sd15", {"skip_prk_steps": False}, 10, {}),
        ("pndm", "sd21v", {"skip_prk_steps": False}, 6, {}),
        ("pndm", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("pndm", "sd15", {"timestep_spacing": "linspace"}, 10, {}),
        ("pndm", "sd15", {"set_alpha_to_one": True, **cos}, 10, {}),
        # Euler
        ("euler", "sd15", {"use_karras_sigmas": True}, 10, {}),
        ("euler", "sd15", {"timestep_spacing": "leading"}, 10, {}),
        ("euler", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("euler", "sd15", {"prediction_type": "sample"}, 10, {}),
        ("euler", "sd15", {**cos}, 10, {}),
        ("euler", "sd15", {"final_sigmas_type": "sigma_min"}, 10, {}),
        ("euler", "sd15", {"use_karras_sigmas": True, "sigma_min": 0.1, "sigma_max": 10.0}, 10, {}),
        ("euler", "sd15", {**linear, "num_train_timesteps": 500}, 7, {}),
        # Euler ancestral
        ("euler-a", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("euler-a", "sd15", {"timestep_spacing": "leading"}, 10, {}),
        ("euler-a", "sd15", {**linear}, 10, {}),
        # LMS
        ("lms", "sd15", {"use_karras_sigmas": True}, 10, {}),
        ("lms", "sd15", {"timestep_spacing": "leading"}, 10, {}),
        ("lms", "sd15", {"prediction_type": "sample"}, 10, {}),
        # Heun
        ("heun", "sd15", {"use_karras_sigmas": True}, 10, {}),
        ("heun", "sd15", {"timestep_spacing": "leading"}, 10, {}),
        ("heun", "sd15", {"prediction_type": "sample", "clip_sample": True}, 10, {}),
        ("heun", "sd15", {"timestep_spacing": "trailing", **cos}, 10, {}),
        # DPM-Solver++
        ("dpm++2m", "sd15", {"timestep_spacing": "leading"}, 10, {}),
        ("dpm++2m", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("dpm++2m", "sd15", {"prediction_type": "sample"}, 10, {}),
        ("dpm++2m", "sd15", {"solver_type": "heun"}, 10, {}),
        ("dpm++2m", "sd15", {"final_sigmas_type": "sigma_min"}, 20, {}),
        ("dpm++2m", "sd15", {"lower_order_final": False}, 10, {}),
        ("dpm++2m", "sd15", {"euler_at_final": True}, 20, {}),
        ("dpm++2m-karras", "sd15", {**linear}, 10, {}),
        ("euler", "sd15", {"use_karras_sigmas": True, **cos}, 10, {}),
        ("dpm++2m-karras", "sd15", {"timestep_spacing": "leading"}, 20, {}),
        (None, "sd15", {"_class_name": "DPMSolverMultistepScheduler", "solver_order": 3}, 10, {}),
        (None, "sd15", {"_class_name": "DPMSolverMultistepScheduler", "solver_order": 3}, 20, {}),
        (None, "sd15", {"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "sde-dpmsolver++"}, 10, {}),
        (None, "sd21v", {"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "sde-dpmsolver++",
                         "solver_type": "heun", "solver_order": 3}, 10, {}),
        (None, "sd15", {"_class_name": "DPMSolverMultistepScheduler", "solver_order": 1}, 10, {}),
        # DDPM
        ("ddpm", "sd15", {"timestep_spacing": "linspace"}, 10, {}),
        ("ddpm", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("ddpm", "sd15", {"variance_type": "fixed_large"}, 10, {}),
        ("ddpm", "sd15", {"variance_type": "fixed_small_log"}, 10, {}),
        ("ddpm", "sd15", {"clip_sample": True, "prediction_type": "sample"}, 10, {}),
        # UniPC
        ("unipc", "sd15", {"use_karras_sigmas": True}, 10, {}),
        # bh1, the noise-prediction form and order 2 at the end all make diffusers' step to sigma = 0
        # NaN or infinite (the Swift side rejects them with final_sigmas_type "zero"), so they end at sigma_min.
        ("unipc", "sd15", {"solver_type": "bh1", "final_sigmas_type": "sigma_min"}, 10, {}),
        ("unipc", "sd15", {"predict_x0": False, "final_sigmas_type": "sigma_min"}, 10, {}),
        ("unipc", "sd21v", {"predict_x0": False, "final_sigmas_type": "sigma_min"}, 10, {}),
        ("unipc", "sd15", {"solver_order": 3}, 10, {}),
        ("unipc", "sd15", {"solver_order": 1}, 10, {}),
        ("unipc", "sd15", {"disable_corrector": [0, 1]}, 10, {}),
        ("unipc", "sd15", {"timestep_spacing": "leading"}, 10, {}),
        ("unipc", "sd15", {"timestep_spacing": "trailing"}, 10, {}),
        ("unipc", "sd15", {"final_sigmas_type": "sigma_min"}, 10, {}),
        ("unipc", "sd15", {"use_karras_sigmas": True, "sigma_min": 0.1, "sigma_max": 10.0}, 10, {}),
        ("unipc", "sd15", {"lower_order_final": False, "final_sigmas_type": "sigma_min"}, 10, {}),
        # Less common keys and image-to-image on stateful variants.
        ("dpm++2m", "sd15", {"lambda_min_clipped": -5.1}, 10, {}),
        ("dpm++2m", "sd21v", {"lambda_min_clipped": -5.1, "timestep_spacing": "leading"}, 10, {}),
        (None, "sd15", {"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "deis", "solver_type": "bh2",
                         "final_sigmas_type": "sigma_min"}, 10, {}),
        (None, "sd15", {"_class_name": "UniPCMultistepScheduler", "solver_type": "midpoint"}, 10, {}),
        ("ddim", "sd15", {"num_train_timesteps": 100, "trained_betas": [0.001 + 0.0005 * i for i in range(100)]}, 10, {}),
        ("pndm", "sd15", {"skip_prk_steps": False}, 10, {"strength": 0.7}),
        ("unipc", "sd15", {"disable_corrector": [3]}, 10, {"strength": 0.6}),
        ("dpm++2m-karras", "sd15", {}, 20, {"strength": 0.5}),
        ("heun", "sd15", {"use_karras_sigmas": True}, 10, {"strength": 0.75}),
        # LCM
        ("lcm", "sd15", {"original_inference_steps": 25}, 6, {}),
        ("lcm", "sd15", {"clip_sample": True, "timestep_scaling": 5.0}, 4, {}),
        ("lcm", "sd15", {**linear}, 4, {}),
    ]
    return cases


class NoiseRecorder:
    """Replaces randn_tensor in the scheduler modules and records every draw in order."""

    def __init__(self):
        self.draws = []
        self.originals = {}
        for name in SCHEDULER_MODULES:
            module = importlib.import_module(f"diffusers.schedulers.{name}")
            if hasattr(module, "randn_tensor"):
                self.originals[module] = module.randn_tensor
                module.randn_tensor = self._draw

    def _draw(self, shape, generator=None, device=None, dtype=None, layout=None):
        noise = torch.randn(shape, generator=generator, dtype=torch.float32)
        self.draws.append(noise.clone())
        return noise if dtype is None else noise.to(dtype)

    def reset(self):
        self.draws = []


def class_for(name, config):
    if name is not None:
        return NAMES[name][0], dict(NAMES[name][1])
    return getattr(diffusers, config["_class_name"]), {}


def run_case(case_id, name, config_name, options, steps, extra, strength, record_denoised, inputs, recorder, tensors):
    config = dict(CONFIGS[config_name])
    if "_class_name" in options:
        config["_class_name"] = options["_class_name"]
    cls, name_options = class_for(name, config)
    # diffusers' from_config: the config's keys, then keyword overrides (the name's, then the case's).
    kwargs = {**name_options, **{k: v for k, v in options.items() if not k.startswith("_")}}
    scheduler = cls.from_config({**config, **{k: v for k, v in options.items() if k.startswith("_")}}, **kwargs)
    scheduler.set_timesteps(steps)
    recorder.reset()
    generator = seeded(1234)
    step_kwargs = {}
    if "eta" in extra:
        step_kwargs["eta"] = extra["eta"]
    if "generator" in inspect.signature(scheduler.step).parameters:
        step_kwargs["generator"] = generator

    full_timesteps = scheduler.timesteps.clone()
    sigmas = getattr(scheduler, "sigmas", None)
    entry = {
        "id": case_id,
        "scheduler": name,
        "config": config_name,
        "options": {k: v for k, v in options.items()},
        "steps": steps,
        "strength": strength,
        "eta": extra.get("eta"),
        "class": cls.__name__,
        "order": scheduler.order,
        "full_timesteps": [float(t) for t in full_timesteps],
        "sigmas": None if sigmas is None else [float(s) for s in torch.as_tensor(sigmas).flatten()],
        "init_noise_sigma": float(scheduler.init_noise_sigma),
    }

    if strength is None:
        timesteps = scheduler.timesteps
        latents = inputs["noise"] * scheduler.init_noise_sigma
    else:
        init_timestep = min(int(steps * strength), steps)
        t_start = max(steps - init_timestep, 0)
        timesteps = scheduler.timesteps[t_start * scheduler.order:]
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(t_start * scheduler.order)
        latents = scheduler.add_noise(inputs["image_latents"], inputs["image_noise"], timesteps[:1])
        tensors[f"{case_id}/noised"] = latents.clone()
    entry["timesteps"] = [float(t) for t in timesteps]

    record_denoised = record_denoised and len(timesteps) <= DENOISED_MAX_STEPS * max(1, scheduler.order)
    recorded_denoised = False
    for i, t in enumerate(timesteps):
        model_input = scheduler.scale_model_input(latents, t)
        model_output = inputs["bank"][i % BANK_SIZE] + MODEL_INPUT_WEIGHT * model_input
        output = scheduler.step(model_output, t, latents, **step_kwargs)
        latents = output.prev_sample
        tensors[f"{case_id}/sample.{i}"] = latents.clone()
        denoised = getattr(output, "pred_original_sample", None)
        if denoised is None:
            denoised = getattr(output, "denoised", None)
        if denoised is not None and record_denoised:
            tensors[f"{case_id}/denoised.{i}"] = denoised.clone()
            recorded_denoised = True
    for k, noise in enumerate(recorder.draws):
        tensors[f"{case_id}/noise.{k}"] = noise
    entry["noise_draws"] = len(recorder.draws)
    entry["denoised_recorded"] = recorded_denoised
    return entry


def generate(root: pathlib.Path) -> None:
    out = root / "schedulers"
    out.mkdir(parents=True, exist_ok=True)
    inputs = {
        "noise": torch.randn(SHAPE, generator=seeded(0)),
        "bank": torch.randn((BANK_SIZE, *SHAPE), generator=seeded(1)),
        "image_latents": torch.randn(SHAPE, generator=seeded(2)),
        "image_noise": torch.randn(SHAPE, generator=seeded(3)),
    }
    save(inputs, out / "inputs.safetensors")

    # The training schedules (betas, alphas_cumprod) PyTorch builds, for a bit-exact comparison.
    training = {}
    for label, kwargs in [
        ("sd", {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}),
        ("linear", {}),
        ("cosine", {"beta_schedule": "squaredcos_cap_v2"}),
        ("linear500", {"num_train_timesteps": 500, "beta_start": 0.001, "beta_end": 0.03}),
        ("scaled777", {"num_train_timesteps": 777, "beta_schedule": "scaled_linear"}),
    ]:
        scheduler = DDIMScheduler(**kwargs)
        training[f"{label}/betas"] = scheduler.betas
        training[f"{label}/alphas_cumprod"] = scheduler.alphas_cumprod
    save(training, out / "training.safetensors")

    # Schedules alone for many step counts: every family's timestep grid, per spacing.
    grids = []
    for cls in (DDIMScheduler, DDPMScheduler, PNDMScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler,
                DPMSolverMultistepScheduler, UniPCMultistepScheduler):
        for spacing in ("leading", "linspace", "trailing"):
            for steps in GRID_STEP_COUNTS:
                scheduler = cls.from_config(CONFIGS["sd15"], timestep_spacing=spacing)
                scheduler.set_timesteps(steps)
                grids.append({"class": cls.__name__, "timestep_spacing": spacing, "steps": steps,
                              "timesteps": [float(t) for t in scheduler.timesteps]})
    for steps in (1, 2, 3, 4, 6, 8, 13, 25, 50):
        scheduler = LCMScheduler.from_config(CONFIGS["sd15"])
        scheduler.set_timesteps(steps)
        grids.append({"class": "LCMScheduler", "timestep_spacing": None, "steps": steps,
                      "timesteps": [float(t) for t in scheduler.timesteps]})
    (out / "grids.json").write_text(json.dumps({"config": "sd15", "grids": grids}) + "\n")

    recorder = NoiseRecorder()
    files = {}
    cases = []

    def add(file, case_id, *args):
        tensors = files.setdefault(file, {})
        entry = run_case(case_id, *args, inputs, recorder, tensors)
        entry["file"] = f"{file}.safetensors"
        cases.append(entry)

    for name in NAMES:
        file = name.replace("+", "p")
        for config_name in ("sd15", "sd21v"):
            for steps in STEP_COUNTS:
                add(file, f"{name}/{config_name}/{steps}", name, config_name, {}, steps, {}, None, True)
        # img2img: the remaining timesteps for a strength and add_noise.
        add(file, f"{name}/sd15/img2img-0.55", name, "sd15", {}, 10, {}, 0.55, False)
        add(file, f"{name}/sd21v/img2img-0.3", name, "sd21v", {}, 10, {}, 0.3, False)

    for index, (name, config_name, options, steps, extra) in enumerate(option_cases()):
        label = ",".join(f"{k}={v}" for k, v in options.items()) or "default"
        file = "options"
        if "trained_betas" in options:
            label = label.split(",trained_betas")[0] + ",trained_betas=[…]"
        if "strength" in extra:
            label += f"/img2img-{extra['strength']}"
        add(file, f"options/{index}/{name or 'class'}/{config_name}/{steps}/{label}", name, config_name, options,
            steps, extra, extra.get("strength"), False)

    for file, tensors in files.items():
        save(tensors, out / f"{file}.safetensors")
    manifest = {
        "diffusers": diffusers.__version__,
        "torch": torch.__version__,
        "shape": list(SHAPE),
        "bank_size": BANK_SIZE,
        "model_input_weight": MODEL_INPUT_WEIGHT,
        "configs": CONFIGS,
        "cases": cases,
    }
    # One case per line: readable in a diff, compact on disk.
    header = json.dumps({k: v for k, v in manifest.items() if k != "cases"}, indent=1, allow_nan=False)
    lines = ",\n".join(json.dumps(case, separators=(",", ":"), allow_nan=False) for case in cases)
    (out / "cases.json").write_text(header[:-2] + ',\n "cases": [\n' + lines + "\n ]\n}\n")
