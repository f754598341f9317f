"""Rules, trace store and rule reload as wired by ``Sidecar`` and ``run``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from monitor.cli.commands.serve_up import run_sidecar as run
from monitor.cli.exit_codes import ExitCode
from monitor.sidecar.alerts.compile import RuleError
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import ConfigError, load_config
from monitor.sidecar.ingest.batches import decode_batch
from monitor.sidecar.traces.reader import TraceFilter

from .helpers import D_MODEL, MODEL, make_batch, make_probe, write_probe_dir

RULE = "  - {{name: {name}, concept: {concept}, threshold: {threshold}, cooldown_s: 0}}\n"


def write_config(
    path: Path, probe_dir: Path, rules: list[tuple[str, str, float]], **extra: str
) -> Path:
    text = f"probe_dir: {probe_dir}\ngrpc_address: 127.0.0.1:0\nmetrics_address: 127.0.0.1:0\n"
    for key, value in extra.items():
        text += f"{key}: {value}\n"
    text += "rules:\n" if rules else "rules: []\n"
    for name, concept, threshold in rules:
        text += RULE.format(name=name, concept=concept, threshold=threshold)
    path.write_text(text)
    return path


@pytest.fixture
def probe_dir(tmp_path: Path, rng: np.random.Generator) -> Path:
    return write_probe_dir(
        tmp_path / "probes",
        [make_probe(rng, "deception", method="max"), make_probe(rng, "misuse")],
    )


def sidecar_from(path: Path, registry: CollectorRegistry | None = None) -> Sidecar:
    return Sidecar(load_config(path), registry or CollectorRegistry(), config_path=path)


def test_reload_swaps_rules(tmp_path: Path, probe_dir: Path, registry: CollectorRegistry) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [("a", "deception", 0.5)])
    sidecar = sidecar_from(path, registry)
    assert [r.name for r in sidecar.rule_engine.rules] == ["a"]
    write_config(path, probe_dir, [("a", "deception", 0.9), ("b", "misuse", 0.1)])
    assert sidecar.reload_rules() == 2
    assert [(r.name, r.threshold) for r in sidecar.rule_engine.rules] == [("a", 0.9), ("b", 0.1)]
    other = write_config(tmp_path / "other.yaml", probe_dir, [])
    assert sidecar.reload_rules(other) == 0
    assert sidecar.rule_engine.rules == ()


def test_default_rules_watch_every_probe_and_survive_reload(
    tmp_path: Path, probe_dir: Path, registry: CollectorRegistry
) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [])
    sidecar = Sidecar(load_config(path), registry, config_path=path, default_rules=True)
    expected = [("deception-calibrated", "deception"), ("misuse-calibrated", "misuse")]
    assert [(r.name, r.concept) for r in sidecar.rule_engine.rules] == expected
    assert sidecar.reload_rules() == 2  # the file still names no rules: defaults again
    write_config(path, probe_dir, [("only", "misuse", 0.5)])
    assert sidecar.reload_rules() == 1  # configured rules replace the defaults
    assert [r.name for r in sidecar.rule_engine.rules] == ["only"]


@pytest.mark.parametrize(
    ("rules", "extra", "message"),
    [
        ([("a", "nope", 0.5)], {}, r"monitor\.yaml: rules\.0 \('a'\): concept 'nope' has no"),
        ([("a", "misuse", 2.0)], {}, r"monitor\.yaml: rules\.0\.threshold: "),
        ([("a", "misuse", 0.5)], {"colour": "red"}, r"colour: Extra inputs are not permitted"),
    ],
)
def test_invalid_reload_keeps_the_old_rules_and_counts(
    tmp_path: Path,
    probe_dir: Path,
    registry: CollectorRegistry,
    rules: list[tuple[str, str, float]],
    extra: dict[str, str],
    message: str,
) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [("keep", "deception", 0.5)])
    sidecar = sidecar_from(path, registry)
    write_config(path, probe_dir, rules, **extra)
    with pytest.raises((ConfigError, RuleError), match=message):
        sidecar.reload_rules()
    assert [r.name for r in sidecar.rule_engine.rules] == ["keep"]
    errors = registry.get_sample_value("llm_monitor_config_reload_errors_total", {"model_name": ""})
    assert errors == 1


def test_reload_without_a_file_is_refused(registry: CollectorRegistry) -> None:
    sidecar = Sidecar(load_config(None), registry)
    with pytest.raises(ConfigError, match=r"no monitor\.yaml to reload"):
        sidecar.reload_rules()


def test_admin_reload_reports_count_and_source(tmp_path: Path, probe_dir: Path) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [("a", "deception", 0.5)])
    sidecar = sidecar_from(path)
    assert sidecar._reload_for_admin() == (1, str(path))


def test_rule_for_a_missing_probe_stops_start_up(tmp_path: Path, probe_dir: Path) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [("typo", "decepton", 0.5)])
    with pytest.raises(RuleError, match=r"rules\.0 \('typo'\): concept 'decepton'"):
        sidecar_from(path)
    assert run(load_config(path), config_path=path) == ExitCode.CONFIG


def test_uncaptured_probe_layer_stops_start_up(tmp_path: Path, probe_dir: Path) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [], layers="[20]")
    with pytest.raises(ConfigError, match=r"layers: probes read layer\(s\) \[3\]"):
        sidecar_from(path)


def test_flagged_requests_are_stored_alerted_and_counted(
    tmp_path: Path, probe_dir: Path, registry: CollectorRegistry, rng: np.random.Generator
) -> None:
    store = tmp_path / "traces.sqlite"
    path = write_config(
        tmp_path / "monitor.yaml",
        probe_dir,
        [("all", "deception", 0.0), ("never", "misuse", 1.0)],
        storage=f"{{path: {store}}}",
    )
    sidecar = sidecar_from(path, registry)
    assert sidecar.trace_reader is sidecar.trace_store is not None
    sidecar.start()
    try:
        acts = rng.normal(size=(3, D_MODEL)).astype(np.float32)
        batch = make_batch(acts, request_ids=["r1"], finished=["r1"])
        sidecar.pipeline.offer(
            decode_batch(batch, message_bytes=batch.ByteSize(), max_batch_bytes=1 << 30)
        )
        assert sidecar.pipeline.wait_idle(10.0)
        assert sidecar.trace_store.flush(10.0)
        summaries, _ = sidecar.trace_reader.query_traces(TraceFilter(), 10, "")
    finally:
        sidecar.stop(grace=0)
    assert [s.request_id for s in summaries] == ["r1"]
    assert [a.rule for a in summaries[0].alerts] == ["all"]
    assert summaries[0].token_count == 3
    assert sidecar.alert_hub.published == 1
    count = registry.get_sample_value(
        "llm_monitor_alerts_total",
        {"model_name": MODEL, "concept": "deception", "severity": "warning"},
    )
    assert count == 1


RUN_SCRIPT = """
import logging, sys
from pathlib import Path
from monitor.cli.commands.serve_up import run_sidecar as run
from monitor.sidecar.config import load_config
logging.basicConfig(level=logging.INFO, stream=sys.stdout)
path = Path(sys.argv[1])
sys.exit(run(load_config(path), config_path=path))
"""


def read_until(proc: subprocess.Popen[str], needle: str, timeout: float = 60.0) -> str:
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not seen in:\n{''.join(seen)}")


def test_sighup_reloads_rules(tmp_path: Path, probe_dir: Path) -> None:
    path = write_config(tmp_path / "monitor.yaml", probe_dir, [("a", "deception", 0.5)])
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        read_until(proc, "sidecar started")
        write_config(path, probe_dir, [("a", "deception", 0.5), ("b", "misuse", 0.5)])
        proc.send_signal(signal.SIGHUP)
        assert "2 rule(s)" in read_until(proc, "rules reloaded")
        write_config(path, probe_dir, [("bad", "unknown", 0.5)])
        proc.send_signal(signal.SIGHUP)
        line = read_until(proc, "rule reload refused")
        assert "keeping 2 rule(s)" in line
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
