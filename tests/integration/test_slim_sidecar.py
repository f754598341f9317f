"""The slim sidecar's dependency list is enough: what the Dockerfile's ``sidecar`` stage
installs (the llm-monitor wheel with its ``tokenizer`` and ``otlp`` extras, in a fresh
virtual environment from the package index) brings neither torch nor vLLM, and
``llm-monitor serve`` runs from it with the shipped probes, the concept encoder, the default
model's tokenizer and a trace store, until /readyz answers 200."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.integration.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "probes" / "artifacts" / "SmolLM2-135M-Instruct"
EXTRAS = "tokenizer,otlp"  # the Dockerfile's sidecar-venv stage installs the same
HEAVY = ("torch", "vllm")
START_TIMEOUT_S = 120.0


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def slim_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with only the wheel and the sidecar's extras."""
    work = tmp_path_factory.mktemp("slim")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "monitor", source / "monitor", ignore=shutil.ignore_patterns("__pycache__")
    )
    # the checkout's generated gRPC code (make proto) goes into the wheel, as in the image
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--wheel-dir", work / "dist", source)  # fmt: skip
    (wheel,) = (work / "dist").glob("llm_monitor-*.whl")
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", f"{wheel}[{EXTRAS}]")
    return venv


def test_the_slim_install_has_no_torch_or_vllm(slim_venv: Path) -> None:
    code = f"import importlib.util as u; print(' '.join(m for m in {HEAVY!r} if u.find_spec(m)))"
    assert _run(slim_venv / "bin" / "python", "-c", code).strip() == ""


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def test_the_slim_install_serves(slim_venv: Path, model_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    config = {
        "probe_dir": str(SHIPPED),
        "encoder_dir": str(SHIPPED / "encoder"),
        "tokenizer_path": str(model_dir),
        "grpc_address": f"unix:{tmp_path / 'ingest.sock'}",
        "metrics_address": f"127.0.0.1:{port}",
        "rules": [
            {"name": "misuse", "concept": "misuse", "threshold": "calibrated"},
        ],
        "storage": {"path": str(tmp_path / "traces.sqlite")},
    }
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(config))
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [slim_venv / "bin" / "llm-monitor", "serve", "--config", path],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        status = 0
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/readyz")
            except (urllib.error.URLError, OSError):
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, f"/readyz never answered 200: {log.read_text()[-3000:]}"
        _, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        concepts = {
            line.split('concept="')[1].split('"')[0]
            for line in metrics.splitlines()
            if line.startswith("llm_monitor_probe_info{")
        }
        assert concepts == {"misuse", "deception", "eval_awareness"}
        assert (tmp_path / "traces.sqlite").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text()[-3000:]
    assert "PyTorch was not found" in log.read_text()  # transformers ran without torch
