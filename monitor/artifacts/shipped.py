"""Where the trained artifacts shipped for a model are: ``probes/artifacts/<model>/``.

The directory sits beside the ``monitor`` package: in a source checkout that is the
repository, in an installation the environment's site-packages (when the artifacts were
installed with it). Probes are ``*.probe.json`` there, the concept encoder is in
``encoder/``. Nothing here imports the toolkit or loads a file.
"""

from __future__ import annotations

from pathlib import Path

from monitor.artifacts.encoder_format import ONNX_FILE

SHIPPED_ROOT = Path(__file__).resolve().parents[2] / "probes" / "artifacts"
"""Root of the shipped artifacts, one directory per served model name."""

ENCODER_SUBDIR = "encoder"


def artifact_dir(model_name: str) -> Path:
    """Where the artifacts of ``model_name`` are written and looked for (may not exist)."""
    return SHIPPED_ROOT / model_name


def encoder_artifact_dir(model_name: str) -> Path:
    """Where the concept encoder of ``model_name`` is written and looked for."""
    return artifact_dir(model_name) / ENCODER_SUBDIR


def shipped_probe_dir(model_name: str) -> Path | None:
    """The probe directory shipped for a model, if this installation has one."""
    candidate = artifact_dir(model_name)
    return candidate if any(candidate.glob("*.probe.json")) else None


def shipped_encoder_dir(model_name: str) -> Path | None:
    """The concept-encoder directory shipped for a model, if this installation has one."""
    candidate = encoder_artifact_dir(model_name)
    return candidate if (candidate / ONNX_FILE).is_file() else None
