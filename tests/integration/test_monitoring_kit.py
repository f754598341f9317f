"""The monitoring kit end to end: real vLLM (the session's engine), a real ``llm-monitor
serve`` with the shipped probes, encoder, rules and trace store, a real Prometheus and a real
Alertmanager (Debian packages ``prometheus`` and ``prometheus-alertmanager``:
scripts/install_prometheus.sh) and a webhook receiver started here.

Prometheus scrapes the sidecar and vLLM every second and evaluates the rules printed by
``llm-monitor rules --health``; harmful chat requests make the generated misuse alert fire,
and Alertmanager must deliver it to the webhook with its labels. Then every PromQL query of
the Grafana dashboard (deploy/grafana) is evaluated through Prometheus' HTTP API and must
return a finite value: no dead panels.
"""

from __future__ import annotations

import json
import math
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.launch import shipped_encoder_dir, shipped_probe_dir
from tests.integration.helpers import chat, chat_concurrently
from tests.integration.stack import SERVED_NAME, Stack, free_port, metric, scrape, wait_until
from tests.integration.test_alerts import BENIGN, HARMFUL
from tests.unit.deploy.dashboard import load, queries, substitute

RULE = "misuse"
ALERT = "LlmMonitorMisuse"


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    raise AssertionError(f"{names[0]} not found: run scripts/install_prometheus.sh")


class Webhook:
    """Alertmanager's webhook receiver: every POSTed notification lands in ``received``."""

    def __init__(self) -> None:
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.put(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def firing(self, alertname: str, timeout: float) -> dict[str, Any]:
        """The first firing alert named ``alertname`` delivered within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                notification = self.received.get(timeout=1.0)
            except queue.Empty:
                continue
            for alert in notification["alerts"]:
                if alert["labels"]["alertname"] == alertname and alert["status"] == "firing":
                    return alert
        raise AssertionError(f"no firing {alertname} reached the webhook in {timeout:.0f} s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Kit:
    """The sidecar, Prometheus and Alertmanager processes, and where they listen."""

    workdir: Path
    metrics_port: int
    prometheus_port: int
    webhook: Webhook
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]

    def start(self, name: str, cmd: list[str]) -> None:
        self.procs[name] = subprocess.Popen(
            cmd, stdout=(self.workdir / f"{name}.log").open("wb"), stderr=subprocess.STDOUT
        )

    def alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited: {self.log(name)}"

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query through Prometheus' HTTP API."""
        url = f"http://127.0.0.1:{self.prometheus_port}/api/v1/query?" + urllib.parse.urlencode(
            {"query": promql}
        )
        with urllib.request.urlopen(url, timeout=10) as resp:
            answer = json.load(resp)
        assert answer["status"] == "success", (promql, answer)
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def get(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.prometheus_port}{path}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)["data"]

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.webhook.close()


