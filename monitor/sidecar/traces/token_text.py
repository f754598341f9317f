"""Token text for stored traces, from the served model's ``tokenizer.json``.

Only used when ``storage.keep_token_text`` is on; the ``tokenizers`` package is imported
then and only then.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from monitor.sidecar.traces.writer import TokenDecoder

TOKENIZER_FILE = "tokenizer.json"


class TokenizerError(Exception):
    """The tokenizer cannot be found or loaded; the message names the path."""


def tokenizer_decoder(path: Path) -> TokenDecoder:
    """A decoder from ``tokenizer.json`` (or a model directory that contains it)."""
    file = path / TOKENIZER_FILE if path.is_dir() else path
    if not file.is_file():
        raise TokenizerError(f"{path}: no {TOKENIZER_FILE} found")
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise TokenizerError(
            f"storage.keep_token_text needs the 'tokenizers' package ({exc})"
        ) from None
    try:
        tokenizer = Tokenizer.from_file(str(file))
    except Exception as exc:
        raise TokenizerError(f"{file}: cannot load tokenizer: {exc}") from None

    def decode(token_ids: Sequence[int]) -> list[str]:
        return [tokenizer.decode([int(t)], skip_special_tokens=False) for t in token_ids]

    return decode
