"""Fixtures for the sidecar tests."""

from __future__ import annotations

import numpy as np
import pytest
from prometheus_client import CollectorRegistry


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("LLM_MONITOR_"):
            monkeypatch.delenv(key)
