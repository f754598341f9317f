"""``llm-monitor encoder train | export`` and ``llm-monitor bench encoder``.

Training and export live in the offline toolkit (``probes.encoder``), imported only
when those commands run; the benchmark needs only the sidecar's encoder.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from monitor import model

DEFAULT_MODEL_NAME = model.DEFAULT_MODEL_NAME


def _toolkit() -> ModuleType:
    try:
        from probes.encoder import pipeline
    except ImportError as exc:
        raise SystemExit(
            f"llm-monitor: the encoder toolkit is not installed ({exc}); "
            "install llm-monitor with its 'train' extra from a source checkout"
        ) from None
    return pipeline


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _print(result: dict[str, Any], path: Path | None) -> None:
    text = json.dumps(result, indent=2)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")


def cmd_encoder_train(args: argparse.Namespace) -> int:
    """Collect, train, evaluate, label and export a concept encoder."""
    pipeline = _toolkit()
    from monitor.launch import SHIPPED_PROBES
    from probes.encoder.train import TrainSettings

    settings = pipeline.EncoderTrainSettings(
        model_dir=args.model or model.prepare(model.ModelSettings(), check=False),
        model_name=args.model_name,
        out_dir=args.out or SHIPPED_PROBES / args.model_name / "encoder",
        cache_dir=args.cache_dir or model.default_cache_dir() / "encoder" / args.model_name,
        layer=args.layer,
        prompts=args.prompts,
        reply_tokens=args.reply_tokens,
        data_dir=args.data_dir or pipeline.DATA_DIR,
        recollect=args.recollect,
        ce_sequences=args.ce_sequences,
        train=TrainSettings(
            m=args.m,
            k=args.k,
            recon_epochs=args.recon_epochs,
            kl_seconds=args.kl_seconds,
            kl_max_steps=args.kl_max_steps,
        ),
    )
    card = pipeline.train(settings)
    _print(card["figures"], None)
    return 0


def cmd_encoder_export(args: argparse.Namespace) -> int:
    """Export trained weights to ONNX and check parity with torch."""
    pipeline = _toolkit()
    from monitor.launch import SHIPPED_PROBES

    directory = args.dir or SHIPPED_PROBES / args.model_name / "encoder"
    if not (directory / "encoder.pt").is_file():
        raise SystemExit(f"llm-monitor: no trained weights (encoder.pt) in {directory}")
    cache_dir = args.cache_dir or model.default_cache_dir() / "encoder" / args.model_name
    layer = json.loads((directory / "encoder-config.json").read_text())["layer"]
    try:
        card = pipeline.export(directory, pipeline.heldout_activations(cache_dir, layer))
    except ValueError as exc:
        raise SystemExit(f"llm-monitor: {exc}") from None
    _print({"onnx": str(directory / "encoder.onnx"), **card.get("onnx_parity", {})}, None)
    return 0


def cmd_bench_encoder(args: argparse.Namespace) -> int:
    """Concept-encoder throughput through onnxruntime."""
    from monitor.bench_encoder import EncoderBenchSettings, run_encoder_bench
    from monitor.launch import shipped_encoder_dir
    from monitor.sidecar.scoring.encoder import EncoderError

    directory = args.encoder_dir or shipped_encoder_dir(args.model_name)
    if directory is None:
        raise SystemExit(
            f"llm-monitor: no encoder shipped for {args.model_name}; pass --encoder-dir"
        )
    try:
        result = run_encoder_bench(
            EncoderBenchSettings(
                encoder_dir=directory,
                batch_rows=args.batch_rows,
                seconds=args.seconds,
                threads=args.threads,
            )
        )
    except EncoderError as exc:
        raise SystemExit(f"llm-monitor: {exc}") from None
    _print(result, args.json)
    return 0


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``encoder train`` and ``encoder export``."""
    encoder = sub.add_parser("encoder", help="train and export the concept encoder")
    encoder_sub = encoder.add_subparsers(dest="encoder", metavar="ACTION", required=True)
    train = encoder_sub.add_parser(
        "train",
        help="collect activations, train, label and export a concept encoder",
        description="Generate the prompt corpus, capture the serving layer through vLLM and "
        "the plugin (the model's own replies plus the probe data sets), train the TopK "
        "encoder (reconstruction, then KL to the model's logits with the reconstruction "
        "patched in), measure it on held-out text, label its concepts, write the card and "
        "export ONNX with a parity check.",
    )
    train.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    train.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help="served model name")
    train.add_argument("--out", type=Path, help="artifact directory (default: shipped)")
    train.add_argument(
        "--cache-dir", type=Path, help="captured activations (default: cache root/encoder/MODEL)"
    )
    train.add_argument("--layer", type=int, default=15, help="decoder layer (default 15)")
    train.add_argument("--prompts", type=_positive_int, default=2400, help="corpus prompts")
    train.add_argument(
        "--reply-tokens", type=_positive_int, default=96, help="reply length per prompt"
    )
    train.add_argument("--data-dir", type=Path, help="probe data sets (default: ours)")
    train.add_argument(
        "--recollect", action="store_true", help="capture again even if activations are cached"
    )
    train.add_argument("--m", type=_positive_int, default=4096, help="number of concepts")
    train.add_argument("--k", type=_positive_int, default=32, help="active concepts per token")
    train.add_argument(
        "--recon-epochs", type=_positive_float, default=8.0, help="reconstruction epochs"
    )
    train.add_argument(
        "--kl-seconds", type=_positive_float, default=900.0, help="time for the KL phase"
    )
    train.add_argument(
        "--kl-max-steps", type=_positive_int, default=2000, help="most steps of the KL phase"
    )
    train.add_argument(
        "--ce-sequences",
        type=_positive_int,
        default=240,
        help="held-out sequences for the CE loss figures (default 240)",
    )
    train.set_defaults(func=cmd_encoder_train)

    export = encoder_sub.add_parser(
        "export",
        help="export trained weights to ONNX and check parity with torch",
        description="Write encoder.onnx (opset 18) from encoder.pt in DIR and check that "
        "onnxruntime matches torch (max abs difference <= 1e-4; top-k sets identical but for "
        "concepts tied at the k-th place within 1e-4).",
    )
    export.add_argument("--dir", type=Path, help="encoder directory (default: shipped)")
    export.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help="served model name")
    export.add_argument(
        "--cache-dir",
        type=Path,
        help="captured activations whose held-out rows the parity check uses "
        "(default: cache root/encoder/MODEL; random rows when absent)",
    )
    export.set_defaults(func=cmd_encoder_export)


def add_bench_subcommand(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bench encoder``."""
    bench = bench_sub.add_parser(
        "encoder",
        help="concept-encoder tokens/s through onnxruntime",
        description="Encode batches of activations with the concept encoder (onnxruntime) "
        "for a fixed time; print tokens/s and the encoder card's CE loss recovered and dead "
        "fraction.",
    )
    bench.add_argument("--json", type=Path, help="also write the result to this file")
    bench.add_argument("--encoder-dir", type=Path, help="encoder directory (default: shipped)")
    bench.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help="served model name")
    bench.add_argument(
        "--batch-rows", type=_positive_int, default=256, help="rows per call (default 256)"
    )
    bench.add_argument(
        "--seconds", type=_positive_float, default=10.0, help="measuring time (default 10)"
    )
    bench.add_argument(
        "--threads", type=_positive_int, default=1, help="onnxruntime intra-op threads"
    )
    bench.set_defaults(func=cmd_bench_encoder)
