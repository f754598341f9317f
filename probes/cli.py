"""The toolkit's commands: ``llm-monitor train``, ``eval``, ``encoder train | export |
quantize``.

``monitor.cli`` registers them through :func:`register` when the toolkit is installed.
Flags take their defaults from the settings dataclasses (:mod:`probes.settings`,
:mod:`probes.encoder.settings`); the pipelines (numpy, scikit-learn, torch, vLLM) are
imported when a command runs, so ``llm-monitor --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor import model
from monitor.artifacts.shipped import artifact_dir, encoder_artifact_dir
from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.cli.flags import (
    default_of,
    existing_file,
    model_dir_or_default,
    non_negative_int,
    positive_float,
    positive_int,
    print_json,
)
from probes.encoder.quantize_cli import register_quantize
from probes.encoder.settings import DATA_DIR as ENCODER_DATA_DIR
from probes.encoder.settings import EncoderTrainSettings, encoder_cache_dir
from probes.encoder.settings import TrainSettings as EncoderHyperParameters
from probes.settings import EvalSettings, TrainSettings

MODEL_DIR_HELP = "model directory (default: the prepared default model)"


def _dev_sets(pairs: list[str]) -> dict[str, tuple[Path, ...]]:
    """``CONCEPT=FILE`` pairs into {concept: files}."""
    out: dict[str, tuple[Path, ...]] = {}
    for pair in pairs:
        concept, sep, path = pair.partition("=")
        if not sep or not Path(path).is_file():
            raise CommandError(
                f"--dev-set wants CONCEPT=FILE with an existing file: {pair}", ExitCode.USAGE
            )
        out[concept] = (*out.get(concept, ()), Path(path))
    return out


def cmd_train(args: argparse.Namespace) -> int:
    """Fit, calibrate and write probes."""
    from probes import pipeline

    settings = TrainSettings(
        model_dir=model_dir_or_default(args.model),
        model_name=args.model_name,
        out_dir=args.out or artifact_dir(args.model_name),
        concepts=tuple(args.concepts),
        data_dir=args.data_dir or default_of(TrainSettings, "data_dir"),
        layers=tuple(args.layers),
        limit=args.limit,
        dev_sets=_dev_sets(args.dev_set or []),
        reply_tokens=args.reply_tokens,
        compile=args.compile,
    )
    print_json(pipeline.train(settings))
    return ExitCode.OK


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a probe on a labelled JSONL file."""
    probe = args.probe or (args.probe_dir or artifact_dir(args.model_name)) / (
        f"{args.concept}.probe.json"
    )
    if not probe.is_file():
        raise CommandError(
            f"no probe at {probe} (train one with llm-monitor train)", ExitCode.ARTIFACTS
        )
    data = existing_file("--data", args.data)
    settings = EvalSettings(
        model_dir=model_dir_or_default(args.model),
        probe=probe,
        data=data,
        concept=args.concept,
        out_json=args.json,
        reply_tokens=args.reply_tokens,
        compile=args.compile,
    )
    from probes import pipeline

    result = pipeline.evaluate_file(
        settings.model_dir,
        settings.probe,
        settings.data,
        settings.out_json,
        settings.concept,
        settings.reply_tokens,
        compile=settings.compile,
    )
    print_json(result)
    return ExitCode.OK


def cmd_encoder_train(args: argparse.Namespace) -> int:
    """Collect, train, evaluate, label and export a concept encoder."""
    from probes.encoder import pipeline

    settings = EncoderTrainSettings(
        model_dir=model_dir_or_default(args.model),
        model_name=args.model_name,
        out_dir=args.out or encoder_artifact_dir(args.model_name),
        cache_dir=encoder_cache_dir(args.cache_dir, args.model_name),
        layer=args.layer,
        prompts=args.prompts,
        reply_tokens=args.reply_tokens,
        data_dir=args.data_dir or ENCODER_DATA_DIR,
        recollect=args.recollect,
        ce_sequences=args.ce_sequences,
        train=EncoderHyperParameters(
            m=args.m,
            k=args.k,
            recon_epochs=args.recon_epochs,
            kl_seconds=args.kl_seconds,
            kl_max_steps=args.kl_max_steps,
        ),
    )
    card = pipeline.train(settings)
    print_json(card["figures"])
    return ExitCode.OK


