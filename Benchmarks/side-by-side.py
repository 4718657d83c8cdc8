#!/usr/bin/env python3
"""Runs the SDK's PipelineBenchmark and diffusers' equivalent (reference/pipeline.py) on the same work in the
same run, item by item, alternating which side goes first, with the same thread count, and prints our time ÷
theirs and our peak memory ÷ theirs for each item.

Each item runs in a fresh process on each side, so peak memory is that of a process doing only that item
(models included), comparable between the two. The driver itself needs only Python 3; the diffusers side needs
`pip install torch diffusers transformers` (this project's reference environment is /opt/sdref).

Usage: Benchmarks/side-by-side.py [--items a,b,…] [--rounds N] [--runs N] [--generation-runs N] [--steps N]
                                  [--threads N] [--python PATH] [--model-folder PATH] [--no-build]
  --items            default: text-encode,unet-512,unet-256,vae-512,vae-256,generate-512,generate-256
                     (and load when --model-folder is given)
  --rounds           times each side runs each item (default 1); the runs of all rounds are pooled
  --runs             timed runs per process for the short items (default 3; text-encode takes at least 5)
  --generation-runs  full generations per process (default 1: a 512² generation takes minutes)
Raw output goes to Benchmarks/results/<date-time>/ (not committed).
"""
import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_ITEMS = ["text-encode", "unet-512", "unet-256", "vae-512", "vae-256", "generate-512", "generate-256"]


def run(command, log_path):
    """Runs a benchmark process, saves its output and returns its RESULT objects by item."""
    print("  $ " + " ".join(command), flush=True)
    completed = subprocess.run(command, capture_output=True, text=True)
    log_path.write_text(completed.stdout + "\n--- stderr ---\n" + completed.stderr)
    if completed.returncode != 0:
        sys.exit(f"failed ({completed.returncode}); see {log_path}\n{completed.stderr[-2000:]}")
    results = {}
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            results[result["item"]] = result
    return results


def pooled(results):
    runs = [t for result in results for t in result["runs"]]
    median = statistics.median(runs)
    return {
        "runs": runs, "median": median, "spread": (max(runs) - min(runs)) / median if len(runs) > 1 else 0.0,
        "peak": max(result["peak_rss_mib"] for result in results),
        "gemm_share": statistics.median(r.get("gemm_share", 0) for r in results),
        "gemm_gflops": statistics.median(r.get("gemm_gflops", 0) for r in results),
        "details": results[-1].get("details", {}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generation-runs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--python", default=os.environ.get("PYTHON", "/opt/sdref/bin/python"))
    parser.add_argument("--model-folder")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    items = args.items.split(",") if args.items else DEFAULT_ITEMS + (["load"] if args.model_folder else [])

    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--package-path", str(HERE), "--product", "PipelineBenchmark"],
                       check=True)
    binary = subprocess.run(["swift", "build", "-c", "release", "--package-path", str(HERE), "--show-bin-path"],
                            check=True, capture_output=True, text=True).stdout.strip() + "/PipelineBenchmark"
    results_dir = HERE / "results" / datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    results_dir.mkdir(parents=True, exist_ok=True)
    common = ["--runs", str(args.runs), "--generation-runs", str(args.generation_runs), "--steps", str(args.steps),
              "--threads", str(args.threads)]
    ours_command = [binary] + common
    theirs_command = [args.python, str(HERE / "reference" / "pipeline.py")] + common

    collected = {item: {"ours": [], "theirs": []} for item in items}
    for round_index in range(args.rounds):
        for item_index, item in enumerate(items):
            # Alternate who goes first, so slow drifts of the shared machine's load hit both sides.
            order = ["ours", "theirs"] if (round_index + item_index) % 2 == 0 else ["theirs", "ours"]
            for side in order:
                command = (ours_command if side == "ours" else theirs_command) + ["--items", item]
                if item == "load":
                    # Only for load: on the Swift side --model-folder would build every item from the folder.
                    command += ["--model-folder", args.model_folder]
                result = run(command, results_dir / f"{item}-{side}-{round_index + 1}.txt")[item]
                collected[item][side].append(result)
                print(f"{item} ({side}): median {result['median']:.3f} s, peak {result['peak_rss_mib']:.0f} MiB", flush=True)

    lines = [
        f"Side by side, {args.threads} threads, {args.rounds} round(s); ours: PipelineBenchmark (random weights kept in "
        f"fp16, computed in fp32), theirs: diffusers (random weights, fp32). Medians of all runs; spread = (max − min) / median.",
        "",
        "| item | ours (s) | spread | diffusers (s) | spread | ours ÷ diffusers | peak ours (MiB) | peak diffusers (MiB) | memory ratio | GEMM share, GFLOPS (ours) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary = {}
    for item in items:
        ours, theirs = pooled(collected[item]["ours"]), pooled(collected[item]["theirs"])
        summary[item] = {"ours": ours, "theirs": theirs}
        gemm = f"{100 * ours['gemm_share']:.0f} %, {ours['gemm_gflops']:.0f}" if ours["gemm_gflops"] else "–"
        lines.append(
            f"| {item} | {ours['median']:.3f} | {100 * ours['spread']:.0f} % | {theirs['median']:.3f} | "
            f"{100 * theirs['spread']:.0f} % | **{ours['median'] / theirs['median']:.2f}** | {ours['peak']:.0f} | "
            f"{theirs['peak']:.0f} | {ours['peak'] / theirs['peak']:.2f} | {gemm} |")
        for key in ("step_seconds_median", "decode_seconds", "text_encode_seconds", "b_median", "controlnet_median",
                    "added_paired_median", "a_cpu_median", "b_cpu_median", "controlnet_cpu_median"):
            if key in ours["details"] and key in theirs["details"]:
                o, t = ours["details"][key], theirs["details"][key]
                lines.append(f"| ↳ {key.replace('_', ' ')} | {o:.3f} | | {t:.3f} | | {o / t:.2f} | | | | |")
    table = "\n".join(lines)
    print("\n" + table)
    (results_dir / "table.md").write_text(table + "\n")
    (results_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\nraw output and the table: {results_dir}")


if __name__ == "__main__":
    main()
