"""Token text for stored traces: as an update brings it, or decoded from the served
model's ``tokenizer.json``.

The tokenizer is only used when ``storage.keep_token_text`` is on; the ``tokenizers``
package is imported then and only then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.writer import TokenDecoder, TraceUpdate

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


def chunk_texts(
    update: TraceUpdate,
    index: int,
    chunk: RequestTokens,
    decode: TokenDecoder | None,
    on_error: Callable[[str, BaseException], None],
) -> list[str] | None:
    """The text of an update's ``index``-th chunk of tokens: as the update brings it, else
    decoded with ``decode`` (None: no text). A count that does not match, or a decoder
    failure, keeps the tokens without text and goes to ``on_error("decode", exc)``."""
    given = update.texts[index] if update.texts is not None and index < len(update.texts) else ()
    if given:
        if len(given) == len(chunk):
            return list(given)
        on_error("decode", ValueError(f"{len(given)} texts for {len(chunk)} tokens"))
        return None
    if decode is None:
        return None
    token_ids = chunk.token_ids.tolist()
    try:
        texts = decode(token_ids)
        if len(texts) != len(token_ids):
            raise ValueError(f"decoder returned {len(texts)} texts for {len(token_ids)} ids")
        return texts
    except Exception as exc:
        on_error("decode", exc)
        return None