def cmd_encoder_export(args: argparse.Namespace) -> int:
    """Export trained weights to ONNX and check parity with torch."""
    from monitor.artifacts import encoder_format

    directory = args.dir or encoder_artifact_dir(args.model_name)
    if not (directory / encoder_format.WEIGHTS_FILE).is_file():
        raise CommandError(
            f"no trained weights ({encoder_format.WEIGHTS_FILE}) in {directory}",
            ExitCode.ARTIFACTS,
        )
    try:
        layer = encoder_format.read_encoder_config(directory / encoder_format.CONFIG_FILE).layer
    except encoder_format.EncoderError as exc:
        raise CommandError(str(exc), ExitCode.ARTIFACTS) from None
    from probes.encoder import pipeline

    activations = pipeline.heldout_activations(
        encoder_cache_dir(args.cache_dir, args.model_name), layer
    )
    try:
        card = pipeline.export(directory, activations)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print_json({"onnx": str(directory / encoder_format.ONNX_FILE), **card.get("onnx_parity", {})})
    return ExitCode.OK


def _register_train(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> Any:
        return default_of(TrainSettings, name)

    train = sub.add_parser(
        "train",
        help="fit probes from labelled JSONL through the serving path",
        description="Collect activations with vLLM and the plugin, label every token with its "
        "segment of the chat, fit each concept's heads on the segments they read, choose "
        "layer, aggregation and head combination on the validation split, calibrate "
        "thresholds at 1%% FPR on ordinary requests, write *.probe.json and REPORT.md.",
        epilog=epilog(),
    )
    train.add_argument("--model", type=Path, help=MODEL_DIR_HELP)
    train.add_argument(
        "--model-name", default=model.DEFAULT_MODEL_NAME, help="served model name (%(default)s)"
    )
    train.add_argument("--out", type=Path, help="output directory (default: shipped artifacts)")
    train.add_argument(
        "--concepts",
        nargs="+",
        default=list(default("concepts")),
        help="concepts to train (files <data-dir>/<concept>.jsonl; default: %(default)s)",
    )
    train.add_argument("--data-dir", type=Path, help="labelled JSONL directory (default: ours)")
    train.add_argument(
        "--layers",
        type=int,
        nargs="+",
        default=list(default("layers")),
        help="layers to sweep (default: %(default)s)",
    )
    train.add_argument(
        "--limit", type=positive_int, help="records per concept and split (quick runs)"
    )
    train.add_argument(
        "--dev-set",
        action="append",
        metavar="CONCEPT=FILE",
        help="also evaluate on this labelled JSONL file in the report (repeatable)",
    )
    train.add_argument(
        "--reply-tokens",
        type=non_negative_int,
        default=default("reply_tokens"),
        help="length of the model's own reply generated for records without a response, "
        "for probes that read replies (default: %(default)s)",
    )
    train.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=default("compile"),
        help="run vLLM compiled, exactly as served (default), or eager (--no-compile: "
        "minutes faster to start, same layers and capture)",
    )
    train.set_defaults(func=cmd_train)


def _register_eval(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> Any:
        return default_of(EvalSettings, name)

    ev = sub.add_parser(
        "eval",
        help="evaluate a probe on a labelled JSONL file",
        description="Score FILE with a probe, each head on the segments of the chat it reads "
        "(and a TF-IDF text baseline and a length-only baseline); report n, AUROC with its "
        "bootstrap 95%% interval, recall at 1%% FPR and at the calibrated threshold; with "
        "--json also a ROC plot (PNG) and a markdown report beside it.",
        epilog=epilog(ExitCode.ARTIFACTS),
    )
    ev.add_argument("--concept", required=True, help="concept to evaluate")
    ev.add_argument("--data", type=Path, required=True, help="labelled JSONL file")
    ev.add_argument("--json", type=Path, help="write the metrics here (and .roc.png, .md)")
    ev.add_argument("--probe", type=Path, help="probe file (default: from --probe-dir)")
    ev.add_argument("--probe-dir", type=Path, help="probe directory (default: shipped)")
    ev.add_argument("--model", type=Path, help=MODEL_DIR_HELP)
    ev.add_argument(
        "--model-name", default=model.DEFAULT_MODEL_NAME, help="served model name (%(default)s)"
    )
    ev.add_argument(
        "--reply-tokens",
        type=non_negative_int,
        default=default("reply_tokens"),
        help="for a probe that reads replies, records without a response are served with the "
        "model's own reply of up to this many tokens, as its threshold was calibrated "
        "(default: %(default)s; probes that read the request never generate)",
    )
    ev.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=default("compile"),
        help="run vLLM compiled as served (--compile) or eager (default: the same layers "
        "and capture, a start-up minutes shorter)",
    )
    ev.set_defaults(func=cmd_eval)


