"""``llm-monitor hub``: the fleet store's service (sidecars push, readers query the fleet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli.exit_codes import CommandError, ExitCode, epilog

EXAMPLE = """
example:
  llm-monitor hub --config deploy/hub.yaml
  LLM_MONITOR_HUB_STORAGE__BACKEND=sqlite LLM_MONITOR_HUB_STORAGE__PATH=/tmp/hub.db \\
    llm-monitor hub
  llm-monitor query --address 127.0.0.1:50052 --since 1h    # traces of every sidecar
"""


def cmd_hub(args: argparse.Namespace) -> int:
    """Run the hub until SIGINT or SIGTERM."""
    from monitor.cli.signals import run_until_signalled
    from monitor.hub.app import Hub
    from monitor.hub.backends import StorageUnavailable
    from monitor.hub.config import load_hub_config
    from monitor.sidecar.config import ConfigError

    try:
        config = load_hub_config(args.config)
    except ConfigError as exc:
        raise CommandError(f"invalid configuration: {exc}", ExitCode.CONFIG) from None
    if args.check:
        print(f"{args.config or 'configuration'}: ok (storage {config.storage.backend})")
        return ExitCode.OK
    try:
        hub = Hub(config)
    except ConfigError as exc:
        raise CommandError(f"invalid configuration: {exc}", ExitCode.CONFIG) from None
    except StorageUnavailable as exc:
        raise CommandError(str(exc), ExitCode.FAILED) from None
    return run_until_signalled(hub, grace=args.grace, name="hub")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``hub``."""
    hub = sub.add_parser(
        "hub",
        help="store the traces of many sidecars and serve them fleet-wide",
        description="Receive trace updates from sidecars in hub mode (TraceIngest.Push) and\n"
        "store them in chDB, a ClickHouse server or SQLite; serve TraceQuery (query, trace,\n"
        "watch) over all of them. Settings: hub.yaml, overridden by LLM_MONITOR_HUB_*\n"
        "variables (e.g. LLM_MONITOR_HUB_STORAGE__PATH). Runs until SIGINT or SIGTERM.",
        epilog=epilog(ExitCode.CONFIG) + "\n" + EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hub.add_argument("--config", type=Path, help="hub.yaml (see deploy/hub.yaml)")
    hub.add_argument(
        "--check", action="store_true", help="check the configuration and exit (opens nothing)"
    )
    hub.add_argument(
        "--grace",
        type=float,
        default=5.0,
        help="seconds calls under way may take to finish at shutdown (default %(default)s)",
    )
    hub.set_defaults(func=cmd_hub)
