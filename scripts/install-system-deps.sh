#!/usr/bin/env bash
# Install the Debian packages Organa builds against (libdeflate, zlib, OpenBLAS, SQLite, libcrypto, pkg-config),
# if missing; with --browser also Chromium, for the viewer's browser test (tools/viewer/viewer_check.py).
# Idempotent and quiet when everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
pkg-config --exists libdeflate 2>/dev/null || missing+=(libdeflate-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${1:-}" = "--browser" ]; then command -v chromium >/dev/null 2>&1 || missing+=(chromium); fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}" >&2
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq >&2
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >&2
