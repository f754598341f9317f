"""The probe artifact format (``*.probe.json``), shared with the offline toolkit.

A probe is one or more heads on one layer's residual stream. A head is a logistic
regression, scored per token::

    score(a) = sigmoid(weights . ((a - mean) / scale) + bias)

and read only on the tokens it was trained on: its ``scope`` (segments of the chat,
:mod:`monitor.artifacts.segments`) and ``positions`` (every token, or only the tokens that
end a sentence). Each head folds its in-scope token scores with its ``aggregation``; the
request score ``combine``s the heads (mean or max). The primary head's fields sit at the
top level (version 1 files are one head reading every token); ``heads`` adds more.

The aggregation method names are :mod:`monitor.artifacts.aggregation`'s vocabulary
(``AggregationMethod`` is re-exported here). This module only needs pydantic and the
standard library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from monitor.artifacts.aggregation import AggregationMethod
from monitor.artifacts.segment_names import SegmentName
from monitor.artifacts.validation import format_errors

PROBE_FORMAT = "llm-monitor-probe"
PROBE_VERSION = 2
READABLE_VERSIONS = (1, 2)
PROBE_SUFFIX = ".probe.json"

Positions = Literal["all", "sentence_end"]
Combine = Literal["mean", "max"]


class ProbeError(Exception):
    """A probe artifact is missing, malformed or inconsistent; the message names the file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class Normalization(_Strict):
    """Per-feature standardisation applied before the dot product."""

    mean: list[float] = Field(description="Per-feature mean, d_model values.")
    scale: list[float] = Field(description="Per-feature scale (> 0), d_model values.")

    @model_validator(mode="after")
    def _positive_scale(self) -> Normalization:
        for i, value in enumerate(self.scale):
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"scale[{i}] must be finite and > 0, got {value}")
        return self


class Aggregation(_Strict):
    """How token scores of one request combine into the request score."""

    method: AggregationMethod = Field(
        default="mean", description="mean, max, ema or max_rolling_mean."
    )
    alpha: float = Field(default=0.1, gt=0, le=1, description="EMA smoothing factor (method ema).")
    window: int = Field(default=16, gt=0, description="Window in tokens (method max_rolling_mean).")


def _check_vector(name: str, values: list[float], d: int) -> None:
    if len(values) != d:
        raise ValueError(f"{name} has {len(values)} values, d_model is {d}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} contains a non-finite value")


class Head(_Strict):
    """An extra head of a probe: a logistic regression with its own read."""

    name: str = Field(min_length=1, description="What the head reads, e.g. post_instruction.")
    normalization: Normalization = Field(description="Feature standardisation.")
    weights: list[float] = Field(description="Logistic regression weights, d_model values.")
    bias: float = Field(description="Logistic regression intercept.", allow_inf_nan=False)
    scope: list[SegmentName] | None = Field(
        default=None, description="Segments the head reads; None reads every token."
    )
    positions: Positions = Field(
        default="all", description="all, or sentence_end (tokens that end a sentence)."
    )
    aggregation: Aggregation = Field(
        default_factory=Aggregation, description="How the head's token scores combine."
    )


