"""``llm-monitor rules``: Prometheus alerting rules generated from monitor.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.cli.exit_codes import ExitCode, epilog


def cmd_rules(args: argparse.Namespace) -> int:
    """Check the rules (against the probes when monitor.yaml names them) and print them."""
    from monitor.artifacts.probe_format import ProbeError, load_probe_dir
    from monitor.sidecar.alerts.compile import RuleError, compile_rules
    from monitor.sidecar.alerts.prom_rules import DURATION, render
    from monitor.sidecar.config import ConfigError, load_config

    if not DURATION.match(args.window):
        print(
            f"llm-monitor rules: --window must be a Prometheus duration such as 5m or 1h, "
            f"got {args.window!r}",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    try:
        config = load_config(args.config)
        if config.probe_dir is not None:  # check the rules against the probes they name
            probes = load_probe_dir(config.probe_dir, config.model_name)
            compile_rules(config.rules, probes, str(args.config))
    except (ConfigError, RuleError) as exc:
        print(f"llm-monitor rules: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    except ProbeError as exc:
        print(f"llm-monitor rules: {exc}", file=sys.stderr)
        return ExitCode.ARTIFACTS
    text = render(config.rules, args.window)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``rules``."""
    rules = sub.add_parser(
        "rules",
        help="print Prometheus alerting rules generated from monitor.yaml",
        description="Print a Prometheus rules file with one alert per rule of monitor.yaml, "
        "firing while llm_monitor_alerts_total{concept,severity} of that rule increased "
        "within the window. Load it with Prometheus' rule_files.",
        epilog=epilog(ExitCode.CONFIG, ExitCode.ARTIFACTS),
    )
    rules.add_argument("--config", type=Path, required=True, help="monitor.yaml")
    rules.add_argument(
        "--window", default="5m", help="increase() window, a Prometheus duration (default 5m)"
    )
    rules.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    rules.set_defaults(func=cmd_rules)
