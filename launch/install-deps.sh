#!/usr/bin/env bash
# Installs what txf needs on Debian 12 (idempotent): Open MPI, OpenBLAS, HDF5, oneDNN (dev packages),
# pkg-config, iproute2 (the namespace test cluster), Slurm and munge (the one-machine Slurm test),
# and the Python packages the tests use to check txf against other tools
# (h5py reads our HDF5 files; transformers' BertTokenizer is the tokenizer reference; tensorboard
# reads our event files back).
#   launch/install-deps.sh            as root, or with sudo available
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev libdnnl-dev pkg-config python3-pip iproute2
          slurmctld slurmd slurm-client munge)
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import h5py, transformers, sklearn, tensorboard" 2>/dev/null; then
    echo "install-deps: pip install h5py transformers scikit-learn tensorboard" >&2
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore h5py transformers tokenizers scikit-learn tensorboard >&2 \
        || echo "install-deps: pip install failed; tests that compare against h5py/transformers/scikit-learn/tensorboard will skip" >&2
fi
