"""Building the sidecar for ``serve`` and ``up``: its start-up errors and their exit codes.

Written once, so both commands report a bad file the same way. Imported only by the
commands that start a sidecar (it pulls in the whole sidecar).
"""

from __future__ import annotations

import logging
from pathlib import Path

from monitor.artifacts.probe_format import ProbeError
from monitor.cli.exit_codes import CommandError, ExitCode
from monitor.sidecar.alerts.compile import RuleError
from monitor.sidecar.allocator import fix_malloc_thresholds
from monitor.sidecar.app import Sidecar
from monitor.sidecar.blas import limit_blas_threads
from monitor.sidecar.config import ConfigError, SidecarConfig, load_config
from monitor.sidecar.scoring.encoder import EncoderError
from monitor.sidecar.traces.sqlite import StoreError
from monitor.sidecar.traces.token_text import TokenizerError

log = logging.getLogger("llm_monitor.run")

ARTIFACT_ERRORS: tuple[type[Exception], ...] = (ProbeError, EncoderError)
CONFIG_ERRORS: tuple[type[Exception], ...] = (ConfigError, RuleError, StoreError, TokenizerError)
STARTUP_ERRORS = ARTIFACT_ERRORS + CONFIG_ERRORS
"""What building a sidecar raises for a bad file; anything else is a bug."""


def startup_exit_code(exc: Exception) -> ExitCode:
    """ARTIFACTS for probes and the encoder, CONFIG for the rest of the start-up errors."""
    return ExitCode.ARTIFACTS if isinstance(exc, ARTIFACT_ERRORS) else ExitCode.CONFIG


def load_sidecar_config(path: Path | None) -> SidecarConfig:
    """monitor.yaml (with ``LLM_MONITOR_*`` overrides); CONFIG exit code when invalid."""
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CommandError(f"invalid configuration: {exc}", ExitCode.CONFIG) from None


def build_sidecar(
    config: SidecarConfig, config_path: Path | None = None, *, default_rules: bool = False
) -> Sidecar | ExitCode:
    """The sidecar (not started), or the exit code of why it cannot be built (logged).
    Limits the process's BLAS to one thread (:mod:`monitor.sidecar.blas`) and fixes its
    malloc thresholds (:mod:`monitor.sidecar.allocator`) first."""
    limit_blas_threads()
    fix_malloc_thresholds()
    try:
        return Sidecar(config, config_path=config_path, default_rules=default_rules)
    except STARTUP_ERRORS as exc:
        code = startup_exit_code(exc)
        if code == ExitCode.ARTIFACTS:
            log.error("cannot load probes or the concept encoder: %s", exc)
        else:
            log.error("invalid configuration: %s", exc)
        return code
