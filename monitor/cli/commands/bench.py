"""``llm-monitor bench overhead | encoder | soak``: benchmarks that print (and write) JSON
(``latency`` and ``sidecar`` are in :mod:`monitor.cli.commands.bench_perf`, ``fleet`` in
:mod:`monitor.cli.commands.bench_fleet`, ``dtype`` in :mod:`monitor.cli.commands.bench_dtype`).

Flags fill the benchmarks' frozen settings (:mod:`monitor.bench.settings`), whose
defaults they show; the benchmarks are imported when they run.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from monitor.bench.settings import EncoderBenchSettings, OverheadBenchSettings, SoakSettings
from monitor.cli.commands.bench_dtype import register_dtype
from monitor.cli.commands.bench_fleet import register_fleet
from monitor.cli.commands.bench_perf import (
    dtype_flag,
    register_latency,
    register_sidecar,
    sidecar_flags,
    workload_flag,
)
from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.cli.flags import default_of, positive_float, positive_int, print_json
from monitor.model.settings import DEFAULT_MODEL_NAME


def cmd_overhead(args: argparse.Namespace) -> int:
    """Throughput of vLLM with vs without monitoring."""
    from monitor import model
    from monitor.bench.overhead import run_overhead

    try:
        model_dir = args.model or model.prepare(model.ModelSettings(), check=False)
    except model.ModelError as exc:
        raise CommandError(f"cannot prepare the default model: {exc}") from None
    settings = OverheadBenchSettings(
        model_dir=model_dir,
        probe_dir=args.probe_dir,
        encoder_dir=args.encoder_dir,
        encoder=not args.no_encoder,
        requests=args.requests,
        tokens=args.tokens,
        rounds=args.rounds,
        enforce_eager=args.enforce_eager,
        extra_layers=tuple(args.extra_layers),
        sweep_requests=tuple(args.sweep_requests),
        dtype=args.dtype,
        trace_store=args.trace_store,
        sidecar_nice=args.sidecar_nice,
        sidecar_cpus=args.sidecar_cpus,
        workload=args.workload,
    )
    print_json(run_overhead(settings), args.json)
    return ExitCode.OK


def cmd_encoder(args: argparse.Namespace) -> int:
    """Concept-encoder throughput through onnxruntime."""
    from monitor.artifacts.encoder_format import EncoderError
    from monitor.artifacts.shipped import shipped_encoder_dir
    from monitor.bench.encoder import run_encoder_bench

    directory = args.encoder_dir or shipped_encoder_dir(args.model_name)
    if directory is None:
        raise CommandError(
            f"no encoder shipped for {args.model_name}; pass --encoder-dir", ExitCode.ARTIFACTS
        )
    settings = EncoderBenchSettings(
        encoder_dir=directory,
        batch_rows=args.batch_rows,
        seconds=args.seconds,
        threads=args.threads,
    )
    try:
        result = run_encoder_bench(settings)
    except EncoderError as exc:
        raise CommandError(str(exc), ExitCode.ARTIFACTS) from None
    print_json(result, args.json)
    return ExitCode.OK


def cmd_soak(args: argparse.Namespace) -> int:
    """A real sidecar under sustained synthetic decode traffic: RSS, drops, accounting."""
    from monitor.bench.soak import SoakError, run_soak

    preset = SoakSettings.short() if args.short else SoakSettings()
    chosen = {
        name: getattr(args, name)
        for name in (
            "requests",
            "tokens",
            "prompt_tokens",
            "producers",
            "firing_fraction",
            "steps_per_s",
            "max_queue_bytes",
            "max_buffered_bytes",
        )
        if getattr(args, name) is not None
    }
    settings = dataclasses.replace(preset, **chosen)
    try:
        result = run_soak(settings)
    except SoakError as exc:
        raise CommandError(str(exc)) from None
    print_json(result, args.json)
    return ExitCode.OK


def _fraction(text: str) -> float:
    """argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {value}")
    return value


