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
    from monitor.sidecar.alerts.health_rules import HealthSettings
    from monitor.sidecar.alerts.prom_rules import DURATION, render
    from monitor.sidecar.config import ConfigError, load_config

    if not DURATION.match(args.window):
        print(
            f"llm-monitor rules: --window must be a Prometheus duration such as 5m or 1h, "
            f"got {args.window!r}",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    labels: dict[str, str] = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"llm-monitor rules: --label wants KEY=VALUE, got {item!r}", file=sys.stderr)
            return ExitCode.USAGE
        labels[key] = value
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
    health = (
        HealthSettings(config.ingest, job=args.job, runbook_url=args.runbook_url)
        if args.health
        else None
    )
    query_address = args.query_address
    if query_address is None and config.storage.backend == "hub" and config.storage.hub:
        query_address = config.storage.hub.address  # traces are queried at the hub
    text = render(
        config.rules,
        args.window,
        health=health,
        fmt=args.format,
        name=args.name,
        labels=labels,
        query_address=query_address or "",
    )
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``rules``."""
    from monitor.sidecar.alerts.health_rules import DEFAULT_JOB, DEFAULT_RUNBOOK_URL
    from monitor.sidecar.alerts.prom_rules import FORMATS, GROUP_NAME

    rules = sub.add_parser(
        "rules",
        help="print Prometheus alerting rules generated from monitor.yaml",
        description="Print a Prometheus rules file with one alert per rule of monitor.yaml, "
        "firing while llm_monitor_alerts_total{concept,severity} of that rule increased "
        "within the window. Load it with Prometheus' rule_files, or print it as a "
        "Prometheus Operator PrometheusRule with --format prometheusrule. --health adds "
        "the static group of health alerts (scrape target down, capture off, activations "
        "or traces lost, ingest queue saturated, failing health checks, refused reloads).",
        epilog=epilog(ExitCode.CONFIG, ExitCode.ARTIFACTS),
    )
    rules.add_argument("--config", type=Path, required=True, help="monitor.yaml")
    rules.add_argument(
        "--window", default="5m", help="increase() window, a Prometheus duration (default 5m)"
    )
    rules.add_argument(
        "--format",
        choices=FORMATS,
        default="rules",
        help="rules: a rule_files document (default); prometheusrule: a "
        "monitoring.coreos.com/v1 PrometheusRule resource",
    )
    rules.add_argument("--health", action="store_true", help="also print the health-alert group")
    rules.add_argument(
        "--job",
        default=DEFAULT_JOB,
        help=f"scrape job of the sidecar, for the target-down alert (default {DEFAULT_JOB})",
    )
    rules.add_argument(
        "--runbook-url",
        default=DEFAULT_RUNBOOK_URL,
        help="where deploy/README.md is read, e.g. its URL in your repository browser; "
        "each health alert's runbook_url is this plus #<alert name in lower case> "
        f"(default {DEFAULT_RUNBOOK_URL})",
    )
    rules.add_argument(
        "--name", default=GROUP_NAME, help=f"PrometheusRule name (default {GROUP_NAME})"
    )
    rules.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra PrometheusRule label, e.g. release=kube-prometheus-stack (repeatable)",
    )
    rules.add_argument(
        "--query-address",
        metavar="HOST:PORT",
        help="the address the annotations' `llm-monitor query` command names (default: the "
        "hub's, storage.hub.address, in hub mode; none otherwise)",
    )
    rules.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    rules.set_defaults(func=cmd_rules)
