"""Which part of a chat each token belongs to: the segments a probe is scoped to.

A served request is a prompt (rendered by the model's chat template) followed by the
tokens the model generates. Probes read only the segments they were trained on (a
misuse probe the user's request, a deception probe the reply), so training,
calibration, evaluation and serving all label tokens with this module.

The chat markup is learned from the tokenizer, not hard-coded: a conversation with
sentinel contents is rendered through the model's own chat template, and the token
sequences between the contents (a turn's end plus the next turn's header) become the
markers searched for in real prompts. A start-up self-test segments the rendered
sample; a template the scheme does not fit (or none) falls back to ``prompt`` vs
``reply``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.artifacts.segment_names import SEGMENT_NAMES, Segment, SegmentName

log = logging.getLogger(__name__)

__all__ = ["SEGMENT_NAMES", "Segment", "SegmentName"]


SegmentArray = npt.NDArray[np.int8]


def scope_mask(scope: Iterable[str] | None) -> npt.NDArray[np.bool_]:
    """Lookup table ``mask[segment] -> in scope`` (``None`` = every segment)."""
    if scope is None:
        return np.ones(len(SEGMENT_NAMES), dtype=np.bool_)
    names = set(scope)
    unknown = names - set(SEGMENT_NAMES)
    if unknown:
        raise ValueError(f"unknown segment(s) {sorted(unknown)}; known: {list(SEGMENT_NAMES)}")
    return np.array([n in names for n in SEGMENT_NAMES], dtype=np.bool_)


# Sentinel contents: plain lower-case words that tokenise into whole tokens on their own.
_SENTINELS = ("zqxsystemword", "zqxfirstuser", "zqxassistant", "zqxseconduser")
_END = -1  # marker kind: a turn's end followed by a user header
_TO_ASSISTANT = -2  # a turn's end followed by an assistant header


@dataclass(frozen=True)
class ChatMarkup:
    """The token sequences a chat template puts around message contents.

    ``leading_system`` / ``leading_user`` open a conversation whose first turn is a system
    or a user turn; ``to_user`` closes a turn and opens a user turn; ``to_assistant``
    closes a user turn and opens an assistant turn (the generation prompt). A marker's
    last token may be merged by the tokenizer with the start of the content that follows
    (a user message starting with a newline): ``merged_last`` holds, per marker, the token
    ids whose text starts with the marker's last token's text.
    """

    leading_system: tuple[int, ...]
    leading_user: tuple[int, ...]
    to_user: tuple[int, ...]
    to_assistant: tuple[int, ...]
    merged_last: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())

    def segment(self, prompt: Sequence[int]) -> SegmentArray:
        """The segment of every prompt token (all ``prompt`` when it has no chat turns)."""
        ids = list(prompt)
        n = len(ids)
        out = np.full(n, int(Segment.MARKUP), dtype=np.int8)
        markers = self._markers(ids)
        if not markers:
            out[:] = Segment.PROMPT
            return out
        # The first content's role follows from the marker that closes it; the template's
        # opening tokens of that role are markup (as far as they match: a default system
        # prompt may carry today's date).
        role = "system" if markers[0][1] == _END else "user"
        leading = self.leading_system if role == "system" else self.leading_user
        start = _common_prefix(ids, leading, markers[0][0])
        # Contents: (role, start, end), each closed by a marker or the prompt's end.
        contents: list[tuple[str, int, int]] = []
        pos = start
        for at, kind, length in markers:
            contents.append((role, pos, at))
            pos = at + length
            role = "user" if kind == _END else "assistant"
        contents.append((role, pos, n))  # after the last marker: open turn (may be empty)
        # a marker always opens or closes a user turn, so there is one
        last_user = max(i for i, c in enumerate(contents) if c[0] == "user")
        for i, (role, a, b) in enumerate(contents):
            if role == "system":
                seg = Segment.SYSTEM
            elif i == last_user:
                seg = Segment.USER
            elif role == "assistant" and i == len(contents) - 1 and i > last_user:
                seg = Segment.REPLY  # the prompt ends inside an assistant turn
            else:
                seg = Segment.HISTORY
            out[a:b] = seg
        if last_user < len(markers):  # the marker that closes the latest user turn
            at, kind, length = markers[last_user]
            if kind == _TO_ASSISTANT:
                out[at : at + length] = Segment.POST_INSTRUCTION
        return out

    def _markers(self, ids: list[int]) -> list[tuple[int, int, int]]:
        """Non-overlapping occurrences of both markers, left to right: (index, kind,
        length)."""
        found: list[tuple[int, int, int]] = []
        kinds = (
            (_TO_ASSISTANT, self.to_assistant, self.merged_last[1]),
            (_END, self.to_user, self.merged_last[0]),
        )
        first = {self.to_user[0], self.to_assistant[0]}
        i, n = 0, len(ids)
        while i < n:
            if ids[i] in first:
                for kind, marker, merged in kinds:
                    k = len(marker)
                    if (
                        i + k <= n
                        and tuple(ids[i : i + k - 1]) == marker[:-1]
                        and (ids[i + k - 1] == marker[-1] or ids[i + k - 1] in merged)
                    ):
                        found.append((i, kind, k))
                        i += k
                        break
                else:
                    i += 1
                continue
            i += 1
        return found


def _common_prefix(ids: list[int], leading: tuple[int, ...], limit: int) -> int:
    """How many of the first tokens (before ``limit``) equal ``leading``'s."""
    k = 0
    while k < min(len(leading), limit) and ids[k] == leading[k]:
        k += 1
    return k


