"""``llm-monitor rules``: Prometheus alerting rules generated from monitor.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _rules(args: argparse.Namespace) -> int:
    from monitor.artifacts.probe_format import ProbeError, load_probe_dir
    from monitor.sidecar.alerts.prom_rules import render
    from monitor.sidecar.alerts.rules import RuleError, compile_rules
    from monitor.sidecar.config import ConfigError, load_config

    try:
        config = load_config(args.config)
        if config.probe_dir is not None:  # check the rules against the probes they name
            probes = load_probe_dir(config.probe_dir, config.model_name)
            compile_rules(config.rules, probes, str(args.config))
        text = render(config.rules, args.window)
    except (ConfigError, ProbeError, RuleError, ValueError) as exc:
        print(f"llm-monitor rules: {exc}", file=sys.stderr)
        return 2
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``rules``."""
    rules = sub.add_parser(
        "rules",
        help="print Prometheus alerting rules generated from monitor.yaml",
        description="Print a Prometheus rules file with one alert per rule of monitor.yaml, "
        "firing while llm_monitor_alerts_total{concept,severity} of that rule increased "
        "within the window. Load it with Prometheus' rule_files.",
    )
    rules.add_argument("--config", type=Path, required=True, help="monitor.yaml")
    rules.add_argument(
        "--window", default="5m", help="increase() window, a Prometheus duration (default 5m)"
    )
    rules.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    rules.set_defaults(func=_rules)
