"""What loading with transformers needs here: no hub access, and the dtype keyword."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Iterator


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """Make sure nothing below reaches a model hub."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(dict.fromkeys(keys, "1"))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dtype_kwarg() -> str:
    """``dtype`` for transformers >= 4.56, ``torch_dtype`` before."""
    from packaging.version import Version

    version = Version(importlib.metadata.version("transformers"))
    return "dtype" if version >= Version("4.56") else "torch_dtype"
