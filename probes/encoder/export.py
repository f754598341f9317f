"""ONNX export of the concept encoder and the torch-vs-onnxruntime parity check.

The exported graph is the encoder half only, with the input scale and ``b_pre``
folded into one affine map: ``pre = a @ W + c``, then TopK(k), ReLU on the values and
int32 ids. Opset 18, through torch's ``torch.export``-based exporter (onnxscript). The
input and output names are the served format's (``monitor.artifacts.encoder_format``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor, nn

from monitor.artifacts.encoder_format import INPUT_NAME, OUTPUT_NAMES
from probes.encoder.topk import TopKEncoder

OPSET = 18


class _EncodeGraph(nn.Module):
    """What the ONNX file computes: folded affine map, TopK, ReLU, int32 ids."""

    def __init__(self, encoder: TopKEncoder) -> None:
        super().__init__()
        with torch.no_grad():
            w = (encoder.W_enc * encoder.scale).detach().clone()
            c = (encoder.b_enc - (encoder.b_pre * encoder.scale) @ encoder.W_enc).detach()
        self.W = nn.Parameter(w, requires_grad=False)
        self.c = nn.Parameter(c.clone(), requires_grad=False)
        self.k = encoder.k

    def forward(self, activations: Tensor) -> tuple[Tensor, Tensor]:
        values, ids = torch.topk(activations @ self.W + self.c, self.k, dim=-1, sorted=True)
        return ids.to(torch.int32), torch.relu(values)


def export_onnx(encoder: TopKEncoder, path: Path) -> Path:
    """Write ``encoder`` as an ONNX model (dynamic row count) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = _EncodeGraph(encoder.eval()).eval()
    example = torch.zeros(4, encoder.config.d_model)
    torch.onnx.export(
        graph,
        (example,),
        str(path),
        input_names=[INPUT_NAME],
        output_names=list(OUTPUT_NAMES),
        dynamic_shapes={INPUT_NAME: {0: torch.export.Dim("rows", min=1)}},
        opset_version=OPSET,
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    return path


@dataclass(frozen=True)
class Parity:
    """torch vs onnxruntime on the same activations.

    Sets can differ only where two concepts tie at the k-th place to within rounding
    (the two libraries sum in different orders); ``rows_different_beyond_ties`` counts
    rows whose sets differ by a concept farther than ``tie_tolerance`` from that place.
    """

    rows: int
    max_abs_diff: float
    identical_topk_sets: bool
    rows_with_different_sets: int
    rows_different_beyond_ties: int
    tie_tolerance: float

    def ok(self, tolerance: float = 1e-4) -> bool:
        return self.max_abs_diff <= tolerance and self.rows_different_beyond_ties == 0


def onnx_encode(
    path: Path, activations: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """Run the exported file with onnxruntime."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ids, values = session.run(list(OUTPUT_NAMES), {INPUT_NAME: activations.astype(np.float32)})
    return np.asarray(ids), np.asarray(values)


def check_parity(
    encoder: TopKEncoder,
    path: Path,
    activations: npt.NDArray[np.float32],
    tie_tolerance: float = 1e-4,
) -> Parity:
    """Compare the torch encoder with the ONNX file: values (rank by rank, both largest
    first) and top-k sets per row."""
    x = torch.from_numpy(activations.astype(np.float32))
    with torch.no_grad():
        t_values, t_ids = encoder.eval().top_k(x)
    o_ids, o_values = onnx_encode(path, activations)
    t_ids_np = t_ids.numpy().astype(np.int64)
    same = np.array(
        [set(a.tolist()) == set(b.tolist()) for a, b in zip(t_ids_np, o_ids, strict=True)],
        dtype=bool,
    )
    beyond = 0
    for row in np.flatnonzero(~same):
        with torch.no_grad():
            pre = encoder.pre_activations(x[row : row + 1])[0].numpy()
        kth = float(np.sort(pre)[-encoder.k])
        swapped = set(t_ids_np[row].tolist()) ^ set(o_ids[row].tolist())
        inactive = kth <= 0 and all(pre[c] <= tie_tolerance for c in swapped)
        if not inactive and any(abs(pre[c] - kth) > tie_tolerance for c in swapped):
            beyond += 1
    diff = float(np.abs(t_values.numpy() - o_values).max()) if len(o_values) else 0.0
    return Parity(
        rows=int(activations.shape[0]),
        max_abs_diff=diff,
        identical_topk_sets=bool(same.all()),
        rows_with_different_sets=int((~same).sum()),
        rows_different_beyond_ties=beyond,
        tie_tolerance=tie_tolerance,
    )
