#!/usr/bin/env bash
# Run every Organa check on a fresh machine: system packages, the reference Python tools (SimpleITK,
# nibabel) that parity tests call, format and layer checks, then `swift test`.
# Extra arguments go to `swift test` (e.g. scripts/test.sh --filter NiftiIOTests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-system-deps.sh --browser
ORGANA_REFERENCE_PYTHON="$(scripts/setup-reference-python.sh | tail -n 1)"
export ORGANA_REFERENCE_PYTHON
scripts/check-format.sh
scripts/check-layers.sh
swift test "$@"
