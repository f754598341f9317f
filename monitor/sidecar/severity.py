"""Alert severity: the one vocabulary shared by config, rules, alerts, traces and queries.

A bottom-floor module (no imports from the sidecar) so every wing can use it. On the wire
severity is a plain string (``Alert.severity``, ``TraceSummary.severity``).
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")  # ascending


def severity_rank(severity: str) -> int:
    """0 for info, 1 for warning, 2 for critical; ValueError for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(
            f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}"
        ) from None
