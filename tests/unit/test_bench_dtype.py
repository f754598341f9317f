"""``bench dtype``: the order of the engines, the medians and the verdict (the engine
itself is faked here; the vLLM rate it would measure is bench sidecar's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.bench.dtype import DtypeBenchSettings, run_dtype_bench
from monitor.cli.main import build_parser
from monitor.cpu import ServingDtype, choose_dtype, cpu_flags


def _fake(rates: dict[str, list[float]], calls: list[str]) -> Any:
    def measure(
        model_dir: Path, name: str, requests: int, tokens: int, rounds: int, dtype: ServingDtype
    ) -> dict[str, Any]:
        calls.append(dtype)
        return {"tokens_per_s": rates[dtype].pop(0)}

    return measure


def test_the_fastest_dtype_is_the_highest_median_and_the_order_alternates() -> None:
    calls: list[str] = []
    rates = {"bfloat16": [800.0, 790.0, 100.0], "float32": [470.0, 480.0, 900.0]}
    settings = DtypeBenchSettings(Path("m"), "model", repeats=3)
    result = run_dtype_bench(settings, _fake(rates, calls))
    assert calls == ["bfloat16", "float32", "float32", "bfloat16", "bfloat16", "float32"]
    assert result["median_tokens_per_s"] == {"bfloat16": 790.0, "float32": 480.0}
    assert result["fastest"] == "bfloat16"
    assert result["ratios_to_fastest"] == {"bfloat16": 1.0, "float32": 0.608}
    chosen = choose_dtype(cpu_flags())
    assert result["chosen"]["dtype"] == chosen.dtype
    assert result["chosen_is_fastest"] == (chosen.dtype == "bfloat16")
    assert [run["dtype"] for run in result["runs"]] == calls


def test_the_cli_takes_known_dtypes_only() -> None:
    args = build_parser().parse_args(
        ["bench", "dtype", "--dtypes", "float32", "float32", "bfloat16", "--repeats", "1"]
    )
    assert args.dtypes == ["float32", "float32", "bfloat16"]
    assert args.repeats == 1
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "dtype", "--dtypes", "int4"])
