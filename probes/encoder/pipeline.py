"""``llm-monitor encoder train`` and ``llm-monitor encoder export``.

train: collect the corpus through the serving path (or reuse the cached
activations), train the encoder (reconstruction, then predictive), measure its
faithfulness on held-out text, label its concepts, write the weights, ``concepts.json``
and the card, then export ONNX with its parity check. export: the ONNX file and
parity check alone, from trained weights.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from monitor.artifacts import encoder_format
from probes.encoder.card import write_card
from probes.encoder.dataset import (
    SINK_POSITIONS,
    ActivationSet,
    CorpusSettings,
    collect_corpus,
)
from probes.encoder.evaluate import capture_agreement, ce_figures, encode_rows
from probes.encoder.export import OPSET, check_parity, export_onnx
from probes.encoder.labels import build_concepts, most_associated
from probes.encoder.settings import EncoderTrainSettings
from probes.encoder.topk import EncoderConfig, TopKEncoder
from probes.encoder.train import train_predictive, train_reconstruction

log = logging.getLogger("llm_monitor.encoder")

CHOICE = (
    "m = 4096 (about 7x d_model = 576) and k = 32. The corpus is about 400 thousand "
    "tokens: at m = 4096 each concept is active on about 2,700 training tokens per epoch on "
    "average, and m = 8192 would halve that (more concepts would die) and double the "
    "encoder's matmul, the sidecar's cost per token. k = 32 of 4096 keeps under 1% of the "
    "concepts active, few enough to read per token, and enough directions for the "
    "reconstruction to keep the next-token distribution (figures below). Other values "
    "of m and k were not trained for comparison."
)
PARITY_ROWS = 4096
AGREEMENT_SEQUENCES = 8


def activations(settings: EncoderTrainSettings) -> ActivationSet:
    """The cached activation set, collected now if missing (or if asked to)."""
    path = settings.cache_dir / f"activations-L{settings.layer}.npz"
    if path.is_file() and not settings.recollect:
        log.info("reusing captured activations from %s", path)
        return ActivationSet.load(path)
    data = collect_corpus(
        CorpusSettings(
            model_dir=settings.model_dir,
            layer=settings.layer,
            prompts=settings.prompts,
            reply_tokens=settings.reply_tokens,
            data_dir=settings.data_dir,
        )
    )
    data.save(path)
    return data


def _tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir, local_files_only=True)


def _pad_id(tokenizer: Any) -> int:
    return int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0)


def train(settings: EncoderTrainSettings) -> dict[str, Any]:
    """Train, evaluate, label and export; returns the card."""
    started = time.monotonic()
    data = activations(settings)
    if data.d_model <= 0 or data.layer != settings.layer:
        raise ValueError(f"cached activations are for layer {data.layer}, not {settings.layer}")
    config = EncoderConfig(
        d_model=data.d_model,
        m=settings.train.m,
        k=settings.train.k,
        layer=settings.layer,
        model_name=settings.model_name,
    )
    train_idx = data.select("train")
    heldout_idx = data.select("heldout")
    t0 = time.monotonic()
    encoder, recon_history = train_reconstruction(data, train_idx, config, settings.train)
    recon_s = time.monotonic() - t0
    tokenizer = _tokenizer(settings.model_dir)
    pad = _pad_id(tokenizer)
    sequences = [data.sequence(i)[0].tolist() for i in train_idx]
    t0 = time.monotonic()
    kl_history = train_predictive(encoder, settings.model_dir, sequences, settings.train, pad)
    kl_s = time.monotonic() - t0
    encoder.eval()
    encoder.save(settings.cache_dir / "weights")
    return finish(
        encoder,
        data,
        settings,
        training={
            "reconstruction_steps": len(recon_history) and int(recon_history[-1]["step"]) + 1,
            "reconstruction_tokens": (int(recon_history[-1]["step"]) + 1)
            * settings.train.batch_tokens,
            "reconstruction_seconds": round(recon_s, 1),
            "predictive_steps": len(kl_history),
            "predictive_sequences": len(kl_history) * settings.train.kl_batch_sequences,
            "predictive_seconds": round(kl_s, 1),
            "predictive_final_kl": kl_history[-1]["kl"] if kl_history else None,
            "total_seconds": round(time.monotonic() - started, 1),
            "settings": json.dumps(asdict(settings.train)),
        },
        heldout_idx=heldout_idx,
        train_idx=train_idx,
    )


def finish(
    encoder: TopKEncoder,
    data: ActivationSet,
    settings: EncoderTrainSettings,
    training: dict[str, Any],
    heldout_idx: list[int],
    train_idx: list[int],
) -> dict[str, Any]:
    """Figures, labels, weights, card and ONNX for a trained encoder."""
    out = settings.out_dir
    out.mkdir(parents=True, exist_ok=True)
    encoder.save(out)
    tokenizer = _tokenizer(settings.model_dir)
    heldout_rows = data.rows(heldout_idx, skip=SINK_POSITIONS)
    ids_h, values_h, err, var = encode_rows(encoder, data.activations[heldout_rows])
    fired = np.zeros(encoder.config.m, bool)
    fired[ids_h[values_h > 0]] = True
    corpus_heldout = [i for i in heldout_idx if data.meta[i]["source"] == "corpus"]
    rng = np.random.default_rng(0)
    ce_seqs = sorted(
        rng.choice(corpus_heldout, min(settings.ce_sequences, len(corpus_heldout)), False)
    )
    figures: dict[str, Any] = {
        "fve": 1.0 - err / var,
        "dead_fraction": float(1.0 - fired.mean()),
        "dead_tokens_evaluated": len(heldout_rows),
    }
    figures.update(
        ce_figures(
            encoder,
            settings.model_dir,
            [data.sequence(int(i))[0].tolist() for i in ce_seqs],
            _pad_id(tokenizer),
        )
    )
    probe_concepts, figures["dead_fraction_all_tokens"] = write_labels(
        encoder, data, tokenizer, out, settings.model_name
    )
    agreement = capture_agreement(settings.model_dir, data, heldout_idx[:AGREEMENT_SEQUENCES])
    card: dict[str, Any] = {
        "model_name": settings.model_name,
        "layer": encoder.config.layer,
        "d_model": encoder.config.d_model,
        "m": encoder.config.m,
        "k": encoder.config.k,
        "choice": CHOICE,
        "figures": figures,
        "figures_notes": (
            f"FVE and the dead fraction are over all {len(heldout_rows)} held-out tokens "
            "(captured through vLLM); a concept is dead when it is never active among a "
            f"token's top k there (over all {len(data.tokens)} collected tokens: "
            f"{figures['dead_fraction_all_tokens']:.4f}). The first token of every sequence "
            "is left out of training and of every figure and is never patched: it is an "
            "attention sink whose residual is the same for every request, with a norm about "
            "150 times a typical token's; the sidecar still encodes it, and its concepts "
            "mean nothing."
        ),
        "data": {
            "sequences": len(data.meta),
            "tokens": len(data.tokens),
            "train_sequences": len(train_idx),
            "heldout_sequences": len(heldout_idx),
            "corpus_sequences": sum(m["source"] == "corpus" for m in data.meta),
            "probe_data_sequences": sum(m["source"] == "probe_data" for m in data.meta),
            "ce_sequences": len(ce_seqs),
        },
        "training": training,
        "capture_agreement": agreement,
        "probe_concepts": probe_concepts,
    }
    write_card(out, card)
    return export(out, data.activations[heldout_rows[:PARITY_ROWS]].astype(np.float32))


def write_labels(
    encoder: TopKEncoder, data: ActivationSet, tokenizer: Any, out: Path, model_name: str
) -> tuple[dict[str, list[dict[str, Any]]], float]:
    """Label every concept on all collected tokens, write ``concepts.json``; return the
    concepts most associated with each probe concept and the dead fraction over all
    tokens."""
    all_ids, all_values, _, _ = encode_rows(encoder, data.activations)
    all_values[data.offsets[:-1]] = 0.0  # the attention-sink token: not a concept example
    concepts, correlations = build_concepts(tokenizer, data, all_ids, all_values, encoder.config.m)
    fired = np.zeros(encoder.config.m, bool)
    fired[all_ids[all_values > 0]] = True
    encoder_format.write_concepts(
        out / encoder_format.CONCEPTS_FILE,
        concepts,
        model_name=model_name,
        layer=encoder.config.layer,
    )
    return most_associated(concepts, correlations), float(1.0 - fired.mean())


def relabel(directory: Path, model_dir: Path, cache_dir: Path) -> dict[str, Any]:
    """Rewrite ``concepts.json`` and the card's probe-concept lists of a trained encoder."""
    encoder = TopKEncoder.load(directory)
    data = ActivationSet.load(cache_dir / f"activations-L{encoder.config.layer}.npz")
    card = encoder_format.read_card_document(directory / encoder_format.CARD_FILE)
    card["probe_concepts"], _ = write_labels(
        encoder, data, _tokenizer(model_dir), directory, card["model_name"]
    )
    write_card(directory, card)
    return card