class Probe(_Strict):
    """One trained linear probe for one concept on one layer."""

    format: Literal["llm-monitor-probe"] = Field(
        default="llm-monitor-probe", description="Format tag."
    )
    version: Literal[1, 2] = Field(default=2, description="Format version.")
    concept: str = Field(min_length=1, description="Concept name, used as a metric label.")
    model_name: str = Field(min_length=1, description="Model the probe was trained on.")
    layer: int = Field(ge=0, description="Decoder layer whose output the probe reads.")
    d_model: int = Field(gt=0, description="Residual stream width.")
    normalization: Normalization = Field(description="Feature standardisation.")
    weights: list[float] = Field(description="Logistic regression weights, d_model values.")
    bias: float = Field(description="Logistic regression intercept.")
    threshold: float = Field(ge=0, le=1, description="Calibrated alert threshold (probability).")
    aggregation: Aggregation = Field(
        default_factory=Aggregation, description="Per-request aggregation."
    )
    scope: list[SegmentName] | None = Field(
        default=None, description="Segments the primary head reads; None reads every token."
    )
    positions: Positions = Field(
        default="all", description="all, or sentence_end (tokens that end a sentence)."
    )
    heads: list[Head] = Field(
        default_factory=list, description="Extra heads, combined with the primary one."
    )
    combine: Combine = Field(
        default="mean", description="How head scores combine into the request score."
    )
    training: dict[str, Any] = Field(
        default_factory=dict, description="Free-form training metadata."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Probe:
        d = self.d_model
        vectors: list[tuple[str, Normalization, list[float]]] = [
            ("", self.normalization, self.weights),
            *((f"heads.{i}.", h.normalization, h.weights) for i, h in enumerate(self.heads)),
        ]
        for where, norm, weights in vectors:
            _check_vector(f"{where}weights", weights, d)
            _check_vector(f"{where}normalization.mean", norm.mean, d)
            _check_vector(f"{where}normalization.scale", norm.scale, d)
        if not math.isfinite(self.bias):
            raise ValueError("bias must be finite")
        if self.version == 1 and (self.scope is not None or self.heads):
            raise ValueError("scope and heads need version 2")
        return self

    def all_heads(self) -> list[Head]:
        """Every head, the primary one first."""
        primary = Head(
            name="primary",
            normalization=self.normalization,
            weights=self.weights,
            bias=self.bias,
            scope=self.scope,
            positions=self.positions,
            aggregation=self.aggregation,
        )
        return [primary, *self.heads]


def parse_probe(data: Any, source: str = "probe") -> Probe:
    """Validate a decoded JSON document as a probe; errors name ``source`` and the field."""
    if isinstance(data, dict):
        if data.get("format") != PROBE_FORMAT:
            raise ProbeError(
                f"{source}: format: expected {PROBE_FORMAT!r}, got {data.get('format')!r}"
            )
        if data.get("version") not in READABLE_VERSIONS:
            raise ProbeError(
                f"{source}: version: unsupported version {data.get('version')!r}"
                f" (this build reads versions {', '.join(map(str, READABLE_VERSIONS))})"
            )
    try:
        return Probe.model_validate(data)
    except ValidationError as exc:
        raise ProbeError(format_errors(source, exc)) from None


def load_probe(path: Path) -> Probe:
    """Read and validate one ``*.probe.json`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProbeError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProbeError(f"{path}: invalid JSON: {exc}") from None
    return parse_probe(data, str(path))


def save_probe(path: Path, probe: Probe) -> None:
    """Write ``probe`` as JSON (atomically: a temporary file renamed into place)."""
    payload = probe.model_dump(mode="json")
    if probe.version == 1:  # version 1 files have no reads: older readers refuse the keys
        for key in ("scope", "positions", "heads", "combine"):
            payload.pop(key, None)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def check_probes(probes: Sequence[Probe], model_name: str | None = None) -> None:
    """Cross-probe checks: unique concepts, one d_model per layer, the expected model."""
    concepts: dict[str, Probe] = {}
    widths: dict[int, int] = {}
    for probe in probes:
        if probe.concept in concepts:
            raise ProbeError(f"concept {probe.concept!r} has more than one probe")
        concepts[probe.concept] = probe
        width = widths.setdefault(probe.layer, probe.d_model)
        if width != probe.d_model:
            raise ProbeError(
                f"probes for layer {probe.layer} disagree on d_model ({width} vs {probe.d_model})"
            )
        if model_name is not None and probe.model_name != model_name:
            raise ProbeError(
                f"probe {probe.concept!r} is for model {probe.model_name!r},"
                f" the sidecar expects {model_name!r}"
            )


def load_probe_dir(directory: Path, model_name: str | None = None) -> list[Probe]:
    """Load every ``*.probe.json`` in ``directory`` (sorted by name) and check them together."""
    if not directory.is_dir():
        raise ProbeError(f"{directory}: not a directory")
    probes = [load_probe(path) for path in sorted(directory.glob(f"*{PROBE_SUFFIX}"))]
    check_probes(probes, model_name)
    return probes
