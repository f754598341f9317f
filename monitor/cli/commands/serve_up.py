"""``llm-monitor serve`` (the sidecar alone) and ``llm-monitor up`` (vLLM with it).

Both run in the foreground until SIGINT/SIGTERM, reload the rules on SIGHUP
(:func:`monitor.cli.signals.run_until_signalled`) and map a bad file at start-up to the
same exit codes (:mod:`monitor.cli.startup`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.cli.flags import cpu_list, cpu_setting, default_of
from monitor.launch import VllmServerSettings

if TYPE_CHECKING:
    from monitor.sidecar.config import SidecarConfig

EPILOG = epilog(ExitCode.CONFIG, ExitCode.ARTIFACTS)


def run_sidecar(config: SidecarConfig, grace: float = 5.0, config_path: Path | None = None) -> int:
    """Run the sidecar until SIGINT or SIGTERM (SIGHUP reloads the rules from
    ``config_path``); returns an ExitCode."""
    from monitor.cli.signals import run_until_signalled
    from monitor.cli.startup import build_sidecar

    sidecar = build_sidecar(config, config_path)
    if isinstance(sidecar, ExitCode):
        return sidecar
    return run_until_signalled(sidecar, grace=grace)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the sidecar alone."""
    from monitor.cli.startup import load_sidecar_config

    return run_sidecar(load_sidecar_config(args.config), config_path=args.config)


def vllm_args(rest: list[str]) -> list[str]:
    """What follows ``up``'s own flags, without the ``--`` that separates them."""
    return rest[1:] if rest[:1] == ["--"] else rest


def cmd_up(args: argparse.Namespace) -> int:
    """Run vLLM with the plugin and the sidecar together."""
    from monitor import model
    from monitor.cli.startup import load_sidecar_config
    from monitor.launch import default_served_name, run_up, up_sidecar_config

    config = load_sidecar_config(args.config)
    model_dir = args.model
    if model_dir is None:
        try:
            model_dir = model.prepare(model.ModelSettings(), check=False)
        except model.ModelError as exc:
            raise CommandError(f"cannot prepare the default model: {exc}") from None
    name = args.served_model_name or default_served_name(args.model)
    server = VllmServerSettings(
        model_dir=Path(model_dir),
        served_model_name=name,
        host=args.host,
        port=args.port,
        layers=args.layers,
        kv_cache_gib=args.kv_cache_gib,
        enforce_eager=args.enforce_eager,
        sidecar_cpus=args.sidecar_cpus,
        engine_cpus=args.engine_cpus,
        extra_args=vllm_args(args.vllm_args),
    )
    return run_up(up_sidecar_config(config, Path(model_dir), name), server, args.config)


def _vllm_default(name: str) -> object:
    return default_of(VllmServerSettings, name)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``up`` and ``serve``."""
    host, port = _vllm_default("host"), _vllm_default("port")
    up = sub.add_parser(
        "up",
        help="start vLLM (OpenAI API) with the plugin and the sidecar on this machine",
        description=f"Start vLLM's OpenAI server on {host}:{port} with capture enabled, and "
        "the sidecar (gRPC 127.0.0.1:50051, metrics 127.0.0.1:9400/metrics). Ctrl-C stops both.",
        epilog=EPILOG,
    )
    up.add_argument("--config", type=Path, help="sidecar configuration (monitor.yaml)")
    up.add_argument("--model", type=Path, help="model directory (default: the prepared default)")
    up.add_argument("--served-model-name", help="name clients and metrics use for the model")
    up.add_argument("--host", default=host, help=f"OpenAI API host (default {host})")
    up.add_argument("--port", type=int, default=port, help=f"OpenAI API port (default {port})")
    up.add_argument(
        "--layers",
        type=int,
        nargs="+",
        default=_vllm_default("layers"),
        help="decoder layers to capture (default: those the loaded probes and encoder read, "
        "else the plugin's middle layer)",
    )
    up.add_argument(
        "--kv-cache-gib",
        type=int,
        default=_vllm_default("kv_cache_gib"),
        help="CPU KV cache size (GiB, default %(default)s)",
    )
    up.add_argument(
        "--enforce-eager",
        action="store_true",
        default=_vllm_default("enforce_eager"),
        help="run vLLM without compiling",
    )
    up.add_argument(
        "--sidecar-cpus",
        type=cpu_setting,
        default=_vllm_default("sidecar_cpus"),
        metavar="auto|inherit|LIST",
        help="CPUs the sidecar runs on: auto (default) moves it off the cores vLLM's CPU "
        "backend binds its compute threads to, once they are bound; inherit leaves it "
        "anywhere; or a list such as 1 or 2-3",
    )
    up.add_argument(
        "--engine-cpus",
        type=cpu_list,
        metavar="LIST",
        help="run every vLLM process on these CPUs only (e.g. 0-6 of 8); with "
        "--sidecar-cpus auto the sidecar then runs on the others, a CPU no vLLM process "
        "takes (default: vLLM may use every CPU)",
    )
    up.add_argument(
        "vllm_args", nargs=argparse.REMAINDER, help="after '--': more arguments for vllm serve"
    )
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser(
        "serve",
        help="run the sidecar alone",
        description="Run the sidecar: gRPC ingest, probe scoring and Prometheus metrics.",
        epilog=EPILOG,
    )
    serve.add_argument("--config", type=Path, help="monitor.yaml (env LLM_MONITOR_* overrides)")
    serve.set_defaults(func=cmd_serve)
