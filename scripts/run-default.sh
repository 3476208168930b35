#!/usr/bin/env bash
# Organa's main job on the bundled default, on a fresh machine: installs what the build needs, builds the
# release binary, then runs the pieces of the job that exist on a phantom CT with the bundled models:
#   organa phantom  → out/default/phantom/ct.nii.gz (seeded synthetic abdominal CT, with its ground truth)
#   organa predict  → out/default/<model>.nii.gz for every bundled model (native nnU-Net; mirroring off here
#                     to keep the demonstration short — drop --no-mirroring for nnU-Net's default)
#   organa mesh     → out/default/meshes/<model>/<structure>.obj (smoothed, decimated OBJ meshes)
# The one-read multi-model job (issue 6) will replace the per-model calls. Output folder: $1 (default out/default).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="${1:-out/default}"
scripts/install-system-deps.sh
swift build -c release --product organa >&2
organa=.build/release/organa
# Debian's OpenBLAS does not recognise newer AVX-512 CPUs and falls back to slow kernels; name the core type
# (only where AVX-512 exists: elsewhere it would be an illegal instruction). docs/design/0002-network-runtime.md
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi

mkdir -p "$out"
"$organa" phantom --out "$out/phantom" --seed 1
"$organa" info "$out/phantom/ct.nii.gz"
for model in models/*/; do
  name=$(basename "$model")
  [ -f "$model/plans.json" ] || continue
  "$organa" predict --model "$model" --input "$out/phantom/ct.nii.gz" --output "$out/$name.nii.gz" --no-mirroring
  names=$(python3 -c 'import json,sys; print(",".join(f"{v}={k}" for k, v in json.load(open(sys.argv[1]))["labels"].items() if v))' "$model/dataset.json")
  "$organa" mesh --labels "$out/$name.nii.gz" --names "$names" --out "$out/meshes/$name" --decimate 0.8
done
echo "done: label maps in $out/, meshes in $out/meshes/" >&2
