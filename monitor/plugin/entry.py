"""vLLM general-plugin entry point (``vllm.general_plugins``: ``llm_monitor``).

vLLM calls :func:`register` in every process it starts. It does nothing unless
``LLM_MONITOR_PLUGIN_ENABLED`` is set; then it checks the running vLLM against the
supported range and patches the worker class so that capture is installed right after
the model loads, before it is compiled. On a vLLM outside the range it logs one line
and installs nothing, but still has each worker tell the sidecar that capture is down
(unless ``LLM_MONITOR_PLUGIN_ALLOW_UNSUPPORTED_VLLM`` asks it to try anyway). Errors
are logged, never raised: vLLM keeps serving unmonitored.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.plugin.settings import PluginSettings

log = logging.getLogger("vllm.llm_monitor")
_registered = False

#: The environment variable that installs capture on an unsupported vLLM anyway.
ALLOW_UNSUPPORTED_ENV = "LLM_MONITOR_PLUGIN_ALLOW_UNSUPPORTED_VLLM"


def register() -> None:
    """Patch vLLM's worker when the plugin is enabled; safe to call repeatedly."""
    global _registered
    if _registered:
        return
    _registered = True
    try:
        from monitor.plugin.settings import PluginSettings

        settings = PluginSettings()
        if not settings.enabled:
            return
        from monitor.plugin import vllm_compat, vllm_version, worker_patch

        check = vllm_version.check_vllm_version()
        if not check.supported and not settings.allow_unsupported_vllm:
            log.warning(
                "llm-monitor: %s; capture is not installed and is reported down to the "
                "sidecar (set %s=1 to try anyway)",
                check.problem,
                ALLOW_UNSUPPORTED_ENV,
            )
            _report_down(settings, f"{check.problem}; capture not installed")
            return
        if not check.supported:
            log.warning(
                "llm-monitor: %s; trying anyway (%s is set)", check.problem, ALLOW_UNSUPPORTED_ENV
            )
        worker_patch.patch_worker_class(vllm_compat.worker_class(), settings)
        log.info(
            "llm-monitor: plugin enabled (layers %s, sidecar %s)",
            settings.layers or "middle",
            settings.sidecar_address,
        )
    except Exception:
        log.exception("llm-monitor: plugin could not be enabled; vLLM serves unmonitored")


def _report_down(settings: PluginSettings, reason: str) -> None:
    """Have each worker report capture down; quiet on failure (the warning said it all)."""
    try:
        from monitor.plugin import vllm_compat, worker_patch

        worker_patch.report_capture_down(vllm_compat.worker_class(), settings, reason)
    except Exception:
        log.debug("llm-monitor: cannot report capture down", exc_info=True)
