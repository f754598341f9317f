"""The ``llm-monitor`` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from monitor import __version__


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _load_sidecar_config(path: Path | None):  # type: ignore[no-untyped-def]
    from monitor.sidecar.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        raise SystemExit(f"llm-monitor: invalid configuration: {exc}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the sidecar alone."""
    from monitor.sidecar.app import run

    return run(_load_sidecar_config(args.config), config_path=args.config)


def cmd_up(args: argparse.Namespace) -> int:
    """Run vLLM with the plugin and the sidecar together."""
    from monitor import model
    from monitor.launch import (
        VllmServerSettings,
        run_up,
        shipped_encoder_dir,
        shipped_probe_dir,
    )

    config = _load_sidecar_config(args.config)
    model_dir = args.model
    if model_dir is None:
        model_dir = model.prepare(model.ModelSettings(), check=False)
    name = args.served_model_name or (
        model.DEFAULT_MODEL_NAME if args.model is None else Path(args.model).name
    )
    updates: dict[str, object] = {}
    if config.probe_dir is None and (shipped := shipped_probe_dir(name)) is not None:
        updates["probe_dir"] = shipped
    if config.encoder_dir is None and (encoder := shipped_encoder_dir(name)) is not None:
        updates["encoder_dir"] = encoder
    if config.model_name is None:
        updates["model_name"] = name
    if config.tokenizer_path is None:
        updates["tokenizer_path"] = Path(model_dir)  # segments chats with its chat template
    storage_updates: dict[str, object] = {}
    if config.storage.path is None:  # `up` keeps flagged traces in the cache directory
        storage_updates["path"] = model.default_cache_dir() / "traces.sqlite"
    if config.storage.keep_token_text and config.storage.tokenizer_path is None:
        storage_updates["tokenizer_path"] = Path(model_dir)  # the served model's tokenizer
    if storage_updates:
        updates["storage"] = config.storage.model_copy(update=storage_updates)
    config = config.model_copy(update=updates)
    server = VllmServerSettings(
        model_dir=Path(model_dir),
        served_model_name=name,
        host=args.host,
        port=args.port,
        layers=args.layers,
        kv_cache_gib=args.kv_cache_gib,
        enforce_eager=args.enforce_eager,
        extra_args=args.vllm_args,
    )
    return run_up(config, server, config_path=args.config)


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark and print (and optionally write) its JSON result."""
    from monitor.bench import run_overhead

    result = run_overhead(args)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


def _probes_pipeline():  # type: ignore[no-untyped-def]
    """The offline toolkit (``probes``), imported only by the commands that need it."""
    try:
        from probes import pipeline
    except ImportError as exc:
        raise SystemExit(
            f"llm-monitor: the probe toolkit is not installed ({exc}); "
            "install llm-monitor with its 'train' extra from a source checkout"
        ) from None
    return pipeline


def _model_dir(path: Path | None) -> Path:
    from monitor import model

    return path or model.prepare(model.ModelSettings(), check=False)


def _non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _dev_sets(pairs: list[str]) -> dict[str, tuple[Path, ...]]:
    """``CONCEPT=FILE`` pairs into {concept: files}."""
    out: dict[str, tuple[Path, ...]] = {}
    for pair in pairs:
        concept, sep, path = pair.partition("=")
        if not sep or not Path(path).is_file():
            raise SystemExit(
                f"llm-monitor: --dev-set wants CONCEPT=FILE with an existing file: {pair}"
            )
        out[concept] = (*out.get(concept, ()), Path(path))
    return out


def cmd_train(args: argparse.Namespace) -> int:
    """Fit, calibrate and write probes."""
    pipeline = _probes_pipeline()
    from monitor.launch import SHIPPED_PROBES

    settings = pipeline.TrainSettings(
        model_dir=_model_dir(args.model),
        model_name=args.model_name,
        out_dir=args.out or SHIPPED_PROBES / args.model_name,
        concepts=tuple(args.concepts),
        data_dir=args.data_dir or pipeline.DATA_DIR,
        layers=tuple(args.layers),
        limit=args.limit,
        dev_sets=_dev_sets(args.dev_set or []),
        reply_tokens=args.reply_tokens,
        compile=args.compile,
    )
    summary = pipeline.train(settings)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a probe on a labelled JSONL file."""
    pipeline = _probes_pipeline()
    from monitor.launch import SHIPPED_PROBES

    probe = args.probe or (args.probe_dir or SHIPPED_PROBES / args.model_name) / (
        f"{args.concept}.probe.json"
    )
    if not probe.is_file():
        raise SystemExit(f"llm-monitor: no probe at {probe} (train one with llm-monitor train)")
    if not args.data.is_file():
        raise SystemExit(f"llm-monitor: no data file at {args.data}")
    result = pipeline.evaluate_file(
        _model_dir(args.model),
        probe,
        args.data,
        args.json,
        args.concept,
        args.reply_tokens,
        compile=args.compile,
    )
    print(json.dumps(result, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from monitor import encoder_cli, model, query_cli, rules_cli

    parser = argparse.ArgumentParser(
        prog="llm-monitor",
        description="Monitor an LLM served by vLLM with activation probes.",
    )
    parser.add_argument("--version", action="version", version=f"llm-monitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    up = sub.add_parser(
        "up",
        help="start vLLM (OpenAI API) with the plugin and the sidecar on this machine",
        description="Start vLLM's OpenAI server on 127.0.0.1:8000 with capture enabled, and "
        "the sidecar (gRPC 127.0.0.1:50051, metrics 127.0.0.1:9400/metrics). Ctrl-C stops both.",
    )
    up.add_argument("--config", type=Path, help="sidecar configuration (monitor.yaml)")
    up.add_argument("--model", type=Path, help="model directory (default: the prepared default)")
    up.add_argument("--served-model-name", help="name clients and metrics use for the model")
    up.add_argument("--host", default="127.0.0.1", help="OpenAI API host (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=8000, help="OpenAI API port (default 8000)")
    up.add_argument(
        "--layers", type=int, nargs="+", help="decoder layers to capture (default: middle)"
    )
    up.add_argument("--kv-cache-gib", type=int, default=1, help="CPU KV cache size (GiB)")
    up.add_argument("--enforce-eager", action="store_true", help="run vLLM without compiling")
    up.add_argument(
        "vllm_args", nargs=argparse.REMAINDER, help="after '--': more arguments for vllm serve"
    )
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser(
        "serve",
        help="run the sidecar alone",
        description="Run the sidecar: gRPC ingest, probe scoring and Prometheus metrics.",
    )
    serve.add_argument("--config", type=Path, help="monitor.yaml (env LLM_MONITOR_* overrides)")
    serve.set_defaults(func=cmd_serve)

    model.add_subcommands(sub)
    query_cli.add_subcommands(sub)
    rules_cli.add_subcommands(sub)
    encoder_cli.add_subcommands(sub)

    train = sub.add_parser(
        "train",
        help="fit probes from labelled JSONL through the serving path",
        description="Collect activations with vLLM and the plugin, label every token with its "
        "segment of the chat, fit each concept's heads on the segments they read, choose "
        "layer, aggregation and head combination on the validation split, calibrate "
        "thresholds at 1%% FPR on ordinary requests, write *.probe.json and REPORT.md.",
    )
    train.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    train.add_argument("--model-name", default="SmolLM2-135M-Instruct", help="served model name")
    train.add_argument("--out", type=Path, help="output directory (default: shipped artifacts)")
    train.add_argument(
        "--concepts",
        nargs="+",
        default=["deception", "eval_awareness", "misuse"],
        help="concepts to train (files <data-dir>/<concept>.jsonl)",
    )
    train.add_argument("--data-dir", type=Path, help="labelled JSONL directory (default: ours)")
    train.add_argument(
        "--layers", type=int, nargs="+", default=[15, 18], help="layers to sweep (default 15 18)"
    )
    train.add_argument("--limit", type=int, help="records per concept and split (quick runs)")
    train.add_argument(
        "--dev-set",
        action="append",
        metavar="CONCEPT=FILE",
        help="also evaluate on this labelled JSONL file in the report (repeatable)",
    )
    train.add_argument(
        "--reply-tokens",
        type=_non_negative_int,
        default=48,
        help="length of the model's own reply generated for records without a response, "
        "for probes that read replies (default: 48)",
    )
    train.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run vLLM compiled, exactly as served (default), or eager (--no-compile: "
        "minutes faster to start, same layers and capture)",
    )
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser(
        "eval",
        help="evaluate a probe on a labelled JSONL file",
        description="Score FILE with a probe, each head on the segments of the chat it reads "
        "(and a TF-IDF text baseline and a length-only baseline); report n, AUROC with its "
        "bootstrap 95%% interval, recall at 1%% FPR and at the calibrated threshold; with "
        "--json also a ROC plot (PNG) and a markdown report beside it.",
    )
    ev.add_argument("--concept", required=True, help="concept to evaluate")
    ev.add_argument("--data", type=Path, required=True, help="labelled JSONL file")
    ev.add_argument("--json", type=Path, help="write the metrics here (and .roc.png, .md)")
    ev.add_argument("--probe", type=Path, help="probe file (default: from --probe-dir)")
    ev.add_argument("--probe-dir", type=Path, help="probe directory (default: shipped)")
    ev.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    ev.add_argument("--model-name", default="SmolLM2-135M-Instruct", help="served model name")
    ev.add_argument(
        "--reply-tokens",
        type=_non_negative_int,
        default=48,
        help="for a probe that reads replies, records without a response are served with the "
        "model's own reply of up to this many tokens, as its threshold was calibrated "
        "(default: 48; probes that read the request never generate)",
    )
    ev.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="run vLLM compiled as served (--compile) or eager (default: the same layers "
        "and capture, a start-up minutes shorter)",
    )
    ev.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="benchmarks, printing JSON")
    bench_sub = bench.add_subparsers(dest="bench", metavar="BENCH", required=True)
    overhead = bench_sub.add_parser(
        "overhead",
        help="throughput of vLLM with vs without monitoring, interleaved in one run",
        description="Start two vLLM engines on the same model, one with the plugin (and a "
        "sidecar scoring with probes) and one without, and alternate the same workload "
        "between them. Prints tokens/s of each and their ratio.",
    )
    overhead.add_argument("--json", type=Path, help="also write the result to this file")
    overhead.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    overhead.add_argument("--probe-dir", type=Path, help="probes to score with (default: shipped)")
    overhead.add_argument("--requests", type=int, default=64, help="concurrent requests per round")
    overhead.add_argument("--tokens", type=int, default=128, help="generated tokens per request")
    overhead.add_argument(
        "--rounds", type=int, default=6, help="rounds per engine (alternating order)"
    )
    overhead.add_argument("--enforce-eager", action="store_true", help="eager mode, no compile")
    overhead.add_argument(
        "--encoder-dir", type=Path, help="concept encoder to run (default: the shipped one)"
    )
    overhead.add_argument(
        "--no-encoder", action="store_true", help="score with the probes only, no concept encoder"
    )
    overhead.set_defaults(func=cmd_bench)
    encoder_cli.add_bench_subcommand(bench_sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``llm-monitor`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if getattr(args, "vllm_args", None) and args.vllm_args[0] == "--":
        args.vllm_args = args.vllm_args[1:]
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
