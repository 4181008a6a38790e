#!/usr/bin/env bash
# Builds txf and runs its whole test suite (unit tests, gradient checks, multi-rank tests that
# spawn mpirun, and the README's commands, run with this debug build: Tests/TxfReadmeTests).
# Tests that need all-MiniLM-L6-v2's vocab fetch it first; tests that need SST-2 look in
# $TXF_SST2_DIR or ../shared/datasets/sst2 and skip with a message when absent.
#   launch/test.sh [extra swift test arguments, e.g. --filter SamplerTests]
set -euo pipefail
cd "$(dirname "$0")/.."

launch/fetch-minilm.sh >/dev/null || echo "test: could not fetch MiniLM; tests that need its vocab will skip" >&2
swift build --build-tests
swift test --skip-build "$@"
