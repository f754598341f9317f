"""``llm-monitor bench fleet``: the fleet store (hub, chDB) against the issue's goals.
Flags fill :class:`monitor.bench.fleet_settings.FleetBenchSettings`; the benchmark is
imported when it runs."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.bench.fleet_settings import PHASES, FleetBenchSettings
from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.cli.flags import default_of, positive_float, positive_int, print_json

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

FLAGS: tuple[tuple[str, Any, str], ...] = (
    ("--duration-s", positive_float, "seconds the pushers push"),
    ("--pushers", positive_int, "pusher processes (one source each)"),
    ("--push-rows", positive_int, "token rows per push"),
    ("--rows", positive_int, "token rows generated for the query part"),
    ("--traces", positive_int, "traces generated for the query part"),
    ("--samples", positive_int, "timed calls per query case"),
    ("--sqlite-traces", positive_int, "traces written to measure the SQLite store"),
    ("--alert-samples", positive_int, "alerts timed to the hub's WatchAlerts"),
    ("--sidecar-requests", positive_int, "concurrent requests of the sidecar load"),
)


def _name(flag: str) -> str:
    return flag[2:].replace("-", "_")


def settings_from(args: argparse.Namespace) -> FleetBenchSettings:
    """The settings the flags ask for (``--quick`` as the base); ``CommandError`` (usage)
    when they cannot work together."""
    preset = FleetBenchSettings.quick() if args.quick else FleetBenchSettings()
    chosen: dict[str, Any] = {
        _name(flag): getattr(args, _name(flag))
        for flag, _, _ in FLAGS
        if getattr(args, _name(flag)) is not None
    }
    if args.phases:
        chosen["phases"] = tuple(p for p in PHASES if p in args.phases)
    settings = dataclasses.replace(preset, **chosen)
    try:
        settings.check()
    except ValueError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from None
    return settings


def cmd_fleet(args: argparse.Namespace) -> int:
    """Ingest, storage, query, alert latency and sidecar cost of the fleet store."""
    import importlib.util

    settings = settings_from(args)
    if importlib.util.find_spec("chdb") is None:
        raise CommandError(
            "bench fleet runs the hub on chDB, which is not installed: "
            "pip install 'llm-monitor[hub]'"
        )
    from monitor.bench.fleet import run_fleet_bench
    from monitor.bench.fleet_hub import FleetBenchError

    try:
        result = run_fleet_bench(settings)
    except FleetBenchError as exc:
        raise CommandError(str(exc)) from None
    print_json(result, args.json)
    return ExitCode.OK


def register_fleet(bench_sub: Subparsers) -> None:
    """Register ``bench fleet``."""

    def default(name: str) -> object:
        return default_of(FleetBenchSettings, name)

    quick = FleetBenchSettings.quick()
    p = bench_sub.add_parser(
        "fleet",
        help="the fleet store (hub on chDB): ingest, bytes per row, query latency, alerts",
        description="Start `llm-monitor hub` (chDB) in a temporary directory and measure, "
        "each against its goal: ingest rows/s from several pusher processes over gRPC with "
        "0 drops (and hub CPU per million rows); bytes on disk per token row in ClickHouse "
        "and in the sidecar's SQLite store; QueryTraces and GetTrace latency over millions "
        "of generated traces (repository and gRPC); alert latency from a sidecar in hub "
        "mode to the hub's WatchAlerts; and the sidecar's RSS in hub vs SQLite mode. The "
        "full run takes about 10 minutes; --quick about 2. Progress goes to stderr.",
        epilog=epilog(),
    )
    p.add_argument("--json", type=Path, help="also write the result to this file")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"small and short ({quick.duration_s:g} s ingest, {quick.rows:,} rows / "
        f"{quick.traces:,} traces): proves every part runs; other flags still override it",
    )
    p.add_argument(
        "--phases",
        nargs="+",
        choices=PHASES,
        help=f"parts to run (default: all: {' '.join(PHASES)}; storage runs the ingest)",
    )
    for flag, kind, what in FLAGS:
        p.add_argument(
            flag, type=kind, default=None, help=f"{what} (default {default(_name(flag))})"
        )
    p.set_defaults(func=cmd_fleet)
