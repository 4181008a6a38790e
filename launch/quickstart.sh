#!/usr/bin/env bash
# The main job, end to end: install dependencies, build, fetch all-MiniLM-L6-v2, import it,
# prepare SST-2-style data, LoRA fine-tune it on 4 MPI ranks for a few minutes, evaluate on the
# dev set, and predict two sentences.
#
#   launch/quickstart.sh [DATA_DIR]
#
# DATA_DIR holds train.tsv and dev.tsv (GLUE SST-2 layout: header `sentence<TAB>label`); default:
# the project's own sample in datasets/sample. Everything is written under runs/quickstart/.
# Environment: RANKS (default 4), STEPS (optimizer steps, default 120), TXF_MINILM_DIR (model cache).
set -euo pipefail
cd "$(dirname "$0")/.."

data=${1:-datasets/sample}
ranks=${RANKS:-4}
steps=${STEPS:-120}
work=runs/quickstart
for f in train.tsv dev.tsv; do
    [ -f "$data/$f" ] || { echo "quickstart: $data/$f not found (give a directory with train.tsv and dev.tsv)" >&2; exit 1; }
done

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
launch/install-deps.sh

step "build (release)"
swift build -c release 2>&1 | grep -E "error|warning:|Compiling txf|Build complete" || true
bin=$(swift build -c release --show-bin-path)
[ -x "$bin/txf-train" ] || { echo "quickstart: build failed" >&2; exit 1; }

step "model: all-MiniLM-L6-v2"
minilm=$(launch/fetch-minilm.sh)
mkdir -p "$work"
"$bin/txf" import-hf --model-dir "$minilm" --output "$work/base.h5" --num-labels 2 --seed 42

step "data: $data"
for split in train dev; do
    "$bin/txf" prepare --input "$data/$split.tsv" --vocab "$minilm/vocab.txt" \
        --output "$work/$split.h5" --max-length 66
done
"$bin/txf" inspect "$work/train.h5" --rows 2

step "LoRA fine-tuning: $ranks ranks, $steps steps"
rm -rf "$work/lora"
launch/txf-mpirun -n "$ranks" "$bin/txf-train" --config launch/configs/sst2-minilm-lora.json \
    --init "$work/base.h5" --train "$work/train.h5" --eval "$work/dev.h5" --out "$work/lora" \
    --max-steps "$steps" --log-every 10 --eval-every 0 --save-every 0

step "evaluate on $data/dev.tsv"
"$bin/txf" evaluate --model "$work/lora/final.h5" --data "$work/dev.h5"

step "predict"
"$bin/txf" predict --model "$work/lora/final.h5" \
    "a gorgeous, witty, heartfelt film that never loses its nerve" \
    "a tedious, joyless slog that wastes a fine cast"
