#!/opt/venv/bin/python
"""Container health check for both roles of the llm-monitor image.

    llm-monitor-healthcheck [TARGET]

TARGET is an http(s) URL (checked with GET, healthy on 2xx) or a gRPC address, host:port or
unix:/path, checked with the standard grpc.health.v1 service (healthy on SERVING). Without
TARGET, $LLM_MONITOR_HEALTHCHECK is used; without that, the target follows from the command
the container runs (PID 1 and its child):

* ``llm-monitor serve [--config FILE]``: the sidecar's gRPC address, read from the config
  file with the LLM_MONITOR_* overrides (a wildcard host is dialled on 127.0.0.1);
* anything else (``vllm serve ...``): http://127.0.0.1:PORT/health, PORT from ``--port``
  (default 8000).

Exit status 0 when healthy, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT_S = 5.0
DEFAULT_VLLM_PORT = 8000
DEFAULT_SIDECAR_CONFIG = "/etc/llm-monitor/monitor.yaml"
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _container_command() -> list[str]:
    """The command the container runs: PID 1's, or its first child's when PID 1 is tini."""
    command = _cmdline(1)
    if command and Path(command[0]).name.startswith("tini"):
        args = command[1:]
        if "--" in args:
            return args[args.index("--") + 1 :]
        return [arg for arg in args if not arg.startswith("-")]
    return command


def _option(command: list[str], name: str) -> str | None:
    for index, arg in enumerate(command):
        if arg == name and index + 1 < len(command):
            return command[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _is_sidecar(command: list[str]) -> bool:
    names = [Path(arg).name for arg in command[:3]]
    return "llm-monitor" in names and "serve" in command


def _sidecar_target(command: list[str]) -> str:
    from monitor.sidecar.config import load_config, parse_host_port

    config = load_config(Path(_option(command, "--config") or DEFAULT_SIDECAR_CONFIG))
    address = config.grpc_address
    if address.startswith("unix:"):
        return address
    host, port = parse_host_port(address)
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def default_target() -> str:
    """What to check when no target is given."""
    configured = os.environ.get("LLM_MONITOR_HEALTHCHECK", "").strip()
    if configured:
        return configured
    command = _container_command()
    if _is_sidecar(command):
        return _sidecar_target(command)
    port = _option(command, "--port") or str(DEFAULT_VLLM_PORT)
    return f"http://127.0.0.1:{port}/health"


def check_http(url: str) -> str | None:
    """None when ``url`` answers 2xx, else the reason."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url}: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"
    return None if 200 <= status < 300 else f"{url}: HTTP {status}"


def check_grpc(target: str) -> str | None:
    """None when the gRPC health service at ``target`` reports SERVING, else the reason."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(target) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT_S
            )
    except grpc.RpcError as exc:
        return f"{target}: {exc.code().name}: {exc.details()}"
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        return f"{target}: {health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)}"
    return None


def main(argv: list[str]) -> int:
    """Check the target; print the outcome."""
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__)
        return 0 if len(argv) == 2 else 2
    try:
        target = argv[1] if len(argv) == 2 else default_target()
    except Exception as exc:  # a broken config is unhealthy, not a crash
        print(f"unhealthy: cannot tell what to check: {exc}")
        return 1
    if target.startswith(("http://", "https://")):
        problem = check_http(target)
    else:
        problem = check_grpc(target)
    if problem is not None:
        print(f"unhealthy: {problem}")
        return 1
    print(f"healthy: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
