# syntax=docker/dockerfile:1
# `organa serve mesh` (port 8083): surface meshes of the corrected label map. Build organa-base first.
ARG ORGANA_BASE=organa-base:latest
FROM ${ORGANA_BASE}
EXPOSE 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8083/ready"]
CMD ["serve", "mesh", "--host", "0.0.0.0", "--port", "8083"]
