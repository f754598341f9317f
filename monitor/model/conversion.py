"""GGUF -> dense safetensors: dequantize with transformers, save, swap into place.

The model is built in a temporary directory next to the target and renamed into place,
so an interrupted run never leaves half a model behind. torch, transformers and gguf are
imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.model.generation import check_record
from monitor.model.hf import dtype_kwarg, offline
from monitor.model.marker import (
    SAVED_DTYPE,
    build_marker,
    is_prepared,
    locked,
    missing_files,
    write_marker,
)
from monitor.model.settings import ModelError
from monitor.model.source import sha256_file

log = logging.getLogger("monitor.model")


def _remove_leftovers(model_dir: Path) -> None:
    """Remove temporary directories an interrupted run left next to ``model_dir``."""
    for pattern in (f".{model_dir.name}.tmp-*", f".{model_dir.name}.old-*"):
        for path in model_dir.parent.glob(pattern):
            if path.is_dir():
                log.info("removing leftover %s", path)
                shutil.rmtree(path, ignore_errors=True)


def _strip_quantization(model: Any) -> None:
    """Detach the GGUF loader's quantization state so ``save_pretrained`` accepts the model.

    The weights are already dense (dequantized); what remains is bookkeeping: the quantizer
    object and ``quantization_config`` on the config.
    """
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
    for attr in ("quantization_config", "_pre_quantization_dtype"):
        if hasattr(model.config, attr):
            with contextlib.suppress(AttributeError):
                delattr(model.config, attr)
    with contextlib.suppress(AttributeError):
        model.is_quantized = False
    if getattr(model, "quantization_method", None) is not None:
        with contextlib.suppress(AttributeError):
            model.quantization_method = None


def _gguf_chat_template(gguf_path: Path) -> str | None:
    """The chat template stored in the GGUF metadata, if any."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    fld = reader.fields.get("tokenizer.chat_template")
    if fld is None or not fld.data:
        return None
    return bytes(fld.parts[fld.data[0]]).decode("utf-8")


def _rewrite_json(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _fix_saved_files(model_dir: Path) -> None:
    """Normalise what transformers wrote.

    config.json: no ``quantization_config``, bfloat16 as the dtype (under both key names).
    tokenizer_config.json: without the load-time options (``local_files_only``, ``is_local``)
    that the loader records there.
    """

    def fix_config(config: dict[str, Any]) -> None:
        config.pop("quantization_config", None)
        config["dtype"] = SAVED_DTYPE
        config["torch_dtype"] = SAVED_DTYPE

    def fix_tokenizer_config(config: dict[str, Any]) -> None:
        for key in ("local_files_only", "is_local"):
            config.pop(key, None)

    _rewrite_json(model_dir / "config.json", fix_config)
    tokenizer_config = model_dir / "tokenizer_config.json"
    if tokenizer_config.is_file():
        _rewrite_json(tokenizer_config, fix_tokenizer_config)


def _make_readable(directory: Path) -> None:
    """Ordinary permissions (as the umask allows) for the directory and its files.

    ``mkdtemp`` creates the directory private, and safetensors files come out private too;
    a model served by another user (a container's) must be able to read them.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(directory, 0o777 & ~umask)
    for path in directory.iterdir():
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o666 & ~umask)


def _convert_into(gguf_path: Path, out_dir: Path) -> None:
    """Dequantize ``gguf_path`` and save model and tokenizer into ``out_dir`` (which exists)."""
    with offline():
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source_dir, name = str(gguf_path.parent), gguf_path.name
        started = time.monotonic()
        tokenizer = AutoTokenizer.from_pretrained(source_dir, gguf_file=name, local_files_only=True)
        if not getattr(tokenizer, "chat_template", None):
            tokenizer.chat_template = _gguf_chat_template(gguf_path)
        if not tokenizer.chat_template:
            raise ModelError(f"{gguf_path} carries no chat template; cannot prepare a chat model")
        log.info("tokenizer loaded from the GGUF in %.1f s", time.monotonic() - started)

        started = time.monotonic()
        load_kwargs: dict[str, Any] = {
            "gguf_file": name,
            "local_files_only": True,
            dtype_kwarg(): torch.float32,
        }
        gguf_config = getattr(transformers, "GgufConfig", None)
        if gguf_config is not None:
            # Dense weights, even where a packed-GGUF matmul kernel would be available.
            load_kwargs["quantization_config"] = gguf_config(dequantize=True)
        model: Any = AutoModelForCausalLM.from_pretrained(source_dir, **load_kwargs)
        log.info(
            "model dequantized in %.1f s (%s, %d layers, hidden size %d)",
            time.monotonic() - started,
            type(model).__name__,
            model.config.num_hidden_layers,
            model.config.hidden_size,
        )

        started = time.monotonic()
        _strip_quantization(model)
        model = model.to(torch.bfloat16)
        model.config.dtype = torch.bfloat16
        tokenizer.model_max_length = model.config.max_position_embeddings
        model.save_pretrained(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))
        _fix_saved_files(out_dir)
        log.info("saved safetensors and tokenizer in %.1f s", time.monotonic() - started)
        del model


def _swap_into_place(tmp_dir: Path, model_dir: Path) -> None:
    """Rename ``tmp_dir`` to ``model_dir``, replacing whatever was there."""
    old: Path | None = None
    if model_dir.exists() or model_dir.is_symlink():
        old = model_dir.with_name(f".{model_dir.name}.old-{os.getpid()}")
        os.rename(model_dir, old)
    os.rename(tmp_dir, model_dir)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def convert(
    gguf_path: Path,
    out_dir: Path,
    *,
    source_sha256: str | None = None,
    verify: Callable[[Path], str] | None = None,
    force: bool = False,
) -> bool:
    """Make ``out_dir`` a dense safetensors copy of the GGUF model. Idempotent.

    Does nothing when ``out_dir``'s marker names this file with this sha256 (unless
    ``force``). Otherwise the model is built in a temporary directory next to ``out_dir``,
    checked with ``verify`` when given (its return value, the answer, goes into the marker)
    and renamed into place. Returns whether anything was converted.
    """
    gguf_path = Path(gguf_path)
    out_dir = Path(out_dir)
    if not gguf_path.is_file():
        raise ModelError(f"GGUF file not found: {gguf_path}")
    digest = source_sha256 if source_sha256 is not None else sha256_file(gguf_path)
    with locked(out_dir):
        if not force and is_prepared(out_dir, gguf_path.name, digest):
            log.info("%s is up to date (marker matches %s)", out_dir, gguf_path.name)
            return False
        _remove_leftovers(out_dir)
        tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        try:
            log.info("converting %s into %s (via %s)", gguf_path.name, out_dir, tmp_dir.name)
            _convert_into(gguf_path, tmp_dir)
            marker = build_marker(gguf_path, digest)
            if verify is not None:
                answer = verify(tmp_dir)
                marker["check"] = check_record(answer)
            write_marker(tmp_dir, marker)
            _make_readable(tmp_dir)
            missing = missing_files(tmp_dir)
            if missing:
                raise ModelError(f"conversion produced an incomplete model, missing: {missing}")
            _swap_into_place(tmp_dir, out_dir)
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
    log.info("model written to %s", out_dir)
    return True
