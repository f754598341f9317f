"""Session fixtures: the default model, one vLLM server with the plugin, a sidecar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import model
from monitor.bench.overhead import synthetic_probes
from tests.integration.stack import LAYER, SERVED_NAME, Stack, free_port

D_MODEL = 576


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The prepared default model (prepared now if needed; no hub access)."""
    return model.prepare(model.ModelSettings(), check=True)


@pytest.fixture(scope="session")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three probes with fixed random directions: the scoring path is what is tested."""
    out = tmp_path_factory.mktemp("probes")
    synthetic_probes(out, layer=LAYER, d_model=D_MODEL, model_name=SERVED_NAME, seed=7)
    return out


@pytest.fixture(scope="session")
def stack(
    model_dir: Path, probe_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """vLLM (compiled mode, plugin on) started once, shipping to a fixed sidecar port.

    No sidecar is running when this fixture returns: tests start the kind they need.
    """
    stack = Stack(
        model_dir=model_dir,
        workdir=tmp_path_factory.mktemp("stack"),
        api_port=free_port(),
        grpc_port=free_port(),
        probe_dir=probe_dir,
    )
    try:
        stack.start_vllm(
            extra_env={
                "LLM_MONITOR_PLUGIN_BUFFER_BATCHES": "32",
                # test_request_ids.py opts a request out (off by default)
                "LLM_MONITOR_PLUGIN_ALLOW_OPT_OUT": "1",
            }
        )
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="session")
def reference(model_dir: Path):  # type: ignore[no-untyped-def]
    """The same model in transformers (fp32): independent hidden states."""
    from tests.integration.reference import Reference

    return Reference(model_dir, LAYER)
