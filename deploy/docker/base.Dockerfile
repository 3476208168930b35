# syntax=docker/dockerfile:1
# The image every Organa service image starts from (tag it organa-base; deploy/build-images.sh does):
#   build    official Swift image: compiles `organa` once (release, Swift runtime linked in statically)
#   runtime  Debian slim with only the shared libraries the binary links (OpenBLAS, libdeflate, zlib, SQLite,
#            libssl/libcrypto, libcurl for Foundation's networking), a non-root user, the binary. This is the
#            final stage, so `docker build -f deploy/docker/base.Dockerfile -t organa-base .` gives it.
# The service Dockerfiles beside this one add their port, health check, files and command (one per service).
# Build context: the repository root (see /.dockerignore).
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
        libdeflate-dev zlib1g-dev libopenblas-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Tests/ is copied only because Package.swift declares its targets (fixtures are left out by .dockerignore).
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --product organa --static-swift-stdlib \
    && install -D -m 0755 .build/release/organa /out/organa

FROM ${DEBIAN_IMAGE} AS runtime
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends \
        libopenblas0 libdeflate0 zlib1g libsqlite3-0 libssl3 libcurl4 libstdc++6 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 organa \
    && useradd --system --uid 10001 --gid 10001 --home-dir /opt/organa --no-create-home organa \
    && mkdir -p /opt/organa /var/lib/organa \
    && chown organa:organa /var/lib/organa
COPY --from=build /out/organa /usr/local/bin/organa
# The object store folder (a volume in compose; in S3 mode the local scratch and read cache, design 0008).
ENV ORGANA_STORE=/var/lib/organa
WORKDIR /opt/organa
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/organa"]
CMD ["--help"]
