"""The concept-encoder directory format, shared by the trainer (writes) and the sidecar (reads).

An encoder directory holds:

- ``encoder.onnx``: the served graph. Input ``activations [rows, d_model]`` float32;
  outputs ``concept_ids [rows, k]`` int32 and ``concept_values [rows, k]`` float32,
  largest first.
- ``encoder.int8.onnx`` (optional): the same graph with int8 weights (dynamic
  quantization), the same inputs and outputs; ``card.json``'s ``int8`` section records
  its agreement with ``encoder.onnx`` on real activations and its sha256.
- ``card.json``: model, layer, d_model, m, k and the faithfulness ``figures``, plus any
  further figures the trainer records (kept as written); ``CARD.md`` is the same for
  people and is never read back.
- ``concepts.json``: one entry per concept, ``{"id": i, "label": ..., ...}`` in id order.
- ``encoder.pt`` and ``encoder-config.json``: the training checkpoint (torch state dict
  and the ``EncoderConfig`` shape), read by the trainer only.

Every JSON file this module writes starts with ``"format": "llm-monitor-encoder"`` and
``"version"``; a reader refuses another format or a version it does not know, naming the
file. Files written before the tag existed carry none and read as version 1. Readers and
writers check the same fields, so a directory the trainer writes is one the sidecar loads;
every problem raises ``EncoderError`` naming the file and the field.

This module only needs the standard library (no onnxruntime, torch or numpy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ENCODER_FORMAT = "llm-monitor-encoder"
ENCODER_VERSION = 1
READABLE_VERSIONS = (1,)

ONNX_FILE = "encoder.onnx"
INT8_ONNX_FILE = "encoder.int8.onnx"
#: The graph file of each precision the sidecar can run.
PRECISION_FILES = {"float32": ONNX_FILE, "int8": INT8_ONNX_FILE}
CARD_FILE = "card.json"
CARD_MARKDOWN_FILE = "CARD.md"
CONCEPTS_FILE = "concepts.json"
WEIGHTS_FILE = "encoder.pt"
CONFIG_FILE = "encoder-config.json"

INPUT_NAME = "activations"
OUTPUT_NAMES = ("concept_ids", "concept_values")

_TAG_KEYS = ("format", "version")


class EncoderError(Exception):
    """The encoder directory is missing a file or does not match its card or the model."""


def _read_json(path: Path) -> dict[str, Any]:
    """A tagged JSON object, with the format tag checked and removed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EncoderError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise EncoderError(f"{path}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EncoderError(f"{path}: expected a JSON object")
    if "format" in data and data["format"] != ENCODER_FORMAT:
        raise EncoderError(f"{path}: format: expected {ENCODER_FORMAT!r}, got {data['format']!r}")
    version = data.get("version", 1)  # untagged files predate the tag: version 1
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise EncoderError(
            f"{path}: version: unsupported version {version!r}"
            f" (this build reads versions {', '.join(map(str, READABLE_VERSIONS))})"
        )
    return {key: value for key, value in data.items() if key not in _TAG_KEYS}


def _write_json(path: Path, document: Mapping[str, Any], indent: int) -> None:
    """Write ``document`` tagged with the format (atomically: a temporary file renamed)."""
    tagged = {
        "format": ENCODER_FORMAT,
        "version": ENCODER_VERSION,
        **{k: v for k, v in document.items() if k not in _TAG_KEYS},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(tagged, indent=indent) + "\n", encoding="utf-8")
    tmp.replace(path)


def _positive_int(source: Path, data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise EncoderError(f"{source}: field {name!r} must be a positive integer, got {value!r}")
    return value


def _layer(source: Path, data: Mapping[str, Any]) -> int:
    layer = data.get("layer")
    if not isinstance(layer, int) or isinstance(layer, bool) or layer < 0:
        raise EncoderError(f"{source}: field 'layer' must be a non-negative integer")
    return layer


def _model_name(source: Path, data: Mapping[str, Any]) -> str:
    name = data.get("model_name")
    if not isinstance(name, str) or not name:
        raise EncoderError(f"{source}: field 'model_name' must be a non-empty string")
    return name


@dataclass(frozen=True)
class EncoderCard:
    """What the sidecar needs from ``card.json``."""

    model_name: str
    layer: int
    d_model: int
    m: int
    k: int
    figures: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any], source: Path) -> EncoderCard:
        """Check a card's fields (``source`` names the file in errors)."""
        figures = document.get("figures") or {}
        if not isinstance(figures, dict):
            raise EncoderError(f"{source}: field 'figures' must be an object")
        card = cls(
            model_name=_model_name(source, document),
            layer=_layer(source, document),
            d_model=_positive_int(source, document, "d_model"),
            m=_positive_int(source, document, "m"),
            k=_positive_int(source, document, "k"),
            figures=dict(figures),
        )
        if card.k > card.m:
            raise EncoderError(f"{source}: k ({card.k}) is larger than m ({card.m})")
        return card

    def to_document(self) -> dict[str, Any]:
        """The card's fields as ``card.json`` holds them (without the format tag)."""
        return asdict(self)


