"""``llm-monitor encoder quantize``: write and measure the int8 concept encoder.

The activations it is measured on are never training data: the held-out rows of the
training collection when they are cached here, else held-out corpus prompts (the ones
training set aside) with the model's replies, captured now through vLLM and the plugin.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from monitor import model
from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.cli.flags import model_dir_or_default, positive_float, positive_int, print_json
from probes.encoder.settings import encoder_cache_dir

#: Held-out sequences captured when no cached collection exists.
DEFAULT_SEQUENCES = 64
#: Reply tokens generated per held-out prompt.
DEFAULT_REPLY_TOKENS = 64
#: Cached held-out rows used at most.
MAX_CACHED_ROWS = 20000


def cmd_encoder_quantize(args: argparse.Namespace) -> int:
    """Quantize the encoder to int8 and record its agreement with float32."""
    from monitor.artifacts import encoder_format
    from monitor.artifacts.shipped import encoder_artifact_dir
    from probes.encoder import quantize

    directory = args.dir or encoder_artifact_dir(args.model_name)
    try:
        card = encoder_format.read_card(directory / encoder_format.CARD_FILE)
    except encoder_format.EncoderError as exc:
        raise CommandError(str(exc), ExitCode.ARTIFACTS) from None
    activations, source = _activations(args, card.layer)
    try:
        section = quantize.quantize_encoder(directory, activations, source, args.min_overlap)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print_json({"int8": str(directory / encoder_format.INT8_ONNX_FILE), **section})
    return ExitCode.OK


def _activations(args: argparse.Namespace, layer: int) -> tuple[Any, str]:
    """Held-out activations and a description of them for the card."""
    from probes.encoder.dataset import CorpusSettings, collect_heldout
    from probes.encoder.pipeline import heldout_activations

    cache = encoder_cache_dir(args.cache_dir, args.model_name)
    cached = None if args.recollect else heldout_activations(cache, layer, MAX_CACHED_ROWS)
    if cached is not None and len(cached):
        return cached, f"held-out tokens of the training collection ({cache})"
    settings = CorpusSettings(
        model_dir=model_dir_or_default(args.model), layer=layer, reply_tokens=args.reply_tokens
    )
    acts = collect_heldout(settings, args.sequences)
    return acts, (
        f"{args.sequences} held-out corpus prompts with the model's {args.reply_tokens}-token "
        "greedy replies, captured through vLLM (the sink token left out)"
    )


def register_quantize(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], model_dir_help: str
) -> None:
    """Add ``quantize`` to the ``encoder`` actions."""
    from probes.encoder.quantize import MIN_OVERLAP

    p = actions.add_parser(
        "quantize",
        help="write encoder.int8.onnx and measure its agreement with encoder.onnx",
        description="Quantize the encoder's weights to int8 (onnxruntime dynamic "
        "quantization), compare its top-k concepts with the float32 graph's on held-out "
        "activations (cached ones, else held-out corpus prompts captured through vLLM now), "
        "record the figures and the file's sha256 in card.json, and refuse a graph that "
        "keeps less than --min-overlap of the concepts. The sidecar runs the result with "
        "encoder_precision: int8.",
        epilog=epilog(ExitCode.ARTIFACTS),
    )
    p.add_argument("--dir", type=Path, help="encoder directory (default: shipped)")
    p.add_argument(
        "--model-name", default=model.DEFAULT_MODEL_NAME, help="served model name (%(default)s)"
    )
    p.add_argument("--model", type=Path, help=model_dir_help)
    p.add_argument(
        "--cache-dir",
        type=Path,
        help="cached training activations whose held-out rows are used when present "
        "(default: cache root/encoder/MODEL)",
    )
    p.add_argument(
        "--recollect", action="store_true", help="capture held-out prompts even if cached"
    )
    p.add_argument(
        "--sequences",
        type=positive_int,
        default=DEFAULT_SEQUENCES,
        help="held-out prompts to capture (default %(default)s)",
    )
    p.add_argument(
        "--reply-tokens",
        type=positive_int,
        default=DEFAULT_REPLY_TOKENS,
        help="reply tokens per captured prompt (default %(default)s)",
    )
    p.add_argument(
        "--min-overlap",
        type=positive_float,
        default=MIN_OVERLAP,
        help="least mean share of top-k concepts int8 must keep (default %(default)s)",
    )
    p.set_defaults(func=cmd_encoder_quantize)
