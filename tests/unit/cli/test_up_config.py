"""What ``up`` fills into monitor.yaml's unset fields (``launch.up_sidecar_config``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.artifacts import shipped
from monitor.cli.commands.serve_up import vllm_args
from monitor.launch import default_served_name, up_sidecar_config
from monitor.model import CACHE_ENV, DEFAULT_MODEL_NAME
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.storage_config import StorageConfig


@pytest.fixture(autouse=True)
def _cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))


def test_unset_fields_are_filled_for_the_served_model(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    config = up_sidecar_config(SidecarConfig(), model_dir, "other-model")
    assert config.model_name == "other-model"
    assert config.tokenizer_path == model_dir
    assert config.storage.path == tmp_path / "cache" / "traces.sqlite"
    assert config.probe_dir is None and config.encoder_dir is None  # nothing shipped for it
    assert config.encoder_scope == "flagged"


def test_set_fields_are_kept(tmp_path: Path) -> None:
    (tmp_path / "tok").mkdir()
    config = SidecarConfig(
        model_name="m",
        tokenizer_path=tmp_path / "tok",
        storage=StorageConfig(path=tmp_path / "t.sqlite"),
        encoder_scope="all",
    )
    out = up_sidecar_config(config, tmp_path / "model", "served")
    assert (out.model_name, out.tokenizer_path) == ("m", tmp_path / "tok")
    assert out.encoder_scope == "all"  # set in monitor.yaml: kept, even at the default
    assert out.storage.path == tmp_path / "t.sqlite"


def test_shipped_artifacts_of_the_default_model_are_used(tmp_path: Path) -> None:
    if shipped.shipped_probe_dir(DEFAULT_MODEL_NAME) is None:
        pytest.skip("no probes shipped in this checkout")
    config = up_sidecar_config(SidecarConfig(), tmp_path, DEFAULT_MODEL_NAME)
    assert config.probe_dir == shipped.artifact_dir(DEFAULT_MODEL_NAME)


def test_served_name_and_extra_vllm_arguments() -> None:
    assert default_served_name(None) == DEFAULT_MODEL_NAME
    assert default_served_name(Path("/models/qwen")) == "qwen"
    assert vllm_args(["--", "--max-num-seqs", "4"]) == ["--max-num-seqs", "4"]
    assert vllm_args([]) == []
