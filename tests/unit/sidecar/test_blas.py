"""The sidecar's process runs BLAS on one thread (OpenBLAS's idle threads spin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROGRAM = """
import json, numpy
from threadpoolctl import threadpool_info
from monitor.cli.startup import build_sidecar
from monitor.sidecar.config import SidecarConfig

def blas():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

before = blas()
sidecar = build_sidecar(SidecarConfig(grpc_address="127.0.0.1:0"))
print(json.dumps({"before": before, "after": blas(), "built": type(sidecar).__name__}))
"""


def test_building_a_sidecar_leaves_blas_one_thread() -> None:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}  # what numpy starts with on 2 CPUs
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["built"] == "Sidecar"
    assert seen["before"] == [2]
    assert seen["after"] == [1]
