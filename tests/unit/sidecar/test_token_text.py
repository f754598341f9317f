from __future__ import annotations

from pathlib import Path

import pytest

from monitor.sidecar.traces.token_text import TokenizerError, tokenizer_decoder


@pytest.fixture
def tokenizer_dir(tmp_path: Path) -> Path:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel

    vocab = {"[UNK]": 0, "hello": 1, "world": 2}
    Tokenizer(WordLevel(vocab, unk_token="[UNK]")).save(str(tmp_path / "tokenizer.json"))
    return tmp_path


def test_decodes_each_token_from_a_model_directory(tokenizer_dir: Path) -> None:
    decode = tokenizer_decoder(tokenizer_dir)
    assert decode([1, 2, 1]) == ["hello", "world", "hello"]


def test_accepts_the_file_itself(tokenizer_dir: Path) -> None:
    assert tokenizer_decoder(tokenizer_dir / "tokenizer.json")([2]) == ["world"]


def test_missing_or_broken_tokenizer_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError, match=r"no tokenizer\.json found"):
        tokenizer_decoder(tmp_path)
    broken = tmp_path / "tokenizer.json"
    broken.write_text("{not json")
    with pytest.raises(TokenizerError, match="cannot load tokenizer"):
        tokenizer_decoder(broken)


def test_trace_store_keeps_text_when_configured(tokenizer_dir: Path, tmp_path: Path) -> None:
    import numpy as np
    from prometheus_client import CollectorRegistry

    from monitor.sidecar.metrics import SidecarMetrics
    from monitor.sidecar.records import Firing
    from monitor.sidecar.scoring.sinks import RequestTokens
    from monitor.sidecar.storage_config import StorageConfig
    from monitor.sidecar.traces.factory import build_trace_store
    from monitor.sidecar.traces.writer import TraceUpdate

    registry = CollectorRegistry()
    storage = StorageConfig(
        path=tmp_path / "t.sqlite",
        keep_token_text=True,
        tokenizer_path=tokenizer_dir,
        write_queue_size=1,
    )
    store = build_trace_store(storage, SidecarMetrics(registry), "m")
    assert store is not None
    tokens = RequestTokens(
        model_name="m",
        request_id="r",
        layer=0,
        positions=np.arange(2, dtype=np.int64),
        token_ids=np.array([1, 2], dtype=np.int64),
        scores={"deception": np.array([0.1, 0.9], dtype=np.float32)},
        aggregates={},
        thresholds={},
    )
    alert = Firing(
        alert_id="a",
        request_id="",
        model_name="",
        concept="deception",
        rule="",
        severity="info",
        score=0.0,
        threshold=0.0,
        position=0,
        fired_at=0.0,
    )
    update = TraceUpdate("m", "r", 0.0, 0.0, tokens=[tokens], alerts=[alert])
    store.write_now([update])
    trace = store.get_trace("r")
    assert trace is not None and [t.text for t in trace.tokens] == ["hello", "world"]
    # not started: the one-slot queue fills and the next write is dropped and counted
    assert store.submit(update) and not store.submit(update)
    dropped = registry.get_sample_value(
        "llm_monitor_trace_writes_dropped_total", {"model_name": "m", "reason": "queue_full"}
    )
    assert dropped == 1


def test_no_store_without_a_path() -> None:
    from prometheus_client import CollectorRegistry

    from monitor.sidecar.metrics import SidecarMetrics
    from monitor.sidecar.storage_config import StorageConfig
    from monitor.sidecar.traces.factory import build_trace_store

    assert build_trace_store(StorageConfig(), SidecarMetrics(CollectorRegistry())) is None
