"""The sidecar's process serves message-sized blocks from the heap (glibc thresholds)."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys

import pytest

PROGRAM = """
import ctypes, json, sys

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
fixed = None
if sys.argv[1] == "fixed":
    from monitor.sidecar.allocator import fix_malloc_thresholds
    fixed = fix_malloc_thresholds()
before = libc.mallinfo2().hblks
block = libc.malloc(2 << 20)  # a large message's array
mapped = libc.mallinfo2().hblks - before
libc.free(block)
print(json.dumps({"fixed": fixed, "mapped": mapped}))
"""


def _run(mode: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _has_mallinfo2() -> bool:
    try:
        return hasattr(ctypes.CDLL(None), "mallinfo2")  # glibc >= 2.33
    except OSError:
        return False


@pytest.mark.skipif(not _has_mallinfo2(), reason="glibc's mallinfo2 is needed to observe it")
def test_message_sized_blocks_come_from_the_heap_once_thresholds_are_fixed() -> None:
    assert _run("default") == {"fixed": None, "mapped": 1}  # glibc maps it by default
    assert _run("fixed") == {"fixed": True, "mapped": 0}


def test_building_a_sidecar_fixes_the_thresholds() -> None:
    program = (
        "import unittest.mock as m\n"
        "from monitor.cli import startup\n"
        "from monitor.sidecar.config import SidecarConfig\n"
        "with m.patch.object(startup, 'fix_malloc_thresholds') as fix:\n"
        "    startup.build_sidecar(SidecarConfig(grpc_address='127.0.0.1:0'))\n"
        "print(fix.call_count)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "1"
