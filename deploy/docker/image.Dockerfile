# syntax=docker/dockerfile:1
# `organa serve image` (port 8081): the bundled nnU-Net models and their catalog, loaded once at start-up
# (/health answers at once, /ready once the weights are in memory). Build organa-base first.
ARG ORGANA_BASE=organa-base:latest
FROM ${ORGANA_BASE}
COPY --chown=10001:10001 models ./models
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/ready"]
CMD ["serve", "image", "--host", "0.0.0.0", "--port", "8081", "--catalog", "models/catalog.json", \
     "--memory-budget", "4"]
