#!/usr/bin/env python3
"""Where the time of a benchmark item goes, by kind of work, from a `perf` sampling profile.

Runs `PipelineBenchmark --items ITEM` under `perf record` (CPU samples of every thread, OpenBLAS's
included), then sorts the samples by function into the kinds of work of a diffusion model: the GEMM
kernel, OpenBLAS's packing and thread hand-offs, Winograd transforms, attention's score kernel and
softmax, widening 16-bit weights, normalisation, activations, element-wise arithmetic, memory copies
and fills, the kernel (page faults, scheduling), and the rest. Building the random weights is counted apart and
left out of the shares, so they describe the item's runs alone.

Usage: Benchmarks/profile.py [--item unet-512] [--runs 2] [--top 25] [--no-build]
Needs Linux `perf` (apt-get install linux-perf) and permission to sample (perf_event_paranoid <= 2,
or root). The raw profile is kept under Benchmarks/results/<date-time>-profile-<item>/.
"""
import argparse
import datetime
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent

# (kind, pattern on "dso symbol"); the first match wins. Swift symbols are matched mangled: the
# type and function names appear in them as length-prefixed words.
KINDS = [
    ("setup: building random weights", r"RandomWeightSource|loadStored|TorchGenerator|MersenneTwister|BoxMuller"),
    ("GEMM kernel", r"libopenblas.*\bsgemm_kernel"),
    ("GEMM packing (OpenBLAS copies)", r"libopenblas.*(copy|sgemm_beta)"),
    ("OpenBLAS other (threads, small kernels)", r"libopenblas"),
    ("Winograd transforms", r"Winograd|winograd"),
    ("attention scores (own kernel)", r"sd_attention_scores"),
    ("attention softmax (exp, max)", r"exp_shifted|sd_maximum|AttentionLayout|expNonPositive"),
    ("widening fp16 weights", r"widen_|narrow_|HalfWidth|WideningBuffers"),
    ("normalisation (group, layer)", r"groupNorm|layerNorm|moments|Normalization"),
    ("activations (SiLU, GELU, GEGLU)", r"gatedGELU|silu|gelu|GELU|SiLU|VectorMath"),
    ("im2col", r"im2col"),
    ("element-wise and layout", r"broadcasting|arithmetic|TokenLayout|transpose|permut|concatenat|upsample|scaledSum|addingChannelBias"),
    ("memory fill and copy (libc)", r"libc.*(memset|memmove|memcpy)"),
    ("kernel: page faults", r"kernel.*(page_fault|clear_page|memcg|handle_mm|do_anonymous|alloc_pages|__do_fault|filemap)"),
    ("kernel: scheduling and other", r"kernel|sched_yield"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--item", default="unet-512")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--top", type=int, default=25, help="also list this many hottest functions")
    parser.add_argument("--no-build", action="store_true")
    options = parser.parse_args()

    if not options.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--package-path", str(HERE), "--product", "PipelineBenchmark"],
                       check=True, stdout=subprocess.DEVNULL)
    binary = HERE / ".build" / "release" / "PipelineBenchmark"
    out = HERE / "results" / (datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S") + f"-profile-{options.item}")
    out.mkdir(parents=True, exist_ok=True)
    data = out / "perf.data"
    run = subprocess.run(["perf", "record", "-F", "499", "-o", str(data), "--", str(binary), "--items", options.item,
                          "--runs", str(options.runs)], capture_output=True, text=True)
    (out / "benchmark.txt").write_text(run.stdout + run.stderr)
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-2000:])
        return 1
    summary = [line for line in run.stdout.splitlines() if line.startswith(options.item)]
    report = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "dso,symbol", "-g", "none",
                             "--stdio", "--percent-limit", "0.01"], capture_output=True, text=True, check=True).stdout
    (out / "report.txt").write_text(report)

    rows = []  # (percent, dso, symbol)
    for line in report.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*\S)", line)
        if match:
            rows.append((float(match.group(1)), match.group(2), match.group(3)))
    totals: dict[str, float] = {}
    for percent, dso, symbol in rows:
        kind = next((name for name, pattern in KINDS if re.search(pattern, f"{dso} {symbol}")), "other")
        totals[kind] = totals.get(kind, 0.0) + percent
    setup = totals.pop(KINDS[0][0], 0.0)
    measured = sum(totals.values())

    print(f"{options.item}: {summary[0] if summary else ''}")
    print(f"perf samples by kind of work ({setup:.1f} % of samples, spent building the random weights, left out):\n")
    print("| kind of work | share |")
    print("|---|---|")
    for kind, percent in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"| {kind} | {100 * percent / measured:.1f} % |")
    print(f"\nHottest functions (share of all samples; symbols as perf prints them):")
    for percent, dso, symbol in rows[: options.top]:
        print(f"  {percent:5.2f} %  {dso:28s} {symbol[:110]}")
    print(f"\nraw profile: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
