#!/usr/bin/env bash
# Checks how the `sd` command-line tool fails on bad input: for each case it must exit non-zero
# without a signal (no trap, no crash), print the error as exactly one line starting with "Error:"
# that says what is wrong, and leave nothing in the output folder (no PNG, no partial or temporary
# file). A successful run is checked first, so the cases fail for their flaw alone.
#
#   Tests/Scripts/cli-errors.sh          (builds `sd` in debug mode first; about a minute)
#
# Uses the tiny fixture model (Tests/Fixtures/pipeline/sd15-tiny); every run takes well under a second.
set -uo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

swift build --product sd >/dev/null || { echo "cannot build sd" >&2; exit 1; }
sd="$(swift build --show-bin-path)/sd"
model="$root/Tests/Fixtures/pipeline/sd15-tiny"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0
cases=0
report() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# expect_failure NAME EXPECTED-SUBSTRING ARGS... : runs `sd generate ARGS --output <fresh folder>/out.png`.
expect_failure() {
    local name="$1" expected="$2"
    shift 2
    cases=$((cases + 1))
    local out="$work/out-$cases"
    mkdir -p "$out"
    "$sd" generate --output "$out/out.png" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null
    local status=$?
    local errors
    errors=$(grep -c '^Error: ' "$work/stderr")
    if [[ $status -eq 0 ]]; then
        report "$name" "exited 0"
    elif [[ $status -ge 128 ]]; then
        report "$name" "killed by signal $((status - 128))"
    elif [[ $errors -ne 1 ]]; then
        report "$name" "$errors lines start with 'Error:' (stderr: $(head -c 400 "$work/stderr"))"
    elif ! grep '^Error: ' "$work/stderr" | grep -qF -- "$expected"; then
        report "$name" "error line lacks '$expected': $(grep '^Error: ' "$work/stderr")"
    elif [[ -n "$(ls -A "$out")" ]]; then
        report "$name" "left files behind: $(ls -A "$out" | tr '\n' ' ')"
    else
        echo "ok   $name: exit $status; $(grep '^Error: ' "$work/stderr" | cut -c1-150)"
    fi
}

# A successful run (and the 32×32 PNG the image cases start from).
mkdir -p "$work/good"
if ! "$sd" generate --model "$model" --prompt "a cat" --steps 2 --width 32 --height 32 --seed 1 \
        --output "$work/good/small.png" --stats-json "$work/good/stats.json" >/dev/null 2>"$work/stderr"; then
    echo "FAIL baseline: a valid generation failed: $(cat "$work/stderr")"
    exit 1
fi
if [[ "$(ls -A "$work/good" | tr '\n' ' ')" != "small.png stats.json " ]] || ! grep -q '"peak_rss_bytes"' "$work/good/stats.json"; then
    echo "FAIL baseline: expected small.png and stats.json with peak_rss_bytes, found $(ls -A "$work/good")"
    exit 1
fi
echo "ok   baseline: a valid generation writes the PNG and --stats-json (peak_rss_bytes $(grep -o '"peak_rss_bytes":[0-9]*' "$work/good/stats.json" | cut -d: -f2))"

# Inputs made from the fixtures.
printf '\x80\x02\x7d\x71\x00\x28\x58\x05' >"$work/model.ckpt"
head -c 100000 "$root/Tests/Fixtures/pipeline/sd15-tiny/unet/diffusion_pytorch_model.safetensors" >"$work/truncated.safetensors"
: >"$work/empty.safetensors"
head -c 60 "$work/good/small.png" >"$work/truncated.png"
printf '\xff\xd8\xff\xe0\x00\x10JFIF' >"$work/photo.png"
mkdir -p "$work/broken"
for part in model_index.json scheduler text_encoder tokenizer vae; do ln -s "$model/$part" "$work/broken/$part"; done
mkdir -p "$work/broken/unet"
ln -s "$model/unet/config.json" "$work/broken/unet/config.json"
mkdir -p "$work/unwritable-parent"

