# syntax=docker/dockerfile:1
# `organa serve gateway`: the public API (port 8080) and the web viewer. Carries models/ (planning reads the
# catalog and each model's plans.json at upload). Build organa-base first (deploy/build-images.sh).
ARG ORGANA_BASE=organa-base:latest
FROM ${ORGANA_BASE}
COPY --chown=10001:10001 models ./models
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/ready"]
CMD ["serve", "gateway", "--host", "0.0.0.0", "--port", "8080", "--catalog", "models/catalog.json", \
     "--image-url", "http://image:8081", "--post-url", "http://post:8082", "--mesh-url", "http://mesh:8083"]
