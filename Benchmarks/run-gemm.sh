#!/usr/bin/env bash
# GEMM throughput of the SDK (Tensor.matmul and its conv2d / linear / attention) side by side with a
# C program calling OpenBLAS's cblas_sgemm directly on the same shapes, same thread count, with
# OpenBLAS's SkylakeX kernel. Prints the active kernel and a table of GFLOPS (median and best of the
# samples) and the ratio ours / C of the medians; the bar is a ratio of at least 0.90.
#
# Usage: Benchmarks/run-gemm.sh [ONLY]
#   ONLY      run only the workloads whose name contains this text
# Environment:
#   SAMPLES   timed samples per workload and round (default 5)
#   ROUNDS    times the Swift and C programs alternate per workload (default 2; alternating spreads
#             the machine's background load over both sides)
#   THREADS   OpenBLAS threads for both programs (default: every core)
#   CORETYPE  OPENBLAS_CORETYPE for the C program (default SkylakeX)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
only="${1:-}"
samples="${SAMPLES:-5}"
rounds="${ROUNDS:-2}"
threads="${THREADS:-$(nproc)}"
coretype="${CORETYPE:-SkylakeX}"
out="$here/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"

echo "building (release)..." >&2
swift build -c release --package-path "$here" --product GEMMBenchmark >&2
ours="$(swift build -c release --package-path "$here" --show-bin-path)/GEMMBenchmark"
reference="$out/gemm_reference"
gcc -O2 -std=gnu11 -Wall -o "$reference" "$here/gemm_reference.c" -lopenblas

"$ours" --list > "$out/workloads.txt"
"$ours" --threads "$threads" --workload none | grep '^#' | sed 's/^# /ours: /'
OPENBLAS_CORETYPE="$coretype" OPENBLAS_NUM_THREADS="$threads" "$reference" --threads "$threads" --workload none \
    | sed 's/^# /C reference: /'

: > "$out/ours.tsv"
: > "$out/reference.tsv"
while IFS= read -r workload; do
    [[ -n "$only" && "$workload" != *"$only"* ]] && continue
    echo "running: $workload" >&2
    for ((round = 0; round < rounds; round++)); do
        "$ours" --threads "$threads" --samples "$samples" --workload "$workload" | grep -v '^#' >> "$out/ours.tsv"
        OPENBLAS_CORETYPE="$coretype" OPENBLAS_NUM_THREADS="$threads" \
            "$reference" --threads "$threads" --samples "$samples" --workload "$workload" | grep -v '^#' >> "$out/reference.tsv"
    done
done < "$out/workloads.txt"

# Median and best GFLOPS per workload and side, in the order of workloads.txt.
summarise() {
    sort -t$'\t' -k1,1 -k3,3g "$1" | awk -F'\t' '
        function flush() {
            if (name == "") return
            median = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
            printf "%s\t%.1f\t%.1f\n", name, flops / median / 1e9, flops / t[1] / 1e9
        }
        $1 != name { flush(); name = $1; flops = $2; n = 0 }
        { t[++n] = $3 }
        END { flush() }'
}
summarise "$out/ours.tsv" > "$out/ours.summary"
summarise "$out/reference.tsv" > "$out/reference.summary"

{
    printf "%-32s %17s %17s %7s\n" "workload" "ours med/best" "C med/best" "ratio"
    while IFS= read -r workload; do
        a="$(awk -F'\t' -v w="$workload" '$1 == w { print $2 "/" $3 }' "$out/ours.summary")"
        b="$(awk -F'\t' -v w="$workload" '$1 == w { print $2 "/" $3 }' "$out/reference.summary")"
        [[ -z "$a" || -z "$b" ]] && continue
        ratio="$(awk -v x="${a%%/*}" -v y="${b%%/*}" 'BEGIN { printf "%.2f", x / y }')"
        flag="$(awk -v r="$ratio" 'BEGIN { print (r < 0.90) ? "  < 0.90" : "" }')"
        printf "%-32s %17s %17s %7s%s\n" "$workload" "$a" "$b" "$ratio" "$flag"
    done < "$out/workloads.txt"
} | tee "$out/table.txt"
echo "(GFLOPS; samples in $out)"
