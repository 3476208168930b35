#!/usr/bin/env bash
# Fail when any Swift file differs from .swift-format (fix with: swift format format --in-place -r Sources Tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.swift' 2>/dev/null || find Sources Tests Benchmarks -name '*.swift')
swift format lint --strict "${files[@]}"
echo "format: ${#files[@]} files clean" >&2
