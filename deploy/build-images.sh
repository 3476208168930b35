#!/usr/bin/env bash
# Build the Organa images: organa-base (compiles organa once), then organa-{gateway,image,post,mesh}:TAG from
# deploy/docker/. Usage: deploy/build-images.sh [TAG] (default latest); extra `docker build` options in
# $DOCKER_BUILD_OPTIONS (e.g. --build-arg SWIFT_IMAGE=swift:6.3-bookworm).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tag="${1:-latest}"
# shellcheck disable=SC2086
docker build ${DOCKER_BUILD_OPTIONS:-} -f deploy/docker/base.Dockerfile -t "organa-base:$tag" .
for service in gateway image post mesh; do
  # shellcheck disable=SC2086
  docker build ${DOCKER_BUILD_OPTIONS:-} --build-arg "ORGANA_BASE=organa-base:$tag" \
    -f "deploy/docker/$service.Dockerfile" -t "organa-$service:$tag" .
done
