"""The int8 concept encoder: quantize ``encoder.onnx`` and measure what it changes.

onnxruntime's dynamic quantization stores the graph's weights as int8 (per output
column) and quantizes each batch's activations on the fly; the matrix product runs in
int8 (VNNI where the CPU has it). The result is only worth serving if it names the same
concepts, so ``quantize_encoder`` measures it against the float32 graph on activations
the encoder was not trained on, records the figures and the int8 file's sha256 in the
card (``int8``), and refuses a graph whose agreement is under ``min_overlap``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.artifacts import encoder_format
from monitor.model import sha256_file
from monitor.sidecar.scoring.encoder import OnnxConceptEncoder
from probes.encoder.card import write_card

log = logging.getLogger(__name__)

#: Least mean share of a token's top-k concepts that int8 must keep.
MIN_OVERLAP = 0.9
#: Rows encoded per call while measuring.
CHUNK_ROWS = 1024


@dataclass(frozen=True)
class Agreement:
    """How the int8 graph's concepts compare with the float32 graph's, token by token."""

    rows: int
    topk_overlap: float
    """Mean share of the float32 top-k ids also in the int8 top-k."""
    topk_overlap_p01: float
    """The 1st percentile of that share over tokens (the worst tokens)."""
    top1_same: float
    """Share of tokens whose strongest concept is the same."""
    value_relative_error: float
    """Median over tokens of |int8 - float32| / |float32| of the top-k values (by id;
    an id int8 dropped counts with value 0)."""


def measure_agreement(
    reference: OnnxConceptEncoder,
    candidate: OnnxConceptEncoder,
    activations: npt.NDArray[np.float32],
) -> Agreement:
    """Encode ``activations`` with both encoders and compare their top-k concepts."""
    if len(activations) == 0:
        raise ValueError("no activations to measure agreement on")
    overlaps: list[npt.NDArray[np.float64]] = []
    top1: list[npt.NDArray[np.bool_]] = []
    errors: list[npt.NDArray[np.float64]] = []
    for start in range(0, len(activations), CHUNK_ROWS):
        rows = np.ascontiguousarray(activations[start : start + CHUNK_ROWS], np.float32)
        ids_a, values_a = reference.encode(rows)
        ids_b, values_b = candidate.encode(rows)
        same = ids_a[:, :, None] == ids_b[:, None, :]  # [rows, k, k]
        overlaps.append(same.any(axis=2).mean(axis=1))
        top1.append(ids_a[:, 0] == ids_b[:, 0])
        matched = np.where(same, values_b[:, None, :], 0.0).sum(axis=2)  # int8 value per id
        norm = np.linalg.norm(values_a, axis=1)
        diff = np.linalg.norm(matched - values_a, axis=1)
        errors.append(np.divide(diff, norm, out=np.zeros_like(diff), where=norm > 0))
    overlap = np.concatenate(overlaps)
    return Agreement(
        rows=len(overlap),
        topk_overlap=float(overlap.mean()),
        topk_overlap_p01=float(np.percentile(overlap, 1)),
        top1_same=float(np.concatenate(top1).mean()),
        value_relative_error=float(np.median(np.concatenate(errors))),
    )


def quantize_encoder(
    directory: Path,
    activations: npt.NDArray[np.float32],
    source: str,
    min_overlap: float = MIN_OVERLAP,
) -> dict[str, Any]:
    """Write ``encoder.int8.onnx`` next to ``encoder.onnx``, measure it on
    ``activations`` (described by ``source``), record the figures in ``card.json``; the
    card's ``int8`` section is returned. Raises ``ValueError`` (and removes the file)
    when the mean top-k overlap is under ``min_overlap``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source_path = directory / encoder_format.ONNX_FILE
    target = directory / encoder_format.INT8_ONNX_FILE
    if not source_path.is_file():
        raise ValueError(f"missing {source_path}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer's advice on pre-processing, which a
    try:  # graph of one matmul does not need
        quantize_dynamic(source_path, target, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    agreement = measure_agreement(
        OnnxConceptEncoder(directory),
        OnnxConceptEncoder(directory, precision="int8"),
        activations,
    )
    if agreement.topk_overlap < min_overlap:
        target.unlink()
        raise ValueError(
            f"the int8 encoder keeps {agreement.topk_overlap:.3f} of the top-k concepts on "
            f"average, under {min_overlap}: not written ({agreement})"
        )
    section = {
        **asdict(agreement),
        "activations": source,
        "min_overlap": min_overlap,
        "sha256": sha256_file(target),
        "method": "onnxruntime dynamic quantization, int8 weights per output column",
    }
    card_path = directory / encoder_format.CARD_FILE
    card = encoder_format.read_card_document(card_path)
    card["int8"] = section
    if "figures" in card and "training" in card:  # a full card from training: CARD.md too
        write_card(directory, card)
    else:
        encoder_format.write_card(card_path, card)
    log.info("int8 encoder written to %s: %s", target, agreement)
    return section
