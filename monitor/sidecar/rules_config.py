"""The ``rules`` section of monitor.yaml: a rule's concept, aggregation, threshold,
severity and cooldown."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from monitor.artifacts.aggregation import METHOD_ALIASES
from monitor.sidecar.severity import Severity

log = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaxAggregation(_Section):
    """The largest token score so far."""

    method: Literal["max"] = Field(description="Aggregation method tag.")


class MeanAggregation(_Section):
    """The mean of all token scores so far."""

    method: Literal["mean"] = Field(description="Aggregation method tag.")


class EmaAggregation(_Section):
    """Exponential moving average of the token scores, seeded by the first one."""

    method: Literal["ema"] = Field(description="Aggregation method tag.")
    alpha: float = Field(default=0.1, gt=0, le=1, description="Smoothing factor in (0, 1].")


class MaxRollingMeanAggregation(_Section):
    """The largest mean over ``window`` consecutive tokens (the mean so far before that)."""

    method: Literal["max_rolling_mean"] = Field(description="Aggregation method tag.")
    window: int = Field(default=16, gt=0, description="Window length in tokens.")


def _canonical_method(value: object) -> object:
    """Map an old method spelling (``rolling_mean_max``) to its canonical name, so existing
    files keep loading; logs one deprecation line per section that uses it."""
    if isinstance(value, dict):
        method = value.get("method")
        if isinstance(method, str) and method in METHOD_ALIASES:
            canonical = METHOD_ALIASES[method]
            log.warning(
                "aggregation method %r is deprecated, write %r (same aggregation)",
                method,
                canonical,
            )
            return {**value, "method": canonical}
    return value


# Method tags are monitor.artifacts.aggregation's vocabulary (AGGREGATION_METHODS).
RuleAggregation = Annotated[
    MaxAggregation | MeanAggregation | EmaAggregation | MaxRollingMeanAggregation,
    Field(discriminator="method"),
    BeforeValidator(_canonical_method),
]


CALIBRATED: Literal["calibrated"] = "calibrated"


def _parse_threshold(value: object) -> object:
    """A probability in [0, 1] or the word ``calibrated``; anything else is a clear error."""
    if value == CALIBRATED:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number in [0, 1] or {CALIBRATED!r}, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number in [0, 1] or {CALIBRATED!r}, got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"threshold must be in [0, 1] or {CALIBRATED!r}, got {value!r}")
    return number


Threshold = Annotated[float | Literal["calibrated"], BeforeValidator(_parse_threshold)]


class RuleConfig(_Section):
    """One alert rule: a probe concept, an aggregation and a threshold."""

    name: str = Field(min_length=1, description="Unique rule name (alert label `rule`).")
    concept: str = Field(min_length=1, description="Probe concept the rule watches.")
    threshold: Threshold = Field(
        default=CALIBRATED,
        description="Fire when the aggregated score is >= this (in [0, 1]), or 'calibrated' "
        "for the probe artifact's calibrated threshold.",
    )
    aggregation: RuleAggregation | None = Field(
        default=None,
        description="How token scores combine (max, mean, ema, max_rolling_mean); None uses "
        "the probe's own aggregation, the one its calibrated threshold was set for.",
    )
    min_tokens: int = Field(
        default=1, ge=1, description="Tokens a request must have before the rule may fire."
    )
    severity: Severity = Field(default="warning", description="info, warning or critical.")
    cooldown_s: float = Field(
        default=60.0,
        ge=0,
        le=7 * 86400,
        allow_inf_nan=False,
        description="After an alert of this rule for a model, later firings for that model "
        "within this many seconds are stored with their traces but not streamed or counted.",
    )
