# syntax=docker/dockerfile:1
# `organa serve post` (port 8082): post-processing of the label maps. Build organa-base first.
ARG ORGANA_BASE=organa-base:latest
FROM ${ORGANA_BASE}
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8082/ready"]
CMD ["serve", "post", "--host", "0.0.0.0", "--port", "8082"]
