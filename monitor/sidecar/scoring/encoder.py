"""The shipped concept encoder, run with onnxruntime (implements ``ConceptEncoder``).

The directory format (file names, the graph's input and output names, ``card.json`` and
``concepts.json``) is :mod:`monitor.artifacts.encoder_format`, which the trainer writes
with. Everything is checked at load: the card and labels by that module, the graph here
against the card; a mismatch raises ``EncoderError`` naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from monitor.artifacts.encoder_format import (
    CARD_FILE,
    CONCEPTS_FILE,
    INPUT_NAME,
    OUTPUT_NAMES,
    PRECISION_FILES,
    EncoderCard,
    EncoderError,
    read_card,
    read_labels,
)

__all__ = [
    "CARD_FILE",
    "EncoderCard",
    "EncoderError",
    "OnnxConceptEncoder",
    "load_concept_encoders",
    "read_card",
]


class OnnxConceptEncoder:
    """Per-token top-k concepts of one layer with onnxruntime (thread-safe ``encode``)."""

    def __init__(
        self,
        directory: Path,
        expected_model: str | None = None,
        intra_op_threads: int = 1,
        precision: str = "float32",
    ) -> None:
        import onnxruntime as ort

        if precision not in PRECISION_FILES:
            raise EncoderError(
                f"unknown encoder precision {precision!r}; expected one of "
                f"{sorted(PRECISION_FILES)}"
            )

        directory = Path(directory)
        if not directory.is_dir():
            raise EncoderError(f"not a directory: {directory}")
        self.directory = directory
        self.card = read_card(directory / CARD_FILE)
        if expected_model is not None and self.card.model_name != expected_model:
            raise EncoderError(
                f"{directory / CARD_FILE}: encoder is for model {self.card.model_name!r}, "
                f"expected {expected_model!r}"
            )
        self.layer = self.card.layer
        self.d_model = self.card.d_model
        self.k = self.card.k
        self.m = self.card.m
        self._labels = read_labels(directory / CONCEPTS_FILE, self.m)
        if intra_op_threads < 1:
            raise EncoderError(f"intra_op_threads must be at least 1, got {intra_op_threads}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        onnx_path = directory / PRECISION_FILES[precision]
        if not onnx_path.is_file():
            hint = (
                f" (make it with: llm-monitor encoder quantize --dir {directory})"
                if precision == "int8"
                else ""
            )
            raise EncoderError(f"missing {onnx_path}{hint}")
        self.precision = precision
        try:
            self._session = ort.InferenceSession(
                str(onnx_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise EncoderError(f"{onnx_path}: cannot load: {exc}") from exc
        self._check_signature(onnx_path)
        self._check_run(onnx_path)

    def _check_signature(self, path: Path) -> None:
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != INPUT_NAME:
            raise EncoderError(f"{path}: expected one input named {INPUT_NAME!r}")
        if inputs[0].type != "tensor(float)" or inputs[0].shape[-1] != self.d_model:
            raise EncoderError(
                f"{path}: input must be float32 [rows, {self.d_model}], got "
                f"{inputs[0].type} {inputs[0].shape}"
            )
        names = tuple(o.name for o in self._session.get_outputs())
        if names != OUTPUT_NAMES:
            raise EncoderError(f"{path}: expected outputs {OUTPUT_NAMES}, got {names}")

    def _check_run(self, path: Path) -> None:
        ids, values = self._run(np.zeros((2, self.d_model), np.float32))
        if ids.shape != (2, self.k) or values.shape != (2, self.k):
            raise EncoderError(
                f"{path}: outputs have shape {ids.shape} / {values.shape}, card says k={self.k}"
            )
        if ids.dtype != np.int32 or values.dtype != np.float32:
            raise EncoderError(f"{path}: outputs must be int32 ids and float32 values")
        if ids.size and (ids.min() < 0 or ids.max() >= self.m):
            raise EncoderError(f"{path}: concept ids outside 0..{self.m - 1}")

    def _run(
        self, activations: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        ids, values = self._session.run(OUTPUT_NAMES, {INPUT_NAME: activations})
        return np.asarray(ids), np.asarray(values)

    def encode(
        self, activations: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Concept ids and values ``[rows, k]``, each row largest first."""
        if activations.ndim != 2 or activations.shape[1] != self.d_model:
            raise ValueError(
                f"activations must be [rows, {self.d_model}], got {list(activations.shape)}"
            )
        if activations.shape[0] == 0:
            return np.zeros((0, self.k), np.int32), np.zeros((0, self.k), np.float32)
        return self._run(np.ascontiguousarray(activations, dtype=np.float32))

    def label(self, concept_id: int) -> str:
        """The concept's short label ('' for an unknown id)."""
        return self._labels[concept_id] if 0 <= concept_id < self.m else ""


def load_concept_encoders(
    directory: Path | None,
    expected_model: str | None = None,
    intra_op_threads: int = 1,
    precision: str = "float32",
) -> dict[int, OnnxConceptEncoder]:
    """``{layer: encoder}`` for the sidecar's pipeline (empty without a directory)."""
    if directory is None:
        return {}
    encoder = OnnxConceptEncoder(directory, expected_model, intra_op_threads, precision)
    return {encoder.layer: encoder}