def _ids(value: Any) -> list[int]:
    if isinstance(value, dict) or hasattr(value, "input_ids"):
        value = value["input_ids"]
    return [int(v) for v in value]


def learn_markup(tokenizer: Any) -> ChatMarkup | None:
    """The chat markup of a Hugging Face tokenizer's template, or None when it has no
    template or the template does not fit (checked by segmenting a rendered sample)."""
    if not getattr(tokenizer, "chat_template", None):
        return None
    s, u1, a1, u2 = _SENTINELS
    try:
        text = tokenizer.apply_chat_template(
            [
                {"role": "system", "content": s},
                {"role": "user", "content": u1},
                {"role": "assistant", "content": a1},
                {"role": "user", "content": u2},
            ],
            tokenize=False,
            add_generation_prompt=True,
        )
        user_first = tokenizer.apply_chat_template(
            [{"role": "user", "content": u1}], tokenize=False, add_generation_prompt=True
        )
    except Exception as exc:  # templates raise on roles they do not support
        log.warning("chat template cannot render a sample conversation (%s)", exc)
        return None
    cuts = [text.find(x) for x in _SENTINELS]
    if any(c < 0 for c in cuts) or cuts != sorted(cuts):
        return None
    ends = [c + len(x) for c, x in zip(cuts, _SENTINELS, strict=True)]

    def tok(piece: str) -> tuple[int, ...]:
        return tuple(_ids(tokenizer(piece, add_special_tokens=False)))

    sys_to_user = tok(text[ends[0] : cuts[1]])
    user_to_asst = tok(text[ends[1] : cuts[2]])
    asst_to_user = tok(text[ends[2] : cuts[3]])
    gen_prompt = tok(text[ends[3] :])
    if not (sys_to_user and user_to_asst) or asst_to_user != sys_to_user:
        return None
    if gen_prompt != user_to_asst:
        return None
    # A template that adds a default system prompt renders the user-first conversation
    # with it: its first marker is then a turn end, and the default prompt is system.
    markup = ChatMarkup(
        leading_system=tok(text[: cuts[0]]),
        leading_user=tok(user_first[: user_first.find(u1)]),
        to_user=sys_to_user,
        to_assistant=user_to_asst,
        merged_last=(_merging(tokenizer, sys_to_user[-1]), _merging(tokenizer, user_to_asst[-1])),
    )
    return markup if _self_test(markup, tokenizer, text) else None


def _merging(tokenizer: Any, token_id: int) -> frozenset[int]:
    """Token ids whose text starts with ``token_id``'s text (and is longer): what the
    tokenizer makes of a marker's last token followed by more of the same characters."""
    piece = tokenizer.decode([token_id])
    if not piece:
        return frozenset()
    return frozenset(
        i
        for i, text in enumerate(_vocabulary_texts(tokenizer))
        if len(text) > len(piece) and text.startswith(piece) and not text[len(piece) :].isalnum()
    )


