#!/usr/bin/env bash
# Organa's main job on the bundled default, on a fresh machine: installs what the build needs, builds the
# release binary, then
#   organa phantom → out/default/phantom/ct.nii.gz (seeded synthetic abdominal CT, with its ground truth)
#   organa models  → which catalog models run on it and why (header only)
#   organa run     → out/default/run/: the CT read once, every selected model (models/catalog.json) run on it
#                    in memory, merged labels.nii.gz, masks/, fat_candidate.nii.gz, post/ (corrections,
#                    perirenal fat), meshes/ (one OBJ per structure), summary.json (volumes, timings, memory).
#                    Mirroring is off here to keep the demonstration short (drop --no-mirroring for nnU-Net's
#                    default).
# Output folder: $1 (default out/default).
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
"$organa" models --ct "$out/phantom/ct.nii.gz"
"$organa" run "$out/phantom/ct.nii.gz" --out "$out/run" --no-mirroring
echo "done: $out/run/labels.nii.gz, masks in $out/run/masks/, meshes in $out/run/meshes/" >&2
