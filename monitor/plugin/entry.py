"""vLLM general-plugin entry point (``vllm.general_plugins``: ``llm_monitor``).

vLLM calls :func:`register` in every process it starts. It does nothing unless
``LLM_MONITOR_PLUGIN_ENABLED`` is set; then it patches the worker class so that
capture is installed right after the model loads, before it is compiled. Errors are
logged, never raised: vLLM keeps serving unmonitored.
"""

from __future__ import annotations

import logging

log = logging.getLogger("vllm.llm_monitor")
_registered = False


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
        from vllm.v1.worker.gpu_worker import Worker

        from monitor.plugin.worker import patch_worker_class

        patch_worker_class(Worker, settings)
        log.info(
            "llm-monitor: plugin enabled (layers %s, sidecar %s)",
            settings.layers or "middle",
            settings.sidecar_address,
        )
    except Exception:
        log.exception("llm-monitor: plugin could not be enabled; vLLM serves unmonitored")
