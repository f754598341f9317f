"""The host CPU's features, and the dtype vLLM serves the default model in on it.

vLLM's CPU backend runs bfloat16 fast only where the CPU computes it natively
(``avx512_bf16`` or AMX's ``amx_bf16``); elsewhere (AVX2-only CPUs, e.g. many AMD EPYC)
every bfloat16 matmul is emulated and a small model serves faster in float32. The choice
is made once per process from ``/proc/cpuinfo`` and logged; ``LLM_MONITOR_DTYPE`` (or an
explicit ``--dtype``) overrides it.
"""

from __future__ import annotations

import functools
import logging
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("llm_monitor.cpu")

CPUINFO = Path("/proc/cpuinfo")
#: Flags (as /proc/cpuinfo spells them) of instructions that compute bfloat16 natively.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
#: Flags reported with the choice (what the CPU backend's kernels can use).
REPORTED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni")

ServingDtype = Literal["bfloat16", "float32", "float16"]
DTYPES: tuple[ServingDtype, ...] = ("bfloat16", "float32", "float16")


class DtypeSettings(BaseSettings):
    """``LLM_MONITOR_DTYPE``: the serving dtype to use instead of the detected one."""

    model_config = SettingsConfigDict(env_prefix="LLM_MONITOR_", extra="ignore")

    dtype: ServingDtype | None = None


@dataclass(frozen=True)
class DtypeChoice:
    """The dtype vLLM serves in, and why."""

    dtype: ServingDtype
    reason: str
    native_bf16: bool
    flags: tuple[str, ...]
    """Of ``REPORTED_FLAGS``, those the CPU has."""

    def as_dict(self) -> dict[str, object]:
        return {
            "dtype": self.dtype,
            "reason": self.reason,
            "native_bf16": self.native_bf16,
            "cpu_flags": list(self.flags),
        }


def cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str]:
    """The first processor's ``flags`` line of ``cpuinfo`` (empty when unreadable or absent,
    e.g. not Linux or not x86)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def has_native_bf16(flags: frozenset[str]) -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX-BF16)."""
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def choose_dtype(
    flags: frozenset[str], override: ServingDtype | None = None, machine: str | None = None
) -> DtypeChoice:
    """bfloat16 where native (or not x86, where /proc/cpuinfo flags say nothing about it),
    float32 on x86 without it; ``override`` wins."""
    native = has_native_bf16(flags)
    reported = tuple(f for f in REPORTED_FLAGS if f in flags)
    if override is not None:
        return DtypeChoice(override, "set by LLM_MONITOR_DTYPE or --dtype", native, reported)
    arch = (machine if machine is not None else platform.machine()).lower()
    if arch not in ("x86_64", "amd64", "i686", "i386"):
        return DtypeChoice(
            "bfloat16", f"{arch or 'unknown'} CPU: the model's dtype", native, reported
        )
    if native:
        present = [f for f in NATIVE_BF16_FLAGS if f in flags]
        return DtypeChoice("bfloat16", f"native bfloat16 ({', '.join(present)})", True, reported)
    return DtypeChoice(
        "float32",
        "no native bfloat16 (neither avx512_bf16 nor amx_bf16): float32 is faster here",
        False,
        reported,
    )


def dtype_override() -> ServingDtype | None:
    """``LLM_MONITOR_DTYPE`` when set; a value that is not a dtype raises ``ValueError``."""
    try:
        return DtypeSettings().dtype
    except ValidationError as exc:
        raise ValueError(
            f"LLM_MONITOR_DTYPE must be one of {', '.join(DTYPES)}: {exc.errors()[0]['msg']}"
        ) from None


@functools.cache
def serving_dtype(override: ServingDtype | None = None) -> DtypeChoice:
    """The choice for this machine (``override``, else ``LLM_MONITOR_DTYPE``, else detected),
    logged once per process and argument."""
    choice = choose_dtype(cpu_flags(), override if override is not None else dtype_override())
    log.info("serving dtype %s: %s", choice.dtype, choice.reason)
    return choice
