"""The serving dtype chosen from the CPU's flags (``monitor.cpu``) and passed to vLLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import cpu
from monitor.launch import VllmServerSettings, vllm_command

SAPPHIRE_RAPIDS = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
COOPER_LAKE = frozenset({"avx2", "avx512f", "avx512_bf16"})
EPYC_AVX2 = frozenset({"avx", "avx2", "fma"})
SKYLAKE = frozenset({"avx2", "avx512f", "avx512_vnni"})


@pytest.mark.parametrize(
    ("flags", "dtype"),
    [
        (SAPPHIRE_RAPIDS, "bfloat16"),
        (COOPER_LAKE, "bfloat16"),
        (EPYC_AVX2, "float32"),
        (SKYLAKE, "float32"),
        (frozenset(), "float32"),
    ],
)
def test_bfloat16_only_where_native_on_x86(flags: frozenset[str], dtype: str) -> None:
    choice = cpu.choose_dtype(flags, machine="x86_64")
    assert choice.dtype == dtype
    assert choice.native_bf16 is (dtype == "bfloat16")
    assert set(choice.flags) <= flags


def test_the_reason_names_the_native_instructions() -> None:
    assert "amx_bf16" in cpu.choose_dtype(SAPPHIRE_RAPIDS, machine="x86_64").reason
    assert "no native bfloat16" in cpu.choose_dtype(EPYC_AVX2, machine="x86_64").reason


def test_an_override_wins_and_other_architectures_keep_the_model_dtype() -> None:
    assert cpu.choose_dtype(SAPPHIRE_RAPIDS, "float32", machine="x86_64").dtype == "float32"
    assert cpu.choose_dtype(EPYC_AVX2, "bfloat16", machine="x86_64").dtype == "bfloat16"
    assert cpu.choose_dtype(frozenset(), machine="aarch64").dtype == "bfloat16"


def test_flags_are_read_from_the_first_processor(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\nflags\t: fpu\n"
    )
    assert cpu.cpu_flags(info) == frozenset({"fpu", "avx2", "avx512_bf16"})
    assert cpu.cpu_flags(tmp_path / "missing") == frozenset()
    (tmp_path / "empty").write_text("processor : 0\n")
    assert cpu.cpu_flags(tmp_path / "empty") == frozenset()


def test_the_environment_overrides_and_a_bad_value_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_MONITOR_DTYPE", "float32")
    assert cpu.dtype_override() == "float32"
    monkeypatch.setenv("LLM_MONITOR_DTYPE", "int4")
    with pytest.raises(ValueError, match="LLM_MONITOR_DTYPE must be one of"):
        cpu.dtype_override()
    monkeypatch.delenv("LLM_MONITOR_DTYPE")
    assert cpu.dtype_override() is None


def _dtype_of(cmd: list[str]) -> list[str]:
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--dtype"]


def test_vllm_is_started_in_the_chosen_dtype_unless_its_arguments_name_one() -> None:
    settings = VllmServerSettings(model_dir=Path("/m"), served_model_name="m", dtype="float32")
    assert _dtype_of(vllm_command(settings)) == ["float32"]
    detected = VllmServerSettings(model_dir=Path("/m"), served_model_name="m")
    assert _dtype_of(vllm_command(detected)) == [cpu.serving_dtype().dtype]
    passed = VllmServerSettings(
        model_dir=Path("/m"), served_model_name="m", extra_args=["--dtype", "float16"]
    )
    assert _dtype_of(vllm_command(passed)) == ["float16"]
    inline = VllmServerSettings(
        model_dir=Path("/m"), served_model_name="m", extra_args=["--dtype=float16"]
    )
    assert _dtype_of(vllm_command(inline)) == []


def test_up_refuses_a_bad_dtype_before_starting_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.cli.exit_codes import ExitCode
    from monitor.launch import run_up
    from monitor.sidecar.config import SidecarConfig

    cpu.serving_dtype.cache_clear()
    monkeypatch.setenv("LLM_MONITOR_DTYPE", "int4")
    server = VllmServerSettings(model_dir=Path("/m"), served_model_name="m")
    try:
        assert run_up(SidecarConfig(), server) == ExitCode.CONFIG
    finally:
        cpu.serving_dtype.cache_clear()


def test_up_refuses_engine_cpus_it_cannot_use_before_starting_anything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from monitor import placement
    from monitor.cli.exit_codes import ExitCode
    from monitor.launch import run_up
    from monitor.sidecar.config import SidecarConfig

    if not placement.supported():
        pytest.skip("Linux thread affinity")
    beyond = str(max(placement.usable_cpus()) + 1)
    server = VllmServerSettings(model_dir=Path("/m"), served_model_name="m", engine_cpus=beyond)
    assert run_up(SidecarConfig(), server) == ExitCode.CONFIG
    assert f"CPU(s) {beyond} of '{beyond}' are not available" in caplog.text