run=(--model "$model" --prompt "a cat" --steps 2 --seed 1)
expect_failure "missing model" "not found" --model "$work/nowhere" --prompt "a cat"
expect_failure "pickle checkpoint" "pickle" --model "$work/model.ckpt" --prompt "a cat"
expect_failure "truncated checkpoint" "truncated" --model "$work/truncated.safetensors" --prompt "a cat"
expect_failure "empty checkpoint" "shorter than the 8-byte header length" --model "$work/empty.safetensors" --prompt "a cat"
expect_failure "model folder without UNet weights" "no UNet weights" --model "$work/broken" --prompt "a cat"
expect_failure "weight variant the folder lacks" "no 'model.bf16.safetensors'" "${run[@]}" --variant bf16
expect_failure "variant on a single file" "--variant applies to a diffusers folder" --model "$work/truncated.safetensors" --prompt "a cat" --variant fp16
expect_failure "unknown weights precision" "weights-precision" "${run[@]}" --weights-precision fp8
expect_failure "width not a multiple of 8" "invalid width 60" "${run[@]}" --width 60
expect_failure "height zero" "invalid height 0" "${run[@]}" --height 0
expect_failure "huge width" "invalid width 100000" "${run[@]}" --width 100000
expect_failure "zero steps" "invalid steps 0" --model "$model" --prompt "a cat" --steps 0
expect_failure "negative steps" "invalid steps -4" --model "$model" --prompt "a cat" --steps=-4
expect_failure "NaN guidance" "invalid guidanceScale nan" "${run[@]}" --guidance-scale nan
expect_failure "infinite guidance" "invalid guidanceScale inf" "${run[@]}" --guidance-scale inf
expect_failure "strength above 1" "invalid strength 1.5" "${run[@]}" --init-image "$work/good/small.png" --strength 1.5
expect_failure "negative strength" "invalid strength -0.5" "${run[@]}" --init-image "$work/good/small.png" --strength=-0.5
expect_failure "init image of the wrong size" "invalid initImage 32×32" "${run[@]}" --init-image "$work/good/small.png" --width 64 --height 64
expect_failure "truncated init image" "invalid PNG" "${run[@]}" --init-image "$work/truncated.png"
expect_failure "init image that is not a PNG" "not a PNG file" "${run[@]}" --init-image "$work/photo.png"
expect_failure "missing init image" "not found" "${run[@]}" --init-image "$work/absent.png"
expect_failure "unknown scheduler" "dpm++3m" "${run[@]}" --scheduler "dpm++3m"
expect_failure "clip skip too deep" "clip" "${run[@]}" --clip-skip 40
expect_failure "initial latents without 'latents'" "no tensor named 'latents'" "${run[@]}" --initial-latents "$root/Tests/Fixtures/pipeline/sd15-tiny/vae/diffusion_pytorch_model.safetensors"
expect_failure "unknown random generator" "--rng" "${run[@]}" --rng mt
expect_failure "zero threads" "--threads" "${run[@]}" --threads 0
expect_failure "unknown prompt syntax" "--prompt-syntax" "${run[@]}" --prompt-syntax webui
expect_failure "emphasis weight that overflows the encoding" "invalid prompt" "${run[@]}" --prompt "(a:1000000000000000000000000000000000000000000000000000000000000)"
expect_failure "latents output in a missing folder" "cannot write" "${run[@]}" --output-latents "$work/unwritable-parent/absent/latents.safetensors"
mkdir -p "$work/a-folder"
expect_failure "stats output that is a folder" "it is a folder" "${run[@]}" --stats-json "$work/a-folder"
expect_failure "stats output in a missing folder" "cannot write" "${run[@]}" --stats-json "$work/unwritable-parent/absent/stats.json"

# Inpainting (Documentation/Inpainting.md): a valid run first, then the flawed ones.
inpaint="$root/Tests/Fixtures/inpainting"
inpaint_run=(--model "$inpaint/sd15-inpaint-tiny" --prompt "an apple" --steps 2 --seed 1 --init-image "$inpaint/init-64.png")
mkdir -p "$work/inpainted"
if ! "$sd" generate "${inpaint_run[@]}" --mask-image "$inpaint/mask-rect-64.png" --mask-blur 2 \
        --output "$work/inpainted/out.png" >/dev/null 2>"$work/stderr" || [[ ! -s "$work/inpainted/out.png" ]]; then
    echo "FAIL inpainting baseline: a valid inpainting run failed: $(cat "$work/stderr")"
    exit 1
fi
echo "ok   inpainting baseline: a valid run with --mask-image and --mask-blur writes the PNG"
echo 'iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAAAAACPAi4CAAAAG0lEQVR42u3BgQAAAADDoPlT3+AEVQEAAAB8AxBAAAG9PLePAAAAAElFTkSuQmCC' \
    | base64 -d >"$work/black-mask.png"
head -c 60 "$inpaint/mask-soft-64.png" >"$work/truncated-mask.png"
expect_failure "mask without init image" "--mask-image needs --init-image" --model "$model" --prompt "a cat" --mask-image "$inpaint/mask-rect-64.png"
expect_failure "mask blur without mask" "--mask-blur needs --mask-image" "${inpaint_run[@]}" --mask-blur 4
expect_failure "mask of the wrong size" "the mask is 64×48 but the init image is 64×64" "${inpaint_run[@]}" --mask-image "$inpaint/mask-rect-64x48.png"
expect_failure "all-black mask" "all black" "${inpaint_run[@]}" --mask-image "$work/black-mask.png"
expect_failure "truncated mask" "invalid PNG" "${inpaint_run[@]}" --mask-image "$work/truncated-mask.png"
expect_failure "missing mask" "mask image not found" "${inpaint_run[@]}" --mask-image "$work/absent.png"
expect_failure "negative mask blur" "invalid maskBlur -1" "${inpaint_run[@]}" --mask-image "$inpaint/mask-rect-64.png" --mask-blur=-1
expect_failure "inpainting model without a mask" "is an inpainting model" "${inpaint_run[@]}"
expect_failure "inpainting model, text to image" "is an inpainting model" --model "$inpaint/sd15-inpaint-tiny" --prompt "a cat" --steps 2

