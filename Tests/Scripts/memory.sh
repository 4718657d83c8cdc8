#!/usr/bin/env bash
# Runs the resident-memory test alone in its process, where its bound is tight (8 MB of growth
# between generations 3–7 and 16–20 of twenty; see Tests/PipelineTests/ResidentMemoryTests.swift).
# Inside the whole suite the same test runs with a loose bound, since other tests share the process.
#
#   Tests/Scripts/memory.sh        (about 15 s after the debug build)
set -euo pipefail
cd "$(dirname "$0")/../.."
SD_ISOLATED_MEMORY_TEST=1 swift test --filter ResidentMemoryTests