def heldout_activations(cache_dir: Path, layer: int, limit: int = PARITY_ROWS) -> np.ndarray | None:
    """Up to ``limit`` held-out rows of the cached activations (None if none)."""
    path = cache_dir / f"activations-L{layer}.npz"
    if not path.is_file():
        return None
    data = ActivationSet.load(path)
    rows = data.rows(data.select("heldout"), skip=SINK_POSITIONS)[:limit]
    return np.asarray(data.activations[rows], np.float32)


def export(directory: Path, activations: np.ndarray | None = None) -> dict[str, Any]:
    """Export ``directory``'s trained weights to ``encoder.onnx``, check parity against
    torch on ``activations`` (default: random rows at the data's scale), record it in
    the card; returns the card. Raises ``ValueError`` when parity fails."""
    encoder = TopKEncoder.load(directory)
    if activations is None:
        rng = np.random.default_rng(0)
        noise = rng.normal(size=(PARITY_ROWS, encoder.config.d_model)).astype(np.float32)
        activations = noise / float(encoder.scale) + encoder.b_pre.detach().numpy()
    path = export_onnx(encoder, directory / encoder_format.ONNX_FILE)
    parity = check_parity(encoder, path, activations.astype(np.float32))
    card_path = directory / encoder_format.CARD_FILE
    card = encoder_format.read_card_document(card_path) if card_path.is_file() else {}
    if card:
        card["onnx_opset"] = OPSET
        card["onnx_parity"] = asdict(parity)
        if "figures" in card:  # a full card from training: refresh CARD.md too
            write_card(directory, card)
        else:
            encoder_format.write_card(card_path, card)
    if not parity.ok():
        raise ValueError(f"ONNX parity failed: {parity}")
    return card
