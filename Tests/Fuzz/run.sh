#!/usr/bin/env bash
# Runs the libFuzzer targets of this package, each for SECONDS seconds.
#
#   Tests/Fuzz/run.sh SECONDS [target...]     (default: every target)
#
# Builds the package in release mode with AddressSanitizer, and with the SDK's own code (not only
# the fuzz drivers) instrumented for coverage, into Tests/Fuzz/.build-fuzz. Each target starts from
# its committed seeds (Tests/Fuzz/Corpus/<target>) plus what earlier runs found
# (Tests/Fuzz/.build-fuzz/corpus/<target>, not committed). Crashing, hanging (> 10 s) or
# memory-hungry (> 2 GiB) inputs are saved as Tests/Fuzz/.build-fuzz/artifacts/<run>/<target>-crash-…;
# replay one with `Tests/Fuzz/.build-fuzz/release/<target> <file>`.
#
# Prints one line per target (executions, coverage, corpus size) and exits non-zero if any target
# found a crash. Set FUZZ_SKIP_BUILD=1 to reuse the last build; extra libFuzzer flags go in
# FUZZ_FLAGS (for example FUZZ_FLAGS="-jobs=2 -workers=2").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
all_targets=(FuzzSafetensorsHeader FuzzTokenizer FuzzTokenizerFiles FuzzConfigs FuzzPNG FuzzLoRAKeys FuzzPromptSyntax)

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [target...]   targets: ${all_targets[*]}" >&2
    exit 2
fi
seconds="$1"
shift
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $target "* ]] || { echo "unknown target $target (known: ${all_targets[*]})" >&2; exit 2; }
done

scratch="$here/.build-fuzz"
# libFuzzer's archive without main(), in the clang runtime that ships with the Swift toolchain.
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")"
SD_FUZZER_NO_MAIN="$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)"
[[ -n "$SD_FUZZER_NO_MAIN" ]] || { echo "libclang_rt.fuzzer_no_main not found under $toolchain/lib/clang" >&2; exit 1; }
export SD_FUZZER_NO_MAIN
if [[ "${FUZZ_SKIP_BUILD:-0}" != 1 ]]; then
    # -sanitize-coverage instruments every Swift module for libFuzzer (inline 8-bit counters, a PC
    # table and comparison tracing, what -sanitize=fuzzer gives the drivers); C code (the libpng
    # shim) gets the same through clang's fuzzer-no-link. libpng and Foundation themselves are
    # system libraries and stay uninstrumented.
    log="$scratch/build.log"
    mkdir -p "$scratch"
    if ! swift build --package-path "$here" --scratch-path "$scratch" -c release \
        -Xswiftc -sanitize=address \
        -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
        -Xcc -fsanitize=address,fuzzer-no-link >"$log" 2>&1; then
        grep -E "error:" -A3 "$log" >&2 || tail -20 "$log" >&2
        echo "build failed; full log in $log" >&2
        exit 1
    fi
    for target in "${targets[@]}"; do
        [[ -x "$scratch/release/$target" ]] || { echo "build failed: $scratch/release/$target missing" >&2; exit 1; }
    done
fi

dictionary() {
    case "$1" in
        FuzzPNG) echo "$here/Dictionaries/png.dict" ;;
        FuzzTokenizer) echo "$here/Dictionaries/tokenizer.dict" ;;
        *) echo "$here/Dictionaries/json.dict" ;;
    esac
}

export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
# Swift's own crash backtracer and libFuzzer's signal handler get in each other's way.
export SWIFT_BACKTRACE="enable=no"
# Each run keeps its crash inputs in its own folder, so older findings are neither lost nor recounted.
artifacts="$scratch/artifacts/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$artifacts" "$scratch/logs"
failed=()
printf '%-22s %8s %12s %10s %8s %8s  %s\n' target seconds executions exec/s cov corpus result
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    log="$scratch/logs/$target.log"
    mkdir -p "$corpus"
    status=0
    # shellcheck disable=SC2086
    "$scratch/release/$target" "$corpus" "$here/Corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -dict="$(dictionary "$target")" -artifact_prefix="$artifacts/$target-" \
        -print_final_stats=1 ${FUZZ_FLAGS:-} >"$log" 2>&1 || status=$?
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    # -fork mode prints no final stats; its progress lines start with "#<executions>:".
    [[ -z "$executions" ]] && executions=$(grep -o '^#[0-9]*:' "$log" | tail -1 | tr -d '#:' || true)
    rate="?"
    [[ -n "$executions" && "$seconds" -gt 0 ]] && rate=$((executions / seconds))
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
    crashes=$(find "$artifacts" -name "$target-*" -type f | wc -l)
    size=$(find "$corpus" -type f | wc -l)
    result="ok"
    if [[ $status -ne 0 || $crashes -gt 0 ]]; then
        result="CRASH ($crashes input(s) saved, exit $status; see $log)"
        failed+=("$target")
    fi
    printf '%-22s %8s %12s %10s %8s %8s  %s\n' "$target" "$seconds" "$executions" "$rate" "$coverage" "$size" "$result"
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo >&2
    echo "crashes in: ${failed[*]}; inputs saved under $artifacts" >&2
    ls -1 "$artifacts" >&2
    exit 1
fi
