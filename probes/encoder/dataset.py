"""Training data of the concept encoder: activations of the serving layer, captured
through the serving path (vLLM + the plugin + the sidecar's ingest).

Two sources: the project's own prompt corpus (:mod:`probes.encoder.corpus`) with the
model's own greedy replies (on-policy), and the probe data sets (read whole, as the
sidecar sees a request). A sequence is what the serving path computes for a request:
the prompt plus every generated token but the last. Must run under
``if __name__ == "__main__"`` (vLLM spawns processes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from probes.collect import ActivationCollector, Span, response_span
from probes.data.records import Record, load_records
from probes.encoder.corpus import generate_prompts

PROBE_CONCEPTS = ("deception", "eval_awareness", "misuse")
# The first token of every sequence is an attention sink: its residual is the same for
# every request (the chat template's first token) with a norm ~150x a typical token's.
# It is left out of training and of the figures, and never patched.
SINK_POSITIONS = 1
CHUNK = 128


@dataclass
class ActivationSet:
    """Token sequences with the activations of every token at one layer.

    ``offsets[i]:offsets[i + 1]`` indexes sequence ``i`` in the flat arrays; ``meta[i]``
    holds its source, split (``train`` / ``heldout``), and the probe concept and label
    of probe-data records.
    """

    layer: int
    tokens: npt.NDArray[np.int32]  # [N]
    activations: npt.NDArray[np.float16]  # [N, d_model]
    offsets: npt.NDArray[np.int64]  # [S + 1]
    meta: list[dict[str, Any]]

    @property
    def d_model(self) -> int:
        return int(self.activations.shape[1])

    def sequence(self, i: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float16]]:
        """Token ids and activations of sequence ``i``."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.tokens[a:b], self.activations[a:b]

    def select(self, split: str, source: str | None = None) -> list[int]:
        """Indices of the sequences of one split (and source)."""
        return [
            i
            for i, m in enumerate(self.meta)
            if m["split"] == split and (source is None or m["source"] == source)
        ]

    def rows(self, indices: Sequence[int], skip: int = 0) -> npt.NDArray[np.int64]:
        """Flat row indices of the given sequences, without each one's first ``skip``."""
        if not indices:
            return np.zeros(0, np.int64)
        return np.concatenate(
            [np.arange(self.offsets[i] + skip, self.offsets[i + 1]) for i in indices]
        ).astype(np.int64)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            layer=np.int64(self.layer),
            tokens=self.tokens,
            activations=self.activations,
            offsets=self.offsets,
            meta=np.array(json.dumps(self.meta)),
        )

    @classmethod
    def load(cls, path: Path) -> ActivationSet:
        with np.load(path) as data:
            return cls(
                layer=int(data["layer"]),
                tokens=data["tokens"],
                activations=data["activations"],
                offsets=data["offsets"],
                meta=json.loads(str(data["meta"])),
            )


@dataclass(frozen=True)
class CorpusSettings:
    """Size and shape of the collected corpus."""

    model_dir: Path
    layer: int = 15
    prompts: int = 2400
    heldout_fraction: float = 0.15
    reply_tokens: int = 96
    seed: int = 0
    data_dir: Path | None = None  # probe data sets (JSONL); None: none


def _probe_records(data_dir: Path) -> list[Record]:
    out: list[Record] = []
    for concept in PROBE_CONCEPTS:
        path = data_dir / f"{concept}.jsonl"
        if path.is_file():
            out += load_records(path)
    return out


def collect_corpus(settings: CorpusSettings) -> ActivationSet:
    """Generate replies to the corpus prompts, then capture every token of every sequence."""
    from tqdm import tqdm

    prompts = generate_prompts(settings.prompts, settings.seed)
    rng = np.random.default_rng(settings.seed)
    heldout = rng.random(len(prompts)) < settings.heldout_fraction
    records = _probe_records(settings.data_dir) if settings.data_dir is not None else []
    sequences: list[list[int]] = []
    meta: list[dict[str, Any]] = []
    with ActivationCollector(settings.model_dir, [settings.layer]) as collector:
        tok = collector.tokenizer
        spans = [response_span(tok, p.messages, None) for p in prompts]
        with tqdm(total=len(spans), desc="on-policy replies", unit="prompt") as bar:
            for i in range(0, len(spans), CHUNK):
                for j, got in enumerate(
                    collector.collect(spans[i : i + CHUNK], max_new_tokens=settings.reply_tokens)
                ):
                    k = i + j
                    sequences.append(list(got.token_ids))
                    meta.append(
                        {
                            "source": "corpus",
                            "id": prompts[k].id,
                            "template": prompts[k].template,
                            "split": "heldout" if heldout[k] else "train",
                            "prompt_tokens": len(spans[k].token_ids),
                        }
                    )
                bar.update(min(CHUNK, len(spans) - i))
        for r in records:
            span = response_span(tok, [m.model_dump() for m in r.messages], r.response)
            sequences.append(span.token_ids)
            meta.append(
                {
                    "source": "probe_data",
                    "id": r.id,
                    "concept": r.concept,
                    "label": r.label,
                    "split": "train" if r.split != "test" else "heldout",
                    "read_start": span.start,
                }
            )
        tokens: list[npt.NDArray[np.int32]] = []
        acts: list[npt.NDArray[np.float16]] = []
        with tqdm(total=len(sequences), desc="capture", unit="seq") as bar:
            for i in range(0, len(sequences), CHUNK):
                part = [Span(s, 0, len(s)) for s in sequences[i : i + CHUNK]]
                for got in collector.collect(part):
                    tokens.append(np.asarray(got.token_ids, np.int32))
                    acts.append(got.activations[settings.layer].astype(np.float16))
                bar.update(len(part))
    offsets = np.zeros(len(tokens) + 1, np.int64)
    offsets[1:] = np.cumsum([len(t) for t in tokens])
    return ActivationSet(
        layer=settings.layer,
        tokens=np.concatenate(tokens),
        activations=np.concatenate(acts),
        offsets=offsets,
        meta=meta,
    )


def collect_heldout(settings: CorpusSettings, count: int) -> npt.NDArray[np.float32]:
    """Activations (float32 rows, the sink token left out) of the first ``count`` held-out
    corpus prompts and the model's greedy replies, captured through the serving path:
    text the encoder trained with ``settings`` never saw."""
    prompts = generate_prompts(settings.prompts, settings.seed)
    rng = np.random.default_rng(settings.seed)
    heldout = rng.random(len(prompts)) < settings.heldout_fraction
    chosen = [p for p, held in zip(prompts, heldout, strict=True) if held][:count]
    if not chosen:
        raise ValueError("no held-out prompts with these settings")
    rows: list[npt.NDArray[np.float32]] = []
    with ActivationCollector(settings.model_dir, [settings.layer]) as collector:
        spans = [response_span(collector.tokenizer, p.messages, None) for p in chosen]
        for got in collector.collect(spans, max_new_tokens=settings.reply_tokens):
            rows.append(np.asarray(got.served[settings.layer][SINK_POSITIONS:], np.float32))
    return np.concatenate(rows)
