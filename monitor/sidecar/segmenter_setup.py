"""The sidecar's chat segmenter, built from the served model's tokenizer, with a warning
for each loaded probe that reads a segment the segmenter cannot tell apart."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from monitor.artifacts.probe_format import Probe
from monitor.artifacts.segments import Segmenter, load_segmenter

log = logging.getLogger(__name__)


def build_segmenter(tokenizer_path: Path | None, probes: Sequence[Probe] = ()) -> Segmenter:
    """The chat segmenter of the served model's tokenizer (prompt vs reply without one);
    warns when a loaded probe reads what it cannot tell apart."""
    if tokenizer_path is None:
        segmenter = Segmenter(markup=None)
    else:
        segmenter = load_segmenter(str(tokenizer_path))
        if segmenter.markup is None:
            log.warning("%s: no usable chat template; segments are prompt vs reply", tokenizer_path)
        else:
            log.info("chat segments from the template of %s", tokenizer_path)
    chat = {"system", "user", "history", "markup", "post_instruction"}
    for probe in probes:
        for head in probe.all_heads():
            if segmenter.markup is None and head.scope and chat & set(head.scope):
                log.warning(
                    "probe %r (head %r) reads %s but the chat's segments are unknown (set "
                    "tokenizer_path): it reads a whole prompt as 'prompt'",
                    probe.concept,
                    head.name,
                    ", ".join(head.scope),
                )
            if head.positions == "sentence_end" and not segmenter.sentence_ends:
                log.warning(
                    "probe %r (head %r) reads sentence ends but no tokenizer is set "
                    "(tokenizer_path): it reads nothing",
                    probe.concept,
                    head.name,
                )
    return segmenter
