#!/usr/bin/env bash
# Organa's main job on the bundled default, on a fresh machine: installs what the build needs, builds
# the release binary, and runs it on the bundled sample CT.
# Until the segmentation pipeline lands this reads the sample CT once and prints what it holds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-system-deps.sh
swift build -c release --product organa >&2
.build/release/organa info Samples/sample-ct.nii.gz "$@"