def _sidecar_config(stack: Stack, kit: Kit) -> dict[str, Any]:
    probe_dir = shipped_probe_dir(SERVED_NAME)
    assert probe_dir is not None, "the shipped probes are missing"
    encoder_dir = shipped_encoder_dir(SERVED_NAME)
    return {
        "model_name": SERVED_NAME,
        "probe_dir": str(probe_dir),
        "encoder_dir": str(encoder_dir) if encoder_dir is not None else None,
        "tokenizer_path": str(stack.model_dir),
        "grpc_address": stack.grpc_address,
        "metrics_address": f"127.0.0.1:{kit.metrics_port}",
        "rules": [
            {
                "name": RULE,
                "concept": "misuse",
                "threshold": "calibrated",
                "severity": "critical",
                "cooldown_s": 0,
            }
        ],
        "storage": {"path": str(kit.workdir / "traces.sqlite")},
    }


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def kit(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    """Everything started, the plugin connected and both scrape targets up."""
    prometheus = _binary("prometheus")
    promtool = _binary("promtool")
    alertmanager = _binary("prometheus-alertmanager", "alertmanager")
    amtool = _binary("amtool")
    workdir = tmp_path_factory.mktemp("monitoring-kit")
    kit = Kit(workdir, free_port(), free_port(), Webhook())
    try:
        config = _write(workdir / "monitor.yaml", _sidecar_config(stack, kit))
        kit.start(
            "sidecar", [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)]
        )
        rules = workdir / "rules.yml"
        generated = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "rules", "--config", str(config), "--health"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert generated.returncode == 0, generated.stderr
        rules.write_text(generated.stdout)
        am_port = free_port()
        am_config = _write(
            workdir / "alertmanager.yml",
            {
                "route": {
                    "receiver": "webhook",
                    "group_by": ["alertname", "model_name"],
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [{"name": "webhook", "webhook_configs": [{"url": kit.webhook.url}]}],
            },
        )
        prom_config = _write(
            workdir / "prometheus.yml",
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "alerting": {
                    "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]
                },
                "scrape_configs": [
                    {
                        "job_name": "llm-monitor",
                        "static_configs": [{"targets": [f"127.0.0.1:{kit.metrics_port}"]}],
                    },
                    {
                        "job_name": "vllm",
                        "static_configs": [{"targets": [f"127.0.0.1:{stack.api_port}"]}],
                    },
                ],
            },
        )
        for check in (
            [promtool, "check", "config", str(prom_config)],
            [amtool, "check-config", str(am_config)],
        ):
            done = subprocess.run(check, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stdout + done.stderr
        kit.start(
            "alertmanager",
            [
                alertmanager,
                f"--config.file={am_config}",
                f"--storage.path={workdir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",  # no HA peers
            ],
        )
        kit.start(
            "prometheus",
            [
                prometheus,
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{kit.prometheus_port}",
            ],
        )

        def ready() -> bool:
            kit.alive()
            try:
                capture = metric(scrape(kit.metrics_port), "llm_monitor_capture_up", layer="15")
                up = {r["metric"]["job"]: r["value"][1] for r in kit.query("up")}
            except OSError:
                return False
            return capture == 1.0 and up == {"llm-monitor": "1", "vllm": "1"}

        assert wait_until(ready, 120, interval=1.0), (
            f"not ready: {kit.log('sidecar')}\n{kit.log('prometheus')}"
        )
        yield kit
    finally:
        kit.close()


def _tagged(prompts: list[str], tag: str) -> list[str]:
    return [f"[{tag}-{i}] {p}" for i, p in enumerate(prompts)]


def _alerts_total(kit: Kit) -> float:
    return metric(scrape(kit.metrics_port), "llm_monitor_alerts_total", concept="misuse")


@pytest.fixture(scope="module")
def delivered(stack: Stack, kit: Kit) -> dict[str, Any]:
    """Harmful traffic until the generated rule fires; the alert the webhook received."""
    # Prometheus sees a counter rise only after it scraped the series once: the first wave
    # creates llm_monitor_alerts_total{concept="misuse"}, the second makes it increase.
    chat_concurrently(stack, _tagged(HARMFUL + BENIGN, "kit-first"), max_tokens=24)
    chat(stack, "Say hello.", max_tokens=2)  # carries the finished notices to the sidecar
    assert wait_until(lambda: _alerts_total(kit) > 0, 60), kit.log("sidecar")
    series = 'llm_monitor_alerts_total{concept="misuse"}'
    assert wait_until(lambda: bool(kit.query(series)), 30), "Prometheus did not scrape it"
    before = _alerts_total(kit)
    chat_concurrently(stack, _tagged(HARMFUL, "kit-second"), max_tokens=24)
    chat(stack, "Say hi.", max_tokens=2)
    assert wait_until(lambda: _alerts_total(kit) > before, 60), "no new misuse alert counted"
    return kit.webhook.firing(ALERT, timeout=120)


def test_prometheus_loads_the_concept_and_health_groups(kit: Kit) -> None:
    groups = {g["name"]: g for g in kit.get("/api/v1/rules")["groups"]}
    assert set(groups) == {"llm-monitor", "llm-monitor-health"}
    health = {r["name"] for r in groups["llm-monitor-health"]["rules"]}
    assert {"LlmMonitorTargetDown", "LlmMonitorCaptureDown", "LlmMonitorTracesLost"} <= health
    assert all(r["health"] == "ok" for g in groups.values() for r in g["rules"]), groups
    # the sidecar is up and capturing: neither of these fires, nor stays pending. One scrape
    # slower than the kit's 1 s interval (its timeout) makes TargetDown pending until the
    # next evaluation, which is what the rules' 5 minutes of `for` are there to absorb.
    down = {"LlmMonitorTargetDown", "LlmMonitorCaptureDown"}

    def raised(state: str | None = None) -> set[str]:
        alerts = kit.get("/api/v1/alerts")["alerts"]
        return {
            a["labels"]["alertname"]
            for a in alerts
            if a["labels"]["alertname"] in down and state in (None, a["state"])
        }

    assert not raised("firing")
    assert wait_until(lambda: not raised(), 30), raised()


def test_generated_rule_fires_through_alertmanager_to_the_webhook(
    delivered: dict[str, Any],
) -> None:
    labels = delivered["labels"]
    assert labels["alertname"] == ALERT
    assert labels["concept"] == "misuse"
    assert labels["severity"] == "critical"
    assert labels["monitor_rule"] == RULE
    assert labels["model_name"] == SERVED_NAME
    assert SERVED_NAME in delivered["annotations"]["summary"]
    assert "llm-monitor query --concept misuse" in delivered["annotations"]["description"]


def _dead_panels(kit: Kit) -> tuple[int, list[str]]:
    """(queries checked, those without a finite value), variables set as a user would."""
    values = {
        "job": "llm-monitor",
        "model_name": SERVED_NAME,
        "concept": "misuse",
        "__rate_interval": "5m",
        "__range": "1h",
    }
    dead: list[str] = []
    checked = 0
    for query in queries(load()):
        promql = substitute(query.expr, values)
        result = kit.query(promql)
        finite = [r for r in result if math.isfinite(float(r["value"][1]))]
        checked += 1
        if not finite:
            dead.append(f"{query.panel} [{query.ref_id}]: {promql} -> {result}")
    return checked, dead


def test_every_dashboard_panel_returns_data(
    delivered: dict[str, Any], kit: Kit, stack: Stack
) -> None:
    """Each PromQL query of the dashboard returns at least one series with a finite value
    from the scraped sidecar and vLLM. A rate() needs two scrapes that saw a counter move:
    while some panel has none yet, traffic goes on as on a live dashboard (up to 90 s)."""
    deadline = time.monotonic() + 90.0
    checked, dead = _dead_panels(kit)
    while dead and time.monotonic() < deadline:
        chat_concurrently(stack, _tagged(HARMFUL[:2] + BENIGN[:2], "kit-more"), max_tokens=8)
        chat(stack, "Say hey.", max_tokens=2)  # carries the finished notices
        time.sleep(3.0)  # a few scrapes
        checked, dead = _dead_panels(kit)
    assert checked >= 30
    assert not dead, "panels without data:\n" + "\n".join(dead)
