"""Modules stay small enough to read in one sitting (README, "Layout").

Generated protobuf code and the training data's phrase pools and template tables are
data, not logic, and are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MAX_LINES = 400
#: Data modules: generated code, phrase pools and template tables of the training data.
DATA = re.compile(r"(_pb2(_grpc)?\.pyi?$)|(^probes/data/_(pools|templates)_\w+\.py$)")


def test_no_module_over_the_line_budget() -> None:
    too_long = {}
    for folder in ("monitor", "probes", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if DATA.search(relative):
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long[relative] = lines
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"


def test_the_data_pattern_names_only_data() -> None:
    assert DATA.search("monitor/v1/ingest_pb2.py")
    assert DATA.search("probes/data/_pools_misuse.py")
    assert not DATA.search("probes/data/_build_misuse.py")
    assert not DATA.search("monitor/sidecar/config.py")
