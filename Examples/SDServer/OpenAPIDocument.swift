/// The OpenAPI 3.0 description of the server, served at `/openapi.json`. Written by hand (not
/// generated from the code), and checked by the tests: it parses, and describes every route
/// (``ServerRoutes/all``) with that route's method and no other.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "StableDiffusionSwift — AUTOMATIC1111-compatible API",
    "version": "1.0.0",
    "description": "The subset of AUTOMATIC1111's web UI API that `sd serve` offers. Requests and responses use A1111's field names. Fields A1111 has and this server ignores are accepted; fields that would change the image in a way it cannot do (hires fix, face restoration, tiling, styles, scripts, variation seeds, inpainting_fill 2 or 3) are answered 422. <lora:NAME:W> prompt tags apply NAME.safetensors from the server's --lora-dir. Every route needs HTTP basic authentication when the server was started with --api-auth."
  },
  "servers": [{"url": "http://127.0.0.1:7860"}],
  "components": {
    "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
    "schemas": {
      "Txt2ImgRequest": {
        "type": "object",
        "properties": {
          "prompt": {"type": "string", "default": ""},
          "negative_prompt": {"type": "string", "default": ""},
          "seed": {"type": "integer", "default": -1, "minimum": -1, "description": "-1 draws a random seed; image i of the request uses seed + i"},
          "sampler_name": {"type": "string", "default": "Euler", "description": "A1111 sampler name or alias (see /sdapi/v1/samplers); an old-style name with a schedule suffix (\"DPM++ 2M Karras\") is accepted"},
          "sampler_index": {"type": "string", "description": "older spelling of sampler_name, used when sampler_name is absent"},
          "scheduler": {"type": "string", "default": "Automatic", "description": "Automatic, or Karras with DPM++ 2M"},
          "batch_size": {"type": "integer", "default": 1, "minimum": 1},
          "n_iter": {"type": "integer", "default": 1, "minimum": 1, "description": "batch_size x n_iter is limited by --max-images"},
          "steps": {"type": "integer", "default": 50, "minimum": 1, "description": "limited by --max-steps"},
          "cfg_scale": {"type": "number", "default": 7, "minimum": 0, "maximum": 100},
          "width": {"type": "integer", "default": 512, "description": "a multiple of 8; width x height is limited by --max-pixels"},
          "height": {"type": "integer", "default": 512, "description": "a multiple of 8"},
          "denoising_strength": {"type": "number", "minimum": 0, "maximum": 1, "nullable": true},
          "override_settings": {"type": "object", "properties": {"CLIP_stop_at_last_layers": {"type": "integer", "minimum": 1, "maximum": 12, "default": 1}}},
          "send_images": {"type": "boolean", "default": true},
          "save_images": {"type": "boolean", "default": false, "description": "writes the PNGs into the server's --output-dir; 422 when it has none"}
        }
      },
      "Img2ImgRequest": {
        "allOf": [
          {"$ref": "#/components/schemas/Txt2ImgRequest"},
          {
            "type": "object",
            "required": ["init_images"],
            "properties": {
              "init_images": {"type": "array", "minItems": 1, "items": {"type": "string", "description": "base64 PNG, optionally with a data:image/png;base64, prefix"}, "description": "image i of the request starts from init_images[i mod count]; their size must equal width x height (default: the first image's size)"},
              "mask": {"type": "string", "description": "inpainting: base64 PNG of the init image's size, white repaints"},
              "mask_blur": {"type": "integer", "minimum": 0, "maximum": 64, "default": 4, "description": "the original is pasted back outside the mask blurred by this many pixels"},
              "inpainting_mask_invert": {"type": "integer", "enum": [0, 1], "default": 0, "description": "1 repaints the black area"},
              "inpainting_fill": {"type": "integer", "enum": [0, 1], "default": 1, "description": "0 and 1 both start from the init image (2 and 3 are refused)"},
              "inpaint_full_res": {"type": "boolean", "description": "accepted, not honoured: the whole picture is inpainted"},
              "denoising_strength": {"type": "number", "default": 0.75, "minimum": 0, "maximum": 1}
            }
          }
        ]
      },
      "GenerationResponse": {
        "type": "object",
        "required": ["images", "parameters", "info"],
        "properties": {
          "images": {"type": "array", "items": {"type": "string", "description": "base64 PNG with the A1111 'parameters' text chunk"}},
          "parameters": {"type": "object", "description": "the request with defaults filled in (init_images and mask null)"},
          "info": {"type": "string", "description": "JSON text: prompt, all_prompts, negative_prompt, all_negative_prompts, seed, all_seeds, subseed, all_subseeds, subseed_strength, width, height, sampler_name, cfg_scale, steps, batch_size, sd_model_name, denoising_strength, extra_generation_params, index_of_first_image, infotexts, styles, job_timestamp, clip_skip, version, interrupted"}
        }
      },
      "Progress": {
        "type": "object",
        "required": ["progress", "eta_relative", "state"],
        "properties": {
          "progress": {"type": "number", "minimum": 0, "maximum": 1},
          "eta_relative": {"type": "number", "description": "seconds"},
          "state": {
            "type": "object",
            "properties": {
              "skipped": {"type": "boolean"}, "interrupted": {"type": "boolean"}, "stopping_generation": {"type": "boolean"},
              "job": {"type": "string", "description": "txt2img, img2img, or empty when idle"},
              "job_count": {"type": "integer"}, "job_no": {"type": "integer"}, "job_timestamp": {"type": "string"},
              "sampling_step": {"type": "integer"}, "sampling_steps": {"type": "integer"}
            }
          },
          "current_image": {"type": "string", "nullable": true, "description": "base64 PNG preview of the current image (every --preview-every steps), null when none or with skip_current_image; always null on a --queue node"},
          "textinfo": {"type": "string", "nullable": true},
          "current_task": {"type": "string", "nullable": true},
          "queue": {"type": "object", "description": "not in A1111: requests generating, waiting, and cancelled so far because their client left", "properties": {"running": {"type": "integer"}, "waiting": {"type": "integer"}, "cancelled": {"type": "integer"}}}
        }
      },
      "Sampler": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "aliases": {"type": "array", "items": {"type": "string"}}, "options": {"type": "object"}}
      },
      "Scheduler": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "label": {"type": "string"}, "aliases": {"type": "array", "nullable": true, "items": {"type": "string"}}, "default_rho": {"type": "number"}, "need_inner_model": {"type": "boolean"}}
      },
      "Model": {
        "type": "object",
        "properties": {"title": {"type": "string"}, "model_name": {"type": "string"}, "hash": {"type": "string", "nullable": true}, "sha256": {"type": "string", "nullable": true}, "filename": {"type": "string"}, "config": {"type": "string", "nullable": true}}
      },
      "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "string"}}
      }
    },
    "responses": {
      "Unprocessable": {"description": "malformed JSON or base64, a field of the wrong type, or a value beyond the server's limits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "missing or wrong basic-auth credentials (only with --api-auth)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Busy": {"description": "every generation slot is busy and --max-queue requests are waiting", "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  },
  "security": [{"basic": []}, {}],
  "paths": {
    "/sdapi/v1/txt2img": {
      "post": {
        "summary": "Text to image",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Txt2ImgRequest"}}}},
        "responses": {
          "200": {"description": "the images", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationResponse"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "422": {"$ref": "#/components/responses/Unprocessable"},
          "503": {"$ref": "#/components/responses/Busy"}
        }
      }
    },
    "/sdapi/v1/img2img": {
      "post": {
        "summary": "Image to image",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Img2ImgRequest"}}}},
        "responses": {
          "200": {"description": "the images", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationResponse"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "422": {"$ref": "#/components/responses/Unprocessable"},
          "503": {"$ref": "#/components/responses/Busy"}
        }
      }
    },
    "/sdapi/v1/progress": {
      "get": {
        "summary": "Progress of the oldest running generation",
        "parameters": [{"name": "skip_current_image", "in": "query", "required": false, "schema": {"type": "boolean"}, "description": "true leaves current_image out"}],
        "responses": {"200": {"description": "progress", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Progress"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/sdapi/v1/interrupt": {
      "post": {
        "summary": "Stop the running generations before their next step; each returns the images finished so far",
        "responses": {"200": {"description": "interrupted", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/sdapi/v1/samplers": {
      "get": {
        "summary": "Samplers",
        "responses": {"200": {"description": "samplers", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Sampler"}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/sdapi/v1/schedulers": {
      "get": {
        "summary": "Noise schedules",
        "responses": {"200": {"description": "schedules", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Scheduler"}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/sdapi/v1/sd-models": {
      "get": {
        "summary": "The loaded model (one per server)",
        "responses": {"200": {"description": "models", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/sdapi/v1/options": {
      "get": {
        "summary": "Settings clients read (read-only here)",
        "responses": {"200": {"description": "options", "content": {"application/json": {"schema": {"type": "object", "properties": {"sd_model_checkpoint": {"type": "string"}, "CLIP_stop_at_last_layers": {"type": "integer"}, "samples_format": {"type": "string"}, "sd_checkpoint_hash": {"type": "string", "nullable": true}}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}
      }
    }
  }
}
"""#
}
