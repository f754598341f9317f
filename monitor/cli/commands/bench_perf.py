"""``llm-monitor bench sidecar | latency``: capacity of one sidecar, and serving latency
with and without the monitor. Flags fill :mod:`monitor.bench.settings`; the benchmarks
are imported when they run."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.bench.settings import LatencyBenchSettings, SidecarBenchSettings
from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.cli.flags import (
    cpu_list,
    cpu_setting,
    default_of,
    model_dir_or_default,
    positive_float,
    positive_int,
    print_json,
)
from monitor.cpu import DTYPES

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _listed(values: object) -> str:
    """A default tuple as the flag takes it: space-separated."""
    return " ".join(str(v) for v in values) if isinstance(values, tuple) else str(values)


def _chosen(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, Any]:
    """The flags among ``names`` that were given (None means: keep the preset's)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


SIDECAR_FLAGS = (
    "start_tokens_per_s",
    "growth",
    "level_s",
    "max_levels",
    "producers",
    "batch",
    "layers",
    "probes",
    "sweep_s",
    "encoder_dir",
    "encoder_precision",
    "dtype",
)


def cmd_sidecar(args: argparse.Namespace) -> int:
    """Sustained tokens/s of one sidecar per stage, against vLLM's unmonitored rate."""
    from monitor.bench.capacity import run_sidecar_bench

    preset = SidecarBenchSettings.smoke() if args.smoke else SidecarBenchSettings()
    chosen = _chosen(args, SIDECAR_FLAGS)
    for name in ("stages", "sweep_layers", "sweep_probes", "sweep_batches"):
        if getattr(args, name) is not None:
            chosen[name] = tuple(getattr(args, name))
    if args.any_core:
        chosen["one_core"] = False
    settings = dataclasses.replace(preset, **chosen)
    vllm: dict[str, Any] | None
    if args.vllm_tokens_per_s is not None:
        vllm = {"tokens_per_s": args.vllm_tokens_per_s, "measured": False}
    else:
        from monitor.bench.vllm_rate import measure_vllm_rate

        vllm = measure_vllm_rate(
            model_dir_or_default(args.model),
            settings.model_name,
            settings.vllm_requests,
            settings.vllm_tokens,
            settings.vllm_rounds,
            settings.dtype,
        )
    try:
        result = run_sidecar_bench(settings, vllm)
    except (RuntimeError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    print_json(result, args.json)
    return ExitCode.OK


def dtype_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default=None,
        help="vLLM's dtype (default: LLM_MONITOR_DTYPE, else bfloat16 where the CPU has "
        "native bf16, float32 otherwise)",
    )


def workload_flag(parser: argparse.ArgumentParser) -> None:
    from monitor.bench.workload import WORKLOADS

    parser.add_argument(
        "--workload",
        choices=WORKLOADS,
        default="ordinary",
        help="the chats sent: ordinary, everyday requests (few flagged, as in production; "
        "default) or stories, which the evaluation-awareness probe flags on most requests "
        "(every flagged request's tokens are encoded and stored: the sidecar's heavy case)",
    )


def sidecar_flags(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--sidecar-nice",
        type=int,
        choices=range(0, 20),
        metavar="0-19",
        default=default,
        help="run the sidecar at this nice value: on a host whose cores the engine uses, it "
        "then takes CPU only when vLLM leaves some, and catches up later (default: "
        "%(default)s)",
    )
    parser.add_argument(
        "--sidecar-cpus",
        type=cpu_setting,
        default="auto",
        metavar="auto|inherit|LIST",
        help="CPUs the sidecar runs on once the engines are up, as `up` places it: auto "
        "(default) the CPUs vLLM's compute threads are not bound to; inherit: anywhere; or "
        "a list such as 1",
    )


def register_sidecar(bench_sub: Subparsers) -> None:
    def default(name: str) -> object:
        return default_of(SidecarBenchSettings, name)

    p = bench_sub.add_parser(
        "sidecar",
        help="tokens/s one sidecar sustains (probes, + encoder, + rules and store) vs vLLM",
        description="Start `llm-monitor serve` for each stage (probes only; + concept "
        "encoder; + rules and a trace store) and stream synthetic decode traffic through "
        "gRPC Ingest at rising rates until the sidecar drops. Prints the sustained tokens/s "
        "and sidecar CPU per token of each stage, alert latency (full stage), scaling "
        "tables over layers and probes and over rows per step, and the ratios to this "
        "machine's unmonitored vLLM generation rate (measured first, with one engine, "
        "unless --vllm-tokens-per-s).",
        epilog=epilog(),
    )
    p.add_argument("--json", type=Path, help="also write the result to this file")
    p.add_argument("--smoke", action="store_true", help="a few seconds per stage: proves it runs")
    p.add_argument(
        "--vllm-tokens-per-s",
        type=positive_float,
        help="vLLM's unmonitored generation rate to compare with (skips measuring it)",
    )
    p.add_argument("--model", type=Path, help="model for the vLLM rate (default: prepared default)")
    p.add_argument(
        "--stages",
        nargs="+",
        choices=("probes", "encoder", "full", "full-flagged"),
        help=f"stages to measure (default {_listed(default('stages'))})",
    )
    for flag, kind, what in (
        ("--start-tokens-per-s", positive_float, "offered rate of the first level"),
        ("--growth", positive_float, "rate factor from one level to the next"),
        ("--level-s", positive_float, "seconds per level"),
        ("--max-levels", positive_int, "levels at most per stage"),
        ("--producers", positive_int, "producer streams"),
        ("--batch", positive_int, "requests in flight per producer"),
        ("--layers", positive_int, "captured layers of the stages"),
        ("--probes", positive_int, "probes per layer of the stages"),
        ("--sweep-s", positive_float, "seconds per point of the scaling table"),
    ):
        name = flag[2:].replace("-", "_")
        p.add_argument(flag, type=kind, default=None, help=f"{what} (default {default(name)})")
    for flag, what in (
        ("--sweep-layers", "layer counts of the scaling table"),
        ("--sweep-probes", "probe counts of the scaling table"),
        ("--sweep-batches", "rows per step of the per-step table (probes only, 1 layer)"),
    ):
        name = flag[2:].replace("-", "_")
        p.add_argument(
            flag,
            type=positive_int,
            nargs="*",
            default=None,
            help=f"{what} (default {_listed(default(name))}; none: no table)",
        )
    p.add_argument("--encoder-dir", type=Path, help="concept encoder (default: the shipped one)")
    p.add_argument(
        "--encoder-precision",
        choices=("float32", "int8"),
        help=f"encoder graph the stages run (default {default('encoder_precision')}; int8 "
        "needs encoder.int8.onnx: llm-monitor encoder quantize)",
    )
    p.add_argument(
        "--any-core",
        action="store_true",
        help="leave the sidecar's and the producers' threads wherever the kernel puts them "
        "(default: the sidecar on the last CPU, the producers on the others)",
    )
    dtype_flag(p)
    p.set_defaults(func=cmd_sidecar)


def cmd_latency(args: argparse.Namespace) -> int:
    """TTFT and inter-token latency with vs without the monitor."""
    from monitor.bench.latency import LatencyBenchError, run_latency

    preset = LatencyBenchSettings.smoke() if args.smoke else LatencyBenchSettings()
    chosen = _chosen(
        args,
        (
            "requests",
            "rounds",
            "max_tokens",
            "saturation_requests",
            "dtype",
            "sidecar_nice",
            "sidecar_cpus",
            "engine_cpus",
            "control_cpus",
            "workload",
        ),
    )
    for name in ("rates", "fractions", "arms"):
        if getattr(args, name) is not None:
            chosen[name] = tuple(getattr(args, name))
    if args.enforce_eager:
        chosen["enforce_eager"] = True
    if args.alert_every_request:
        chosen["alert_every_request"] = True
    settings = dataclasses.replace(preset, **chosen)
    try:
        result = run_latency(settings, model_dir_or_default(args.model))
    except LatencyBenchError as exc:
        raise CommandError(str(exc)) from None
    print_json(result, args.json)
    return ExitCode.OK


def register_latency(bench_sub: Subparsers) -> None:
    def default(name: str) -> object:
        return default_of(LatencyBenchSettings, name)

    p = bench_sub.add_parser(
        "latency",
        help="TTFT and inter-token latency p50/p99 of vLLM's OpenAI server with vs without "
        "monitoring, and alert latency",
        description="Start two vLLM OpenAI servers as `up` does, one with the plugin and a "
        "sidecar, one without; send streamed chat completions with Poisson arrivals at "
        "several rates (fractions of the saturation rate measured first, or --rates) to "
        "each in turn, for --rounds rounds. Prints TTFT and inter-token latency p50/p99 "
        "per rate and server, their ratios with 95% bootstrap intervals over requests, "
        "and alert latency (from the client's receipt of a token to its alert on "
        "WatchAlerts). `--arms unmonitored control` measures two unmonitored servers: "
        "the ratios the host's noise alone gives.",
        epilog=epilog(),
    )
    p.add_argument("--json", type=Path, help="also write the result to this file")
    p.add_argument("--smoke", action="store_true", help="a few short requests: proves it runs")
    p.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    p.add_argument(
        "--rates", type=positive_float, nargs="+", help="request rates (requests/s) to send"
    )
    p.add_argument(
        "--fractions",
        type=positive_float,
        nargs="+",
        help="rates as fractions of the measured saturation rate (default "
        f"{_listed(default('fractions'))})",
    )
    p.add_argument(
        "--arms",
        nargs="+",
        choices=("unmonitored", "monitored", "control"),
        help="servers to measure (default unmonitored monitored; control is a second "
        "unmonitored server: `--arms unmonitored control` shows the host's own noise in "
        "the ratios; one alone gives no ratios)",
    )
    for flag, what in (
        ("--requests", "requests per rate, server and round"),
        ("--rounds", "rounds per rate (pooled; the ratios' intervals narrow with more)"),
        ("--max-tokens", "generated tokens per request"),
        ("--saturation-requests", "requests sent at once to find the saturation rate"),
    ):
        name = flag[2:].replace("-", "_")
        p.add_argument(
            flag, type=positive_int, default=None, help=f"{what} (default {default(name)})"
        )
    p.add_argument("--enforce-eager", action="store_true", help="run vLLM without compiling")
    sidecar_flags(p, default("sidecar_nice"))
    p.add_argument(
        "--engine-cpus",
        type=cpu_list,
        metavar="LIST",
        help="run every process of both vLLM servers on these CPUs only, as `up "
        "--engine-cpus` does; with --sidecar-cpus auto the sidecar gets the others "
        "(default: vLLM may use every CPU)",
    )
    p.add_argument(
        "--control-cpus",
        type=cpu_list,
        metavar="LIST",
        help="the control server's CPUs alone (default: as --engine-cpus): `--arms "
        "unmonitored control --control-cpus 0` shows what confining vLLM costs",
    )
    workload_flag(p)
    p.add_argument(
        "--alert-every-request",
        action="store_true",
        help="add a rule that fires on every request, to time an alert per request (every "
        "request is then flagged, encoded and stored: heavier for the sidecar); default: "
        "time the alerts the shipped rules raise",
    )
    dtype_flag(p)
    p.set_defaults(func=cmd_latency)
