"""Fixtures for the concept-encoder tests: seeded random generators."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seeded_torch() -> None:
    torch.manual_seed(1234)
