"""``llm-monitor bench dtype``: which serving dtype is fastest on this CPU."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from monitor.bench.dtype import DtypeBenchSettings
from monitor.cli.exit_codes import ExitCode, epilog
from monitor.cli.flags import default_of, model_dir_or_default, positive_int, print_json
from monitor.cpu import DTYPES
from monitor.model.settings import DEFAULT_MODEL_NAME


def cmd_dtype(args: argparse.Namespace) -> int:
    """vLLM's unmonitored rate per dtype, and the flags' choice."""
    from monitor.bench.dtype import run_dtype_bench

    settings = DtypeBenchSettings(
        model_dir=model_dir_or_default(args.model),
        model_name=args.model_name,
        dtypes=tuple(dict.fromkeys(args.dtypes)),
        repeats=args.repeats,
        requests=args.requests,
        tokens=args.tokens,
        rounds=args.rounds,
    )
    print_json(run_dtype_bench(settings), args.json)
    return ExitCode.OK


def register_dtype(bench_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def default(name: str) -> Any:
        return default_of(DtypeBenchSettings, name)

    parser = bench_sub.add_parser(
        "dtype",
        help="vLLM's generation rate in each serving dtype here, and the dtype chosen for this CPU",
        description="Start vLLM (no monitor) once per dtype and repeat, alternating the "
        "order, and measure its generation rate (the workload of bench sidecar's vLLM rate). "
        "Prints each dtype's median tokens/s, the fastest, and whether it is the dtype "
        "chosen from this CPU's flags (bfloat16 where it is native, float32 otherwise; "
        "LLM_MONITOR_DTYPE or --dtype overrides it in up, serve and the benches). A few "
        "minutes per engine on a CPU.",
        epilog=epilog(),
    )
    parser.add_argument("--json", type=Path, help="also write the result to this file")
    parser.add_argument("--model", type=Path, help="model directory (default: prepared default)")
    parser.add_argument(
        "--model-name", default=DEFAULT_MODEL_NAME, help="served model name (default %(default)s)"
    )
    parser.add_argument(
        "--dtypes",
        nargs="+",
        choices=DTYPES,
        default=list(default("dtypes")),
        help="dtypes to compare (default: %(default)s)",
    )
    for flag, name, what in (
        ("--repeats", "repeats", "engines per dtype, the order alternating"),
        ("--requests", "requests", "concurrent requests per round"),
        ("--tokens", "tokens", "generated tokens per request"),
        ("--rounds", "rounds", "measured rounds per engine"),
    ):
        parser.add_argument(
            flag, type=positive_int, default=default(name), help=f"{what} (default %(default)s)"
        )
    parser.set_defaults(func=cmd_dtype)
