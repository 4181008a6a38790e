#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs each for a bounded time.
#
#   launch/fuzz.sh [--seconds N] [--out DIR] [TARGET…]
#
# TARGET: tsv csv jsonl tokenizer vocab safetensors dataset model (default: all, one after
# another). Each runs N seconds (default 60) in libFuzzer's fork mode, which goes on after a
# crash, out-of-memory or timeout and saves each input that caused one. Inputs run under
# -rss_limit_mb / -malloc_limit_mb 2048 and -timeout 10 s per input. The seed corpus
# (Fuzz/corpus/TARGET) is read, never written: new inputs go to DIR/corpus/TARGET and
# crashing ones to DIR/crashes/TARGET (DIR default /tmp/txf-fuzz, outside the repository).
# Minimise a crash with: .../fuzz-TARGET -minimize_crash=1 -runs=10000 CRASH_FILE
# A found crash belongs in Fuzz/crashes-found/TARGET, which the replay tests run.
# Not part of CI: the instrumented build alone takes minutes.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
all_targets=(tsv csv jsonl tokenizer vocab safetensors dataset model)
seconds=60
out=/tmp/txf-fuzz
targets=()
while (($#)); do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 64 ;;
        *)
            if [[ " ${all_targets[*]} " != *" $1 "* ]]; then
                echo "fuzz.sh: unknown target $1 (targets: ${all_targets[*]})" >&2; exit 64
            fi
            targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

# --sanitize=fuzzer makes SwiftPM link libFuzzer's main; the sanitizers themselves go in one
# -sanitize list, since swiftc keeps only the last -sanitize flag (SwiftPM's --sanitize=fuzzer
# --sanitize=address would pass two, and the code would lose its coverage instrumentation).
build=(swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address --package-path "$root/Fuzz")
"${build[@]}" >&2
bin=$("${build[@]}" --show-bin-path)

limit_mb=2048
# Leaks inside the toolchain's own libraries are not findings (the file says which).
export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
printf '%-12s %8s %12s %8s %6s %9s\n' target seconds inputs crashes ooms timeouts
for target in "${targets[@]}"; do
    corpus="$out/corpus/$target" crash_dir="$out/crashes/$target"
    mkdir -p "$corpus" "$crash_dir"
    log="$out/$target.log"
    start=$(date +%s)
    # Fork mode (one worker) survives crashes; -ignore_* keep it going to the time limit.
    "$bin/fuzz-$target" "$corpus" "$root/Fuzz/corpus/$target" \
        -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=$limit_mb -malloc_limit_mb=$limit_mb \
        -artifact_prefix="$crash_dir/" -print_final_stats=1 >"$log" 2>&1 || true
    elapsed=$(($(date +%s) - start))
    # Fork mode's status lines read "#RUNS: cov: … exec/s: … oom/timeout/crash: O/T/C time: …".
    last=$(grep -E '^#[0-9]+: ' "$log" | tail -1 || true)
    inputs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    read -r ooms timeouts crashes < <(sed -E 's@.*oom/timeout/crash: ([0-9]+)/([0-9]+)/([0-9]+).*@\1 \2 \3@' <<<"$last")
    printf '%-12s %8s %12s %8s %6s %9s\n' "$target" "$elapsed" "${inputs:-?}" "${crashes:-?}" "${ooms:-?}" "${timeouts:-?}"
done
echo "logs, new corpus and crash inputs: $out" >&2