def read_card_document(path: Path) -> dict[str, Any]:
    """The whole of ``card.json`` (every figure the trainer recorded), checked, untagged."""
    document = _read_json(path)
    EncoderCard.from_document(document, path)
    return document


def read_card(path: Path) -> EncoderCard:
    """Parse and check ``card.json``."""
    return EncoderCard.from_document(_read_json(path), path)


def write_card(path: Path, card: EncoderCard | Mapping[str, Any]) -> None:
    """Write ``card.json``: an ``EncoderCard``, or a whole card document whose required
    fields are checked as the reader checks them."""
    document = card.to_document() if isinstance(card, EncoderCard) else dict(card)
    EncoderCard.from_document(document, path)
    _write_json(path, document, indent=2)


def read_labels(path: Path, m: int) -> list[str]:
    """The ``m`` concept labels of ``concepts.json`` (by id)."""
    data = _read_json(path)
    concepts = data.get("concepts")
    if not isinstance(concepts, list) or len(concepts) != m:
        got = len(concepts) if isinstance(concepts, list) else type(concepts).__name__
        raise EncoderError(f"{path}: field 'concepts' must list {m} concepts, got {got}")
    labels = [""] * m
    for i, concept in enumerate(concepts):
        if not isinstance(concept, dict) or concept.get("id") != i:
            raise EncoderError(f"{path}: concepts[{i}] must be an object with 'id': {i}")
        labels[i] = str(concept.get("label", ""))
    return labels


def write_concepts(
    path: Path, concepts: Sequence[Mapping[str, Any]], *, model_name: str, layer: int
) -> None:
    """Write ``concepts.json``: every concept in id order, each at least ``id`` and a
    string ``label`` (further keys, e.g. examples and correlations, are kept)."""
    for i, concept in enumerate(concepts):
        if concept.get("id") != i or not isinstance(concept.get("label"), str):
            raise EncoderError(f"{path}: concepts[{i}] needs 'id': {i} and a string 'label'")
    document = {
        "model_name": model_name,
        "layer": layer,
        "m": len(concepts),
        "concepts": [dict(c) for c in concepts],
    }
    _write_json(path, document, indent=1)


def write_labels(path: Path, labels: Sequence[str], *, model_name: str, layer: int) -> None:
    """Write ``concepts.json`` from bare labels (id = index)."""
    concepts = [{"id": i, "label": label} for i, label in enumerate(labels)]
    write_concepts(path, concepts, model_name=model_name, layer=layer)


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of the encoder and where it reads the model (``encoder-config.json``)."""

    d_model: int
    m: int
    k: int
    layer: int
    model_name: str

    def __post_init__(self) -> None:
        if not 0 < self.k <= self.m:
            raise ValueError(f"need 0 < k <= m, got k={self.k}, m={self.m}")
        if self.d_model <= 0:
            raise ValueError(f"d_model must be positive, got {self.d_model}")


def read_encoder_config(path: Path) -> EncoderConfig:
    """Parse and check ``encoder-config.json`` of a training checkpoint."""
    data = _read_json(path)
    try:
        return EncoderConfig(**data)
    except (TypeError, ValueError) as exc:
        raise EncoderError(f"{path}: {exc}") from None


def write_encoder_config(path: Path, config: EncoderConfig) -> None:
    """Write ``encoder-config.json`` of a training checkpoint."""
    _write_json(path, asdict(config), indent=2)
