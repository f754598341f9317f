"""The concept-encoder directory format: both directions, the version tag, the light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.artifacts.encoder_format import (
    CARD_FILE,
    CONCEPTS_FILE,
    CONFIG_FILE,
    ENCODER_FORMAT,
    ENCODER_VERSION,
    EncoderCard,
    EncoderConfig,
    EncoderError,
    read_card,
    read_card_document,
    read_encoder_config,
    read_labels,
    write_card,
    write_concepts,
    write_encoder_config,
    write_labels,
)

CARD = EncoderCard(model_name="m", layer=15, d_model=8, m=6, k=2, figures={"fve": 0.5})


def test_card_round_trip(tmp_path: Path) -> None:
    path = tmp_path / CARD_FILE
    write_card(path, CARD)
    data = json.loads(path.read_text())
    assert (data["format"], data["version"]) == (ENCODER_FORMAT, ENCODER_VERSION)
    assert read_card(path) == CARD


def test_whole_card_document_round_trip(tmp_path: Path) -> None:
    document = {**CARD.to_document(), "choice": "why", "data": {"tokens": 3}}
    path = tmp_path / CARD_FILE
    write_card(path, document)
    assert read_card_document(path) == document
    assert read_card(path) == CARD


def test_labels_round_trip(tmp_path: Path) -> None:
    path = tmp_path / CONCEPTS_FILE
    concepts = [{"id": i, "label": f"c{i}", "frequency": 0.1 * i} for i in range(CARD.m)]
    write_concepts(path, concepts, model_name="m", layer=15)
    assert read_labels(path, CARD.m) == [f"c{i}" for i in range(CARD.m)]
    assert json.loads(path.read_text())["concepts"] == concepts
    write_labels(path, ["a", "b"], model_name="m", layer=15)
    assert read_labels(path, 2) == ["a", "b"]


def test_encoder_config_round_trip(tmp_path: Path) -> None:
    config = EncoderConfig(d_model=8, m=6, k=2, layer=15, model_name="m")
    write_encoder_config(tmp_path / CONFIG_FILE, config)
    assert read_encoder_config(tmp_path / CONFIG_FILE) == config
    (tmp_path / CONFIG_FILE).write_text(json.dumps({"d_model": 8, "m": 2, "k": 4, "layer": 1}))
    with pytest.raises(EncoderError, match=r"encoder-config\.json: .*model_name"):
        read_encoder_config(tmp_path / CONFIG_FILE)


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ({"version": 2}, r"card\.json: version: unsupported version 2 \(this build reads"),
        ({"version": True}, "version: unsupported version True"),
        ({"format": "llm-monitor-probe"}, "format: expected 'llm-monitor-encoder'"),
    ],
)
def test_version_tag_is_checked_on_read(
    tmp_path: Path, tag: dict[str, object], message: str
) -> None:
    path = tmp_path / CARD_FILE
    path.write_text(json.dumps({**CARD.to_document(), **tag}))
    with pytest.raises(EncoderError, match=message):
        read_card(path)
    concepts = tmp_path / CONCEPTS_FILE
    concepts.write_text(json.dumps({**tag, "concepts": [{"id": 0, "label": "x"}]}))
    with pytest.raises(EncoderError, match=message.replace("card", "concepts")):
        read_labels(concepts, 1)


def test_untagged_files_read_as_version_1(tmp_path: Path) -> None:
    """Directories written before the tag existed (the shipped encoder's) still load."""
    path = tmp_path / CARD_FILE
    path.write_text(json.dumps(CARD.to_document()))
    assert read_card(path) == CARD
    shipped = Path(__file__).resolve().parents[3] / "probes/artifacts/SmolLM2-135M-Instruct/encoder"
    card = read_card(shipped / CARD_FILE)
    assert len(read_labels(shipped / CONCEPTS_FILE, card.m)) == card.m
    assert read_encoder_config(shipped / CONFIG_FILE).layer == card.layer


def test_writers_refuse_what_the_reader_refuses(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match=r"card\.json: k \(7\) is larger than m \(6\)"):
        write_card(tmp_path / CARD_FILE, {**CARD.to_document(), "k": 7})
    with pytest.raises(EncoderError, match="'model_name' must be a non-empty string"):
        write_card(tmp_path / CARD_FILE, {**CARD.to_document(), "model_name": ""})
    with pytest.raises(EncoderError, match=r"concepts\[1\] needs 'id': 1"):
        write_concepts(
            tmp_path / CONCEPTS_FILE,
            [{"id": 0, "label": "a"}, {"id": 2, "label": "b"}],
            model_name="m",
            layer=1,
        )
    assert not (tmp_path / CARD_FILE).exists() and not (tmp_path / CONCEPTS_FILE).exists()


def test_format_module_is_light() -> None:
    code = (
        "import sys, monitor.artifacts.encoder_format;"
        "bad = [m for m in ('numpy', 'onnxruntime', 'torch', 'grpc') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
