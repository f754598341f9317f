"""One engine step in flight: its rows in host buffers, what labels them, what it carries.

The step thread builds a :class:`StagedStep` from host-side facts only (the scheduler's
view of the step and the runner's batch order) plus the rows it queued for copying; it
reads no captured value, so it never waits for the device. The shipper thread calls
``batches()``: that waits for the copy, checks that every layer's capture fired, labels
the rows against the scheduler's view (:func:`monitor.plugin.labels.label_rows`), and
returns one :class:`~monitor.plugin.batch.CapturedBatch` per layer whose rows are views
of the host buffers. ``release()`` hands the buffers back once those are encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from monitor.plugin.batch import CapturedBatch, Unshippable
from monitor.plugin.capture import UNWRITTEN, StagedRows
from monitor.plugin.host_pool import Lease
from monitor.plugin.labels import LabelMismatch, label_rows
from monitor.plugin.ring import REASON_CAPTURE_MISSED, REASON_LABEL_MISMATCH

#: Host bytes counted per request id, uncaptured entry and prompt token beyond the buffers.
ID_BYTES = 96
TOKEN_BYTES = 32


@dataclass
class StagedStep:
    """A step's captured rows (``staged``, in ``lease``) and the facts that label them."""

    model_name: str
    row_offset: int  # of the first layer's first row; layer i starts at row_offset + i*n
    staged: StagedRows
    lease: Lease
    order: list[str]  # the runner's batch order
    num_scheduled: Mapping[str, int]
    num_computed: Mapping[str, int]
    uncaptured: list[tuple[str, int, str]] = field(default_factory=list)
    finished_request_ids: list[str] = field(default_factory=list)
    started: list[tuple[str, list[int]]] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        """Rows per layer."""
        return int(self.staged.token_ids.shape[0])

    @property
    def rows(self) -> int:
        """Rows of all layers together."""
        return self.tokens * len(self.staged.layers)

    @property
    def nbytes(self) -> int:
        """Approximate host bytes held: the lease plus the labels and prompts."""
        ids = len(self.order) + len(self.uncaptured) + len(self.finished_request_ids)
        prompts = sum(TOKEN_BYTES * len(tokens) + ID_BYTES for _, tokens in self.started)
        return self.lease.nbytes + ID_BYTES * ids + prompts

    def batches(self) -> list[CapturedBatch]:
        """Wait for the copy, check and label the rows; raise Unshippable if they are bad."""
        self.staged.wait()
        n = self.tokens
        for layer, positions in zip(self.staged.layers, self.staged.positions, strict=True):
            if bool((positions.numpy() == UNWRITTEN).any()):
                raise Unshippable(
                    REASON_CAPTURE_MISSED,
                    self.rows,
                    f"capture did not fire at layer {layer} for a {n}-token step",
                )
        try:
            labels = label_rows(
                self.order, self.num_scheduled, self.num_computed, self.staged.positions[0].numpy()
            )
        except LabelMismatch as exc:
            raise Unshippable(
                REASON_LABEL_MISMATCH, self.rows, f"rows of a {n}-token step dropped: {exc}"
            ) from exc
        ids = self.staged.token_ids.numpy()
        token_ids = np.where(ids == UNWRITTEN, -1, ids).astype(np.int32)
        last = len(self.staged.layers) - 1
        return [
            CapturedBatch(
                model_name=self.model_name,
                layer=layer,
                activations=self.staged.activations[i],
                row_offset=self.row_offset + i * n,
                request_ids=labels.request_ids,
                row_request=labels.row_request,
                positions=labels.positions,
                token_ids=token_ids,
                # the sidecar finishes a request only after all of its rows
                finished_request_ids=self.finished_request_ids if i == last else [],
                uncaptured=self.uncaptured if i == last else [],
                started=self.started,  # with every layer: any one that arrives will do
            )
            for i, layer in enumerate(self.staged.layers)
        ]

    def release(self) -> None:
        """Hand the host buffers back to the pool."""
        self.lease.release()