def _register_soak(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> object:
        return default_of(SoakSettings, name)

    soak = bench_sub.add_parser(
        "soak",
        help="a real sidecar under sustained synthetic decode traffic: peak RSS and accounting",
        description="Start `llm-monitor serve` on a temporary configuration (synthetic "
        "probes, a trace store) and stream synthetic decode traffic through gRPC Ingest, "
        "first with no rule firing, then with a rule flagging a fraction of the requests. "
        "Prints peak RSS against the configured byte budgets, drops by reason, trace-buffer "
        "evictions, alerts, stored traces, and whether every row sent was scored or counted "
        "as dropped. No model or vLLM is needed.",
        epilog=epilog(),
    )
    soak.add_argument("--json", type=Path, help="also write the result to this file")
    soak.add_argument(
        "--short",
        action="store_true",
        help=f"the small CI preset ({SoakSettings.short().requests} requests x "
        f"{SoakSettings.short().tokens} tokens); other flags still override it",
    )
    for flag, name, kind, what in (
        ("--requests", "requests", positive_int, "concurrent requests per phase"),
        ("--tokens", "tokens", positive_int, "generated tokens per request"),
        ("--prompt-tokens", "prompt_tokens", positive_int, "prompt tokens per request"),
        ("--producers", "producers", positive_int, "producer streams"),
        ("--firing-fraction", "firing_fraction", _fraction, "fraction of requests flagged"),
    ):
        soak.add_argument(flag, type=kind, default=None, help=f"{what} (default {default(name)})")
    soak.add_argument(
        "--steps-per-s",
        type=positive_float,
        default=None,
        help="engine steps per second of each producer (default: unpaced, as fast as the "
        "sidecar takes them, so its queue fills to its budgets and the excess is dropped)",
    )
    for flag, what in (
        ("--max-queue-bytes", "ingest.max_queue_bytes"),
        ("--max-buffered-bytes", "storage.max_buffered_bytes"),
    ):
        soak.add_argument(
            flag, type=positive_int, default=None, help=f"{what} (default: the sidecar's)"
        )
    soak.set_defaults(func=cmd_soak)


def _register_overhead(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> object:
        return default_of(OverheadBenchSettings, name)

    overhead = bench_sub.add_parser(
        "overhead",
        help="throughput of vLLM with vs without monitoring, interleaved in one run",
        description="Start two vLLM engines on the same model, one with the plugin (and a "
        "sidecar scoring with probes) and one without, and alternate the same workload "
        "between them. Prints per round tokens/s and CPU seconds per token of each, the "
        "plugin's host time as a share of step time, the median paired ratios with "
        "bootstrap 95% intervals, the sidecar's CPU seconds per million tokens, and "
        "whether the goals are met.",
        epilog=epilog(),
    )
    overhead.add_argument("--json", type=Path, help="also write the result to this file")
    overhead.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    overhead.add_argument("--probe-dir", type=Path, help="probes to score with (default: shipped)")
    overhead.add_argument(
        "--requests",
        type=positive_int,
        default=default("requests"),
        help="concurrent requests per round (default %(default)s)",
    )
    overhead.add_argument(
        "--tokens",
        type=positive_int,
        default=default("tokens"),
        help="generated tokens per request (default %(default)s)",
    )
    overhead.add_argument(
        "--rounds",
        type=positive_int,
        default=default("rounds"),
        help="rounds per engine, alternating order; the paired ratios' sample "
        "(default %(default)s, at least 10 for a useful interval; the interval narrows "
        "as one over the square root of the rounds: where paired rounds spread by +-10%%, "
        "30 put it within about +-3%%)",
    )
    overhead.add_argument(
        "--enforce-eager",
        action="store_true",
        default=default("enforce_eager"),
        help="eager mode, no compile",
    )
    overhead.add_argument(
        "--encoder-dir", type=Path, help="concept encoder to run (default: the shipped one)"
    )
    overhead.add_argument(
        "--no-encoder",
        action="store_true",
        default=not default("encoder"),
        help="score with the probes only, no concept encoder",
    )
    overhead.add_argument(
        "--extra-layers",
        type=int,
        nargs="+",
        default=[],
        help="capture these layers too (capture cost grows with the layers captured)",
    )
    overhead.add_argument(
        "--sweep-requests",
        type=positive_int,
        nargs="*",
        default=list(default_of(OverheadBenchSettings, "sweep_requests")),
        help="other concurrencies of the scaling table, a few rounds each "
        "(default: %(default)s; none: no table beyond --requests)",
    )
    overhead.add_argument(
        "--trace-store",
        choices=("sqlite", "hub"),
        default=default_of(OverheadBenchSettings, "trace_store"),
        help="where the sidecar stores flagged traces: its SQLite file, or hub mode shipping "
        "to an `llm-monitor hub` (chDB) started on this machine (default: %(default)s)",
    )
    sidecar_flags(overhead, default_of(OverheadBenchSettings, "sidecar_nice"))
    workload_flag(overhead)
    dtype_flag(overhead)
    overhead.set_defaults(func=cmd_overhead)


def _register_encoder(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> object:
        return default_of(EncoderBenchSettings, name)

    encoder = bench_sub.add_parser(
        "encoder",
        help="concept-encoder tokens/s through onnxruntime",
        description="Encode batches of activations with the concept encoder (onnxruntime) "
        "for a fixed time; print tokens/s and the encoder card's CE loss recovered and dead "
        "fraction.",
        epilog=epilog(ExitCode.ARTIFACTS),
    )
    encoder.add_argument("--json", type=Path, help="also write the result to this file")
    encoder.add_argument("--encoder-dir", type=Path, help="encoder directory (default: shipped)")
    encoder.add_argument("--model-name", default=DEFAULT_MODEL_NAME, help="served model name")
    encoder.add_argument(
        "--batch-rows",
        type=positive_int,
        default=default("batch_rows"),
        help="rows per call (default %(default)s)",
    )
    encoder.add_argument(
        "--seconds",
        type=positive_float,
        default=default("seconds"),
        help="measuring time (default %(default)s)",
    )
    encoder.add_argument(
        "--threads",
        type=positive_int,
        default=default("threads"),
        help="onnxruntime intra-op threads (default %(default)s)",
    )
    encoder.set_defaults(func=cmd_encoder)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bench overhead | latency | sidecar | encoder | soak | fleet | dtype``."""
    bench = sub.add_parser(
        "bench",
        help="benchmarks, printing JSON",
        description="Benchmarks of the monitor's cost; each prints one JSON object (and "
        "writes it with --json FILE). overhead, latency and sidecar start vLLM (minutes).",
    )
    bench_sub = bench.add_subparsers(dest="bench", metavar="BENCH", required=True)
    _register_overhead(bench_sub)
    register_latency(bench_sub)
    register_sidecar(bench_sub)
    _register_encoder(bench_sub)
    _register_soak(bench_sub)
    register_fleet(bench_sub)
    register_dtype(bench_sub)