def _register_encoder(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> Any:
        return default_of(EncoderTrainSettings, name)

    def hyper(name: str) -> Any:
        return default_of(EncoderHyperParameters, name)

    encoder = sub.add_parser("encoder", help="train and export the concept encoder")
    actions = encoder.add_subparsers(dest="encoder", metavar="ACTION", required=True)
    train = actions.add_parser(
        "train",
        help="collect activations, train, label and export a concept encoder",
        description="Generate the prompt corpus, capture the serving layer through vLLM and "
        "the plugin (the model's own replies plus the probe data sets), train the TopK "
        "encoder (reconstruction, then KL to the model's logits with the reconstruction "
        "patched in), measure it on held-out text, label its concepts, write the card and "
        "export ONNX with a parity check.",
        epilog=epilog(),
    )
    train.add_argument("--model", type=Path, help=MODEL_DIR_HELP)
    train.add_argument(
        "--model-name", default=model.DEFAULT_MODEL_NAME, help="served model name (%(default)s)"
    )
    train.add_argument("--out", type=Path, help="artifact directory (default: shipped)")
    train.add_argument(
        "--cache-dir", type=Path, help="captured activations (default: cache root/encoder/MODEL)"
    )
    train.add_argument(
        "--layer", type=int, default=default("layer"), help="decoder layer (default %(default)s)"
    )
    for flag, name, kind, text in (
        ("--prompts", "prompts", positive_int, "corpus prompts"),
        ("--reply-tokens", "reply_tokens", positive_int, "reply length per prompt"),
    ):
        train.add_argument(
            flag, type=kind, default=default(name), help=f"{text} (default %(default)s)"
        )
    train.add_argument(
        "--data-dir", type=Path, help="probe data sets mixed into the corpus (default: ours)"
    )
    train.add_argument(
        "--recollect",
        action="store_true",
        default=default("recollect"),
        help="capture again even if activations are cached",
    )
    hyper_flags: tuple[tuple[str, str, Callable[[str], object], str], ...] = (
        ("--m", "m", positive_int, "number of concepts"),
        ("--k", "k", positive_int, "active concepts per token"),
        ("--recon-epochs", "recon_epochs", positive_float, "reconstruction epochs"),
        ("--kl-seconds", "kl_seconds", positive_float, "time for the KL phase"),
        ("--kl-max-steps", "kl_max_steps", positive_int, "most steps of the KL phase"),
    )
    for flag, name, parse, text in hyper_flags:
        train.add_argument(
            flag, type=parse, default=hyper(name), help=f"{text} (default %(default)s)"
        )
    train.add_argument(
        "--ce-sequences",
        type=positive_int,
        default=default("ce_sequences"),
        help="held-out sequences for the CE loss figures (default %(default)s)",
    )
    train.set_defaults(func=cmd_encoder_train)

    export = actions.add_parser(
        "export",
        help="export trained weights to ONNX and check parity with torch",
        description="Write encoder.onnx (opset 18) from encoder.pt in DIR and check that "
        "onnxruntime matches torch (max abs difference <= 1e-4; top-k sets identical but for "
        "concepts tied at the k-th place within 1e-4).",
        epilog=epilog(ExitCode.ARTIFACTS),
    )
    export.add_argument("--dir", type=Path, help="encoder directory (default: shipped)")
    export.add_argument(
        "--model-name", default=model.DEFAULT_MODEL_NAME, help="served model name (%(default)s)"
    )
    export.add_argument(
        "--cache-dir",
        type=Path,
        help="captured activations whose held-out rows the parity check uses "
        "(default: cache root/encoder/MODEL; random rows when absent)",
    )
    export.set_defaults(func=cmd_encoder_export)
    register_quantize(actions, MODEL_DIR_HELP)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``train``, ``eval`` and ``encoder train | export | quantize``."""
    _register_train(sub)
    _register_eval(sub)
    _register_encoder(sub)
