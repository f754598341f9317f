"""Builders shared by the sidecar tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from monitor.artifacts.probe_format import Aggregation, Normalization, Probe
from monitor.v1 import ingest_pb2

MODEL = "test-model"
D_MODEL = 8
LAYER = 3


def make_probe(
    rng: np.random.Generator,
    concept: str = "deception",
    *,
    layer: int = LAYER,
    d_model: int = D_MODEL,
    model_name: str = MODEL,
    method: str = "mean",
    threshold: float = 0.5,
) -> Probe:
    return Probe(
        concept=concept,
        model_name=model_name,
        layer=layer,
        d_model=d_model,
        normalization=Normalization(
            mean=rng.normal(size=d_model).tolist(),
            scale=rng.uniform(0.5, 2.0, size=d_model).tolist(),
        ),
        weights=rng.normal(size=d_model).tolist(),
        bias=float(rng.normal()),
        threshold=threshold,
        aggregation=Aggregation(method=method),  # type: ignore[arg-type]
        training={"seed": 0},
    )


def reference_scores(probe: Probe, acts: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """The probe formula written out directly, in float64."""
    a = acts.astype(np.float64)
    mean = np.asarray(probe.normalization.mean)
    scale = np.asarray(probe.normalization.scale)
    z = ((a - mean) / scale) @ np.asarray(probe.weights) + probe.bias
    return 1.0 / (1.0 + np.exp(-z))


def make_batch(
    acts: npt.NDArray[np.float32],
    *,
    request_ids: Sequence[str] = ("req-0",),
    row_request: Sequence[int] | None = None,
    positions: Sequence[int] | None = None,
    token_ids: Sequence[int] | None = None,
    model_name: str = MODEL,
    layer: int = LAYER,
    dtype: int = ingest_pb2.DTYPE_FLOAT32,
    producer_id: str = "producer-1",
    sequence: int = 0,
    row_offset: int = 0,
    finished: Sequence[str] = (),
    dropped: dict[str, int] | None = None,
    uncaptured: Sequence[tuple[str, int, str]] = (),
    started: Sequence[tuple[str, Sequence[int]] | tuple[str, Sequence[int], str]] = (),
) -> ingest_pb2.ActivationBatch:
    rows, d = acts.shape
    if dtype == ingest_pb2.DTYPE_FLOAT32:
        data = acts.astype("<f4").tobytes()
    elif dtype == ingest_pb2.DTYPE_FLOAT16:
        data = acts.astype("<f2").tobytes()
    else:  # bfloat16: the upper half of the float32 bits
        data = (acts.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
    return ingest_pb2.ActivationBatch(
        model_name=model_name,
        layer=layer,
        dtype=dtype,  # type: ignore[arg-type]
        shape=[rows, d],
        data=data,
        sequence=sequence,
        row_offset=row_offset,
        request_ids=list(request_ids),
        row_request=list(row_request) if row_request is not None else [0] * rows,
        positions=list(positions) if positions is not None else list(range(rows)),
        token_ids=list(token_ids) if token_ids is not None else [100 + i for i in range(rows)],
        finished_request_ids=list(finished),
        uncaptured=[
            ingest_pb2.UncapturedTokens(request_id=r, count=c, reason=why)
            for r, c, why in uncaptured
        ],
        dropped=[ingest_pb2.DropCounter(reason=k, rows=v) for k, v in (dropped or {}).items()],
        producer_id=producer_id,
        started=[
            ingest_pb2.RequestStart(
                request_id=s[0], prompt_token_ids=list(s[1]), tenant=s[2] if len(s) > 2 else ""
            )
            for s in started
        ],
    )


def hello(
    *, model_name: str = MODEL, layers: Sequence[int] = (LAYER,), ok: bool = True, error: str = ""
) -> ingest_pb2.IngestMessage:
    return ingest_pb2.IngestMessage(
        hello=ingest_pb2.Hello(
            producer_id="producer-1",
            model_name=model_name,
            layers=list(layers),
            capture_ok=ok,
            capture_error=error,
            plugin_version="test",
        )
    )


def batch_message(batch: ingest_pb2.ActivationBatch) -> ingest_pb2.IngestMessage:
    return ingest_pb2.IngestMessage(batch=batch)


def write_probe_dir(directory: Path, probes: Sequence[Probe]) -> Path:
    from monitor.artifacts.probe_format import save_probe

    directory.mkdir(parents=True, exist_ok=True)
    for probe in probes:
        save_probe(directory / f"{probe.concept}.probe.json", probe)
    return directory