# ControlNet with the built-in Canny preprocessor (Documentation/ControlNet.md): `--control-preprocess canny`
# on a photo must give the same latents as OpenCV's edges of it (cv2.Canny, committed) given by hand, and
# the photo itself, unprocessed, must not.
canny="$root/Tests/Fixtures/canny"
control_run=(--model "$model" --prompt "a cup" --steps 1 --seed 1 --width 64 --height 64 --controlnet "$root/Tests/Fixtures/controlnet/controlnet-a")
mkdir -p "$work/canny"
cases=$((cases + 1))
if ! "$sd" generate "${control_run[@]}" --control-image "$canny/coffee.png" --control-preprocess canny --canny-low 50 --canny-high 150 \
        --output "$work/canny/preprocessed.png" --output-latents "$work/canny/preprocessed.safetensors" >/dev/null 2>"$work/stderr" \
    || ! "$sd" generate "${control_run[@]}" --control-image "$canny/coffee-50-150.png" \
        --output "$work/canny/by-hand.png" --output-latents "$work/canny/by-hand.safetensors" >/dev/null 2>>"$work/stderr" \
    || ! "$sd" generate "${control_run[@]}" --control-image "$canny/coffee.png" \
        --output "$work/canny/photo.png" --output-latents "$work/canny/photo.safetensors" >/dev/null 2>>"$work/stderr"; then
    report "ControlNet with --control-preprocess canny" "a run failed: $(cat "$work/stderr")"
elif ! cmp -s "$work/canny/preprocessed.safetensors" "$work/canny/by-hand.safetensors"; then
    report "ControlNet with --control-preprocess canny" "latents differ from those of OpenCV's edges given by hand"
elif cmp -s "$work/canny/photo.safetensors" "$work/canny/by-hand.safetensors"; then
    report "ControlNet with --control-preprocess canny" "the unprocessed photo gives the same latents: the check cannot fail"
elif ! grep -qa "Module: canny" "$work/canny/preprocessed.png"; then
    report "ControlNet with --control-preprocess canny" "the PNG parameters do not name the canny module"
else
    echo "ok   ControlNet with --control-preprocess canny: the same latents as cv2.Canny's edges given by hand"
fi
expect_failure "unknown control preprocessor" "--control-preprocess must be canny or none" "${control_run[@]}" --control-image "$canny/coffee.png" --control-preprocess sobel
expect_failure "negative Canny threshold" "invalid cannyLowThreshold -1" "${control_run[@]}" --control-image "$canny/coffee.png" --control-preprocess canny --canny-low=-1
expect_failure "Canny threshold without the preprocessor" "need --control-preprocess canny" "${control_run[@]}" --control-image "$canny/coffee.png" --canny-high 120
expect_failure "more preprocessors than ControlNets" "--control-preprocess is given 2 times for 1 ControlNets" "${control_run[@]}" --control-image "$canny/coffee.png" --control-preprocess canny --control-preprocess none

# LoRA and embedding files that must not apply.
adapters="$root/Tests/Fixtures/lora/adapters"
printf '\x80\x02}q\x00.' > "$work/lora.pt"
expect_failure "LoRA for another architecture" "does not fit layer" "${run[@]}" --lora "$adapters/sdxl-shaped.safetensors"
expect_failure "pickle LoRA" "never unpickled" "${run[@]}" --lora "$work/lora.pt:0.5"
expect_failure "missing LoRA" "not found" "${run[@]}" --lora "$work/none.safetensors"
expect_failure "LoRA file that is a model" "not a LoRA key" "${run[@]}" --lora "$model/vae/diffusion_pytorch_model.safetensors"
expect_failure "prompt LoRA tag missing from --lora-dir" "no $adapters/absent.safetensors in the --lora-dir folder" "${run[@]}" --prompt "a cat <lora:absent:0.8>" --lora-dir "$adapters"
expect_failure "prompt LoRA tag with separate weights" "separate text-encoder and UNet weights are not supported" "${run[@]}" --prompt "a cat <lora:kohya:0.5:1>" --lora-dir "$adapters"
expect_failure "model file used as an embedding" "not a textual-inversion embedding" "${run[@]}" --embedding "$root/Tests/Fixtures/pipeline/sd15-tiny/unet/diffusion_pytorch_model.safetensors"

# The PNG itself into a missing folder: nothing may appear anywhere.
cases=$((cases + 1))
"$sd" generate "${run[@]}" --output "$work/unwritable-parent/absent/out.png" >/dev/null 2>"$work/stderr"
status=$?
if [[ $status -eq 0 || $status -ge 128 ]] || [[ $(grep -c '^Error: ' "$work/stderr") -ne 1 ]] || [[ -n "$(ls -A "$work/unwritable-parent")" ]]; then
    report "PNG output in a missing folder" "exit $status, stderr: $(cat "$work/stderr")"
else
    echo "ok   PNG output in a missing folder: exit $status; $(grep '^Error: ' "$work/stderr" | cut -c1-150)"
fi

echo "$((cases - failures)) of $cases cases passed"
[[ $failures -eq 0 ]]
