#!/usr/bin/env bash
# Create (or reuse) the Organa reference Python venv (SimpleITK, nibabel, numpy, scipy).
#
# Usage: scripts/setup-reference-python.sh
#   venv location: ${ORGANA_REFERENCE_VENV:-$HOME/.cache/organa/venv-ref}
#   python used to create it: ${PYTHON:-python3}
# The last line of stdout is the venv's python path; everything else goes to stderr.
# Idempotent: a stamp file holding the sha256 of tools/requirements-reference.txt
# makes the already-set-up case fast (no pip call).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$repo_root/tools/requirements-reference.txt"
venv="${ORGANA_REFERENCE_VENV:-$HOME/.cache/organa/venv-ref}"
py="$venv/bin/python"
stamp="$venv/.organa-requirements.sha256"

log() { printf '%s\n' "$*" >&2; }

[[ -f "$req" ]] || { log "error: $req not found"; exit 1; }

sha_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
want="$(sha_of "$req")"

# Fast path: stamp matches and the pinned versions are what is actually installed.
installed_matches() {
  [[ -x "$py" ]] || return 1
  "$py" - "$req" <<'PY' >/dev/null 2>&1
import sys, re
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split('#', 1)[0].strip()
    m = re.match(r'^([A-Za-z0-9_.\-]+)==([^\s;]+)$', line)
    if not m:
        continue
    try:
        if version(m.group(1)) != m.group(2):
            ok = False
    except PackageNotFoundError:
        ok = False
sys.exit(0 if ok else 1)
PY
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && installed_matches; then
  log "reference venv up to date: $venv"
  printf '%s\n' "$py"
  exit 0
fi

if [[ ! -x "$py" ]]; then
  log "creating reference venv at $venv"
  mkdir -p "$(dirname "$venv")"
  "${PYTHON:-python3}" -m venv "$venv" >&2
fi

log "installing $(basename "$req") into $venv"
rm -f "$stamp"
"$py" -m pip install --quiet --disable-pip-version-check -r "$req" >&2

if ! installed_matches; then
  log "error: installed packages do not match $req after pip install"
  exit 1
fi
printf '%s\n' "$want" > "$stamp"
log "reference venv ready: $venv"
printf '%s\n' "$py"
