#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and under ThreadSanitizer.
#
#   Tests/Scripts/sanitizers.sh [address|thread ...]     (default: both)
#
# Each sanitizer builds in its own scratch folder (.build-asan, .build-tsan: a sanitized build
# cannot share objects with the normal one) and prints its wall time. Exits non-zero if a build or a
# test fails or a sanitizer reports an error (a report makes the test process exit non-zero).
#
# OpenBLAS (a system library, opened at run time) is not instrumented; it runs with its usual
# threads, and TSan reports nothing about it or the SDK (no suppressions are needed). LeakSanitizer
# suppressions for leaks inside Foundation and XCTest, each with its reason, are in
# Tests/Scripts/lsan.supp.
set -uo pipefail
cd "$(dirname "$0")/../.."

sanitizers=("$@")
[[ ${#sanitizers[@]} -eq 0 ]] && sanitizers=(address thread)

status=0
for sanitizer in "${sanitizers[@]}"; do
    case "$sanitizer" in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *) echo "unknown sanitizer $sanitizer (address or thread)" >&2; exit 2 ;;
    esac
    log="$scratch/sanitizer-test.log"
    mkdir -p "$scratch"
    start=$(date +%s)
    (
        # Swift's crash backtracer and the sanitizers' own reports get in each other's way.
        export SWIFT_BACKTRACE=enable=no
        export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
        export LSAN_OPTIONS="suppressions=$PWD/Tests/Scripts/lsan.supp:print_suppressions=0"
        export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1"
        swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" &&
            swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch"
    ) >"$log" 2>&1
    result=$?
    seconds=$(( $(date +%s) - start ))
    reports=$(grep -c -E "^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|Leak)Sanitizer)" "$log" || true)
    summary=$(grep -E "Test run with .* (passed|failed)" "$log" | tail -1)
    if [[ $result -ne 0 || $reports -gt 0 ]]; then
        status=1
        echo "$sanitizer: FAILED after ${seconds}s (exit $result, $reports sanitizer report lines; log: $log)"
        grep -E -A12 "^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer)" "$log" | head -60
    else
        echo "$sanitizer: passed in ${seconds}s (build and tests) — ${summary:-no summary}"
    fi
done
exit $status