def _vocabulary_texts(tokenizer: Any) -> list[str]:
    return [tokenizer.decode([i]) for i in range(len(tokenizer))]


def _self_test(markup: ChatMarkup, tokenizer: Any, text: str) -> bool:
    """Segment the rendered sample: every sentinel must land in its expected segment."""
    ids = _ids(tokenizer(text, add_special_tokens=False))
    segments = markup.segment(ids)
    expected = (Segment.SYSTEM, Segment.HISTORY, Segment.HISTORY, Segment.USER)
    for word, want in zip(_SENTINELS, expected, strict=True):
        word_ids = _ids(tokenizer(word, add_special_tokens=False))
        at = _index_of(ids, word_ids)
        if at < 0 or not np.all(segments[at : at + len(word_ids)] == want):
            log.warning("chat markup self-test failed at %r", word)
            return False
    tail = segments[len(ids) - len(markup.to_assistant) :]
    return bool(np.all(tail == Segment.POST_INSTRUCTION))


def _index_of(ids: list[int], sub: list[int]) -> int:
    for i in range(len(ids) - len(sub) + 1):
        if ids[i : i + len(sub)] == sub:
            return i
    return -1


_SENTENCE_END_CHARS = frozenset(".!?\n")


def sentence_end_ids(tokenizer: Any) -> frozenset[int]:
    """Token ids whose text ends a sentence (last non-space character ``. ! ?`` or a
    newline)."""
    out = set()
    for token_id, text in enumerate(_vocabulary_texts(tokenizer)):
        stripped = text.rstrip(" ")
        if stripped and stripped[-1] in _SENTENCE_END_CHARS:
            out.add(token_id)
    return frozenset(out)


@dataclass(frozen=True)
class Segmenter:
    """Segments of a served request: the prompt by its chat markup, then the reply."""

    markup: ChatMarkup | None
    sentence_ends: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        size = max(self.sentence_ends, default=-1) + 1
        table = np.zeros(size, dtype=np.bool_)
        table[list(self.sentence_ends)] = True
        object.__setattr__(self, "_ends", table)

    def prompt_segments(self, prompt: Sequence[int]) -> SegmentArray:
        """The segment of each prompt token (all ``prompt`` without markup)."""
        if self.markup is None:
            return np.full(len(prompt), int(Segment.PROMPT), dtype=np.int8)
        return self.markup.segment(prompt)

    def request_segments(self, prompt: Sequence[int], total: int) -> SegmentArray:
        """Segments of a request of ``total`` tokens whose first ``len(prompt)`` are the
        prompt; the rest is the model's reply."""
        out = np.full(total, int(Segment.REPLY), dtype=np.int8)
        p = min(len(prompt), total)
        out[:p] = self.prompt_segments(prompt)[:p]
        return out

    def is_sentence_end(self, token_ids: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.bool_]:
        """Which tokens end a sentence (all False without a tokenizer's vocabulary)."""
        table: npt.NDArray[np.bool_] = self._ends  # type: ignore[attr-defined]
        ids = np.asarray(token_ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < table.shape[0])
        out = np.zeros(ids.shape[0], dtype=np.bool_)
        out[inside] = table[ids[inside]]
        return out


def segmenter_from_tokenizer(tokenizer: Any) -> Segmenter:
    """A segmenter for a Hugging Face tokenizer (markup and sentence ends)."""
    markup = learn_markup(tokenizer)
    if markup is None:
        log.warning("no usable chat template: tokens are segmented as prompt vs reply only")
    return Segmenter(markup=markup, sentence_ends=sentence_end_ids(tokenizer))


def load_segmenter(path: str) -> Segmenter:
    """A segmenter for the tokenizer in a model directory (needs ``transformers``)."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise RuntimeError(f"segmenting by chat template needs 'transformers' ({exc})") from None
    return segmenter_from_tokenizer(AutoTokenizer.from_pretrained(path))
