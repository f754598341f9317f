"""``llm-monitor bench encoder``: concept-encoder throughput through onnxruntime.

Encodes batches of activations the size the sidecar sees (rows of one layer of one
scheduler step) with the encoder the sidecar would load, for a fixed time, and
reports tokens per second next to the encoder card's faithfulness figures; the int8
graph too, when the directory has one, with its speed-up in the same run. The
activations are random rows at the encoder's input scale: the cost (one matmul and a
top-k per row) does not depend on their values.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np

from monitor.artifacts.encoder_format import CARD_FILE, INT8_ONNX_FILE, read_card_document
from monitor.bench.settings import EncoderBenchSettings
from monitor.sidecar.scoring.encoder import OnnxConceptEncoder

__all__ = ["EncoderBenchSettings", "run_encoder_bench"]


def _throughput(
    encoder: OnnxConceptEncoder, batches: list[Any], settings: EncoderBenchSettings
) -> dict[str, Any]:
    """Encode ``batches`` round-robin for ``settings.seconds`` after a warm-up."""
    for i in range(settings.warmup_batches):
        encoder.encode(batches[i % len(batches)])
    rows = calls = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    latencies = []
    while time.perf_counter() - t0 < settings.seconds:
        start = time.perf_counter()
        encoder.encode(batches[calls % len(batches)])
        latencies.append(time.perf_counter() - start)
        rows += settings.batch_rows
        calls += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "batches": calls,
        "tokens": rows,
        "seconds": round(wall, 3),
        "tokens_per_s": round(rows / wall, 1),
        "cpu_seconds_per_wall_second": round(cpu / wall, 3),
        "batch_latency_ms_p50": round(float(np.percentile(latencies, 50)) * 1e3, 3),
        "batch_latency_ms_p99": round(float(np.percentile(latencies, 99)) * 1e3, 3),
    }


def _int8(
    settings: EncoderBenchSettings, batches: list[Any], float32_tokens_per_s: float
) -> dict[str, Any] | None:
    """The int8 graph measured the same way, when the directory has one (None if not),
    with its speed-up over float32 in this run and the agreement its card records."""
    if not (settings.encoder_dir / INT8_ONNX_FILE).is_file():
        return None
    encoder = OnnxConceptEncoder(
        settings.encoder_dir, intra_op_threads=settings.threads, precision="int8"
    )
    measured = _throughput(encoder, batches, settings)
    return {
        **measured,
        "speedup_x": round(measured["tokens_per_s"] / float32_tokens_per_s, 3),
        "agreement": read_card_document(settings.encoder_dir / CARD_FILE).get("int8"),
    }


def run_encoder_bench(settings: EncoderBenchSettings) -> dict[str, Any]:
    """Measure and return the result (JSON-ready)."""
    if settings.batch_rows <= 0 or settings.seconds <= 0:
        raise ValueError("batch_rows and seconds must be positive")
    encoder = OnnxConceptEncoder(settings.encoder_dir, intra_op_threads=settings.threads)
    rng = np.random.default_rng(settings.seed)
    batches = [
        rng.normal(size=(settings.batch_rows, encoder.d_model)).astype(np.float32) for _ in range(8)
    ]
    measured = _throughput(encoder, batches, settings)
    figures = encoder.card.figures
    return {
        "benchmark": "encoder",
        "encoder_dir": str(settings.encoder_dir),
        "model_name": encoder.card.model_name,
        "layer": encoder.layer,
        "m": encoder.m,
        "k": encoder.k,
        "d_model": encoder.d_model,
        "batch_rows": settings.batch_rows,
        "intra_op_threads": settings.threads,
        **measured,
        "int8": _int8(settings, batches, measured["tokens_per_s"]),
        "ce_loss_recovered": figures.get("ce_loss_recovered"),
        "dead_fraction": figures.get("dead_fraction"),
        "fve": figures.get("fve"),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "load_average_1m": os.getloadavg()[0],
        },
    }
