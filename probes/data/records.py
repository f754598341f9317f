"""The labelled-record format (one JSON object per line) and a validating loader.

A record::

    {"id": "misuse-12", "concept": "misuse", "label": 1,
     "messages": [{"role": "user", "content": "..."}],
     "response": "optional assistant text", "source": "...",
     "family": "template family", "split": "train"}

``response``, ``family`` and ``split`` are optional so that third-party files
(which carry no template family or split) load with the same model. On-policy
records (no ``response``: the model writes its own reply) may carry ``check``, the
words that tell a truthful reply from a false one, so that a label taken from the
instruction can be checked against what the model actually said.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

Split = Literal["train", "validation", "test"]
Role = Literal["system", "user", "assistant"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")


class RecordError(ValueError):
    """A JSONL file holds a line that is not a valid record."""


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str = Field(min_length=1)


class ReplyCheck(BaseModel):
    """Words that tell a truthful reply from a false one (on-policy deception records).

    A reply is truthful when it contains one of ``truthful`` and none of ``false``;
    false when it contains none of ``truthful``. Words match case-insensitively.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    truthful: tuple[str, ...] = Field(min_length=1)
    false: tuple[str, ...] = ()

    def verdict(self, reply: str) -> Literal["truthful", "false", "unclear"]:
        """How ``reply`` reads against the expected answers."""
        words = set(re.findall(r"[a-z0-9]+", reply.lower()))
        says_true = any(w.lower() in words for w in self.truthful)
        says_false = any(w.lower() in words for w in self.false)
        if says_true and not says_false:
            return "truthful"
        if not says_true:
            return "false"
        return "unclear"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    concept: str = Field(min_length=1)
    label: StrictInt
    messages: tuple[Message, ...] = Field(min_length=1)
    response: str | None = None
    source: str = Field(min_length=1)
    family: str | None = None
    split: Split | None = None
    # On-policy records only: how to check the model's own reply against the label.
    check: ReplyCheck | None = None

    @field_validator("label")
    @classmethod
    def _binary_label(cls, v: int) -> int:
        if v not in (0, 1):
            raise ValueError("label must be 0 or 1")
        return v

    @field_validator("messages")
    @classmethod
    def _has_user_turn(cls, v: tuple[Message, ...]) -> tuple[Message, ...]:
        if not any(m.role == "user" for m in v):
            raise ValueError("messages must contain at least one user message")
        if v[-1].role != "user":
            raise ValueError("the last message must be a user message (the reply is `response`)")
        return v

    @field_validator("response")
    @classmethod
    def _non_empty_response(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("response, when present, must not be empty")
        return v

    def to_json_dict(self) -> dict[str, Any]:
        """The record as written to JSONL: fixed key order, absent optionals left out."""
        out: dict[str, Any] = {
            "id": self.id,
            "concept": self.concept,
            "label": self.label,
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
        }
        if self.response is not None:
            out["response"] = self.response
        out["source"] = self.source
        if self.family is not None:
            out["family"] = self.family
        if self.split is not None:
            out["split"] = self.split
        if self.check is not None:
            out["check"] = self.check.model_dump()
        return out


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "<record>"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def parse_lines(lines: Iterable[str], name: str) -> list[Record]:
    """Parse JSONL text; ``name`` is used in error messages (``name:line: ...``)."""
    records: list[Record] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise RecordError(f"{name}:{lineno}: invalid JSON: {e.msg}") from e
        if not isinstance(obj, dict):
            raise RecordError(f"{name}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        try:
            rec = Record.model_validate(obj)
        except ValidationError as e:
            raise RecordError(f"{name}:{lineno}: invalid record: {_describe(e)}") from e
        if rec.id in seen:
            raise RecordError(
                f"{name}:{lineno}: duplicate id {rec.id!r} (first seen on line {seen[rec.id]})"
            )
        seen[rec.id] = lineno
        records.append(rec)
    return records


def load_records(path: str | Path) -> list[Record]:
    """Load and validate a JSONL file of records.

    Raises :class:`RecordError` naming ``file:line`` on the first bad line, and
    :class:`FileNotFoundError` if the file does not exist.
    """
    p = Path(path)
    with p.open(encoding="utf-8") as f:
        return parse_lines(f, str(p))


def dumps_records(records: Iterable[Record]) -> str:
    """Serialise records to JSONL text (UTF-8, one object per line, trailing newline)."""
    return "".join(json.dumps(r.to_json_dict(), ensure_ascii=False) + "\n" for r in records)
