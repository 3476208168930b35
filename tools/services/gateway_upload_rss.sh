#!/usr/bin/env bash
# Gateway memory while uploads stream: starts `organa serve gateway` alone (its stage services are not needed:
# the upload is refused by planning after it is stored, `pin=kidney-tumor=99`), uploads raw NIfTI files of
# several sizes with curl and prints the gateway's peak RSS (VmHWM) after each.
# Usage: tools/services/gateway_upload_rss.sh [path/to/organa] [sizes in MiB...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BIN=${1:-.build/debug/organa}; shift || true
SIZES=${*:-"16 256 1024"}
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
export ORGANA_INTERNAL_SECRET=bench-secret-0123456789 ORGANA_API_KEYS=bench-key-0123456789 ORGANA_STORE=$WORK/store
"$BIN" serve gateway --port 0 --catalog models/catalog.json --image-url http://127.0.0.1:9 \
  --post-url http://127.0.0.1:9 --mesh-url http://127.0.0.1:9 --max-upload-bytes $((4 << 30)) --log-level warning \
  > "$WORK/out" 2> "$WORK/err" &
PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WORK/out")
hwm() { awk '/VmHWM/ {print $2}' /proc/$PID/status; }
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
echo "gateway idle: VmRSS $(rss) KiB, VmHWM $(hwm) KiB"
for mib in $SIZES; do
  # A valid NIfTI-1 header (int16, 512x512xN, 1x1x1 mm) followed by zeros: a sparse file of the given size.
  python3 - "$WORK/ct.nii" "$mib" <<'PY'
import struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
slices = max(1, (mib << 20) // (512 * 512 * 2))
h = bytearray(352)
struct.pack_into("<i", h, 0, 348)
struct.pack_into("<8h", h, 40, 3, 512, 512, slices, 1, 1, 1, 1)
struct.pack_into("<hh", h, 70, 4, 16)
struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 0, 0, 0, 0)
struct.pack_into("<f", h, 108, 352.0)
struct.pack_into("<f", h, 112, 1.0)
struct.pack_into("<hh", h, 252, 1, 1)
struct.pack_into("<4f", h, 256, 0, 0, 0, 0)
h[344:348] = b"n+1\0"
with open(path, "wb") as f:
    f.write(h)
    f.truncate(352 + slices * 512 * 512 * 2)
PY
  size=$(stat -c %s "$WORK/ct.nii")
  start=$(date +%s.%N)
  code=$(curl -s -o "$WORK/answer" -w '%{http_code}' -H "Authorization: Bearer $ORGANA_API_KEYS" \
    -H 'Content-Type: application/octet-stream' -T "$WORK/ct.nii" -X POST "$URL/v1/jobs?pin=kidney-tumor=99")
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  echo "upload $size bytes: HTTP $code in ${seconds} s; gateway VmRSS $(rss) KiB, VmHWM $(hwm) KiB; $(cat "$WORK/answer" | head -c 120)"
  rm -f "$WORK/ct.nii"
done
