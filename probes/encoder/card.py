"""The encoder's card: ``card.json`` (what the sidecar checks, plus every computed
figure) and ``CARD.md`` (the same for people)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.artifacts import encoder_format

GOALS = {"ce_loss_recovered": 0.90, "dead_fraction": 0.10}


def write_card(directory: Path, card: dict[str, Any]) -> None:
    """Write ``card.json`` (through the directory format, which checks the fields the
    sidecar reads) and ``CARD.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    encoder_format.write_card(directory / encoder_format.CARD_FILE, card)
    (directory / encoder_format.CARD_MARKDOWN_FILE).write_text(markdown(card))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(card: dict[str, Any]) -> str:
    """The card as markdown, from ``card.json``'s content only."""
    f = card["figures"]
    lines = [
        f"# Concept encoder: {card['model_name']}, layer {card['layer']}",
        "",
        f"TopK sparse concept bottleneck: z = TopK_k(W_enc ((a - b_pre) * s) + b_enc), "
        f"m = {card['m']} concepts, k = {card['k']} active per token, d_model = "
        f"{card['d_model']}. Trained on activations captured through the serving path, "
        "first to reconstruct them, then to keep the model's next-token distribution when "
        "the reconstruction is patched in at the layer (KL to the model's own logits).",
        "",
        "## Why these m and k",
        "",
        card.get("choice", ""),
        "",
        "## Faithfulness (held-out text)",
        "",
        "| figure | value | goal |",
        "| --- | --- | --- |",
        f"| CE loss recovered | {_fmt(f['ce_loss_recovered'])} | >= {GOALS['ce_loss_recovered']} |",
        f"| dead fraction | {_fmt(f['dead_fraction'])} | < {GOALS['dead_fraction']} |",
        f"| fraction of variance explained | {_fmt(f['fve'])} | |",
        f"| KL(model, patched) per token (nats) | {_fmt(f['kl_patched'])} | |",
        f"| CE clean / patched / zero-ablated (nats) | {_fmt(f['ce_clean'])} / "
        f"{_fmt(f['ce_patched'])} / {_fmt(f['ce_zero_ablation'])} | |",
        f"| k, m | {card['k']}, {card['m']} | |",
        "",
        f"CE loss recovered = (CE_zero - CE_patched) / (CE_zero - CE_clean) over "
        f"{int(f['ce_tokens'])} predicted tokens of {card['data']['heldout_sequences']} "
        "held-out sequences; the residual after the layer is replaced at every token but "
        "each sequence's first (see below). "
        f"{card['figures_notes']}",
        "",
        "## Data and training",
        "",
    ]
    for key, value in card["data"].items():
        lines.append(f"- {key}: {_fmt(value)}")
    for key, value in card["training"].items():
        lines.append(f"- {key}: {_fmt(value)}")
    agreement = card.get("capture_agreement", {})
    if agreement:
        lines += [
            "",
            "Transformers' decoder-layer output (used for the KL phase and the CE figures) "
            "against the activations vLLM's capture gave: "
            + ", ".join(f"{k} {_fmt(v)}" for k, v in agreement.items())
            + ".",
        ]
    parity = card.get("onnx_parity")
    if parity:
        lines += [
            "",
            "## ONNX",
            "",
            f"`encoder.onnx` (opset {card.get('onnx_opset')}): torch vs onnxruntime on "
            f"{parity['rows']} held-out rows: max abs difference of the values "
            f"{_fmt(parity['max_abs_diff'])}; top-k sets identical in "
            f"{parity['rows'] - parity['rows_with_different_sets']} rows, and in the other "
            f"{parity['rows_with_different_sets']} the sets differ only by concepts tied at "
            f"the k-th place to within {parity['tie_tolerance']:g} "
            f"(rows differing beyond such ties: {parity['rows_different_beyond_ties']}).",
        ]
    int8 = card.get("int8")
    if int8:
        lines += [
            "",
            "## int8",
            "",
            f"`encoder.int8.onnx` ({int8['method']}), against `encoder.onnx` on "
            f"{int8['rows']} rows of {int8['activations']}: on average "
            f"{int8['topk_overlap']:.2%} of a token's top-k concepts are the same (1st "
            f"percentile of tokens {int8['topk_overlap_p01']:.2%}), the strongest concept "
            f"is the same on {int8['top1_same']:.2%} of tokens, median relative error of "
            f"the top-k values {int8['value_relative_error']:.3f}. The sidecar runs it with "
            "`encoder_precision: int8`.",
        ]
    lines += ["", "## Concepts most associated with each probe concept", ""]
    lines.append(
        "Pearson correlation, over the probe data sets' records, of the concept's mean "
        "activation on the record's read tokens with the record's label. Labels are the "
        "tokens each concept fires on most among its top activations; `concepts.json` has "
        "every concept's top contexts."
    )
    for name, items in card.get("probe_concepts", {}).items():
        lines += ["", f"### {name}", "", "| concept | label | r |", "| --- | --- | --- |"]
        lines += [f"| {c['id']} | {_cell(c['label'])} | {c['r']:.3f} |" for c in items]
    return "\n".join(lines) + "\n"
