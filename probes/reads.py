"""What each concept's probe reads: its heads, their chat segments and their training data.

A concept's probe has one or more heads (:class:`Read`). The first is the primary head;
the others may be combined with it (mean or max of the heads' scores) when that does
better on the validation split. Every head reads only its own segments of the chat
(:mod:`monitor.artifacts.segments`) in training, calibration, evaluation and serving.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.artifacts.probe_format import Aggregation, Positions
from monitor.artifacts.segment_names import SegmentName

#: The request as the user wrote it, plus the template tokens after it, where the model
#: sums the request up before it answers; ``prompt`` is a request without chat markup.
REQUEST_SCOPE: tuple[SegmentName, ...] = ("user", "post_instruction", "prompt")
#: The same without ``prompt``: a concept whose meaning is a chat's framing (evaluation
#: awareness) does not read raw completion prompts, on which it was never trained (nor
#: could be: no record without a chat template exists to train or calibrate it on).
CHAT_REQUEST_SCOPE: tuple[SegmentName, ...] = ("user", "post_instruction")
REPLY_SCOPE: tuple[SegmentName, ...] = ("reply",)
#: Heads read the mean over their tokens: ordinary traffic is longer and more varied than
#: the training records, and a maximum (of tokens, windows or sentences) grows with the
#: length of what it reads, so it would set the calibrated threshold by the longest
#: ordinary requests rather than by what they say.
MEAN_ONLY = (Aggregation(method="mean"),)


@dataclass(frozen=True)
class Read:
    """One head: where it reads and which records train it."""

    name: str
    scope: tuple[SegmentName, ...]
    positions: Positions = "all"
    #: Family-name prefixes of the training records (empty: every record of the concept).
    families: tuple[str, ...] = ()
    candidates: tuple[Aggregation, ...] = MEAN_ONLY

    def trains_on(self, family: str | None) -> bool:
        """Whether a record of this family trains (and validates) the head."""
        return not self.families or (family or "").startswith(self.families)


READS: dict[str, tuple[Read, ...]] = {
    # Harmful intent: the user's request, and the post-instruction tokens (the refusal
    # direction of Arditi et al. 2024 is read there).
    "misuse": (
        Read("request", REQUEST_SCOPE),
        Read("post_instruction", ("post_instruction",)),
    ),
    "eval_awareness": (
        Read("request", CHAT_REQUEST_SCOPE),
        Read("post_instruction", ("post_instruction",)),
    ),
    # Deception as two signals in the reply: a false statement, read where a sentence
    # ends (neutral true/false pairs and instructed pairs), and deceptive intent, read
    # over the whole reply (same true fact under honest vs dishonest instructions, and
    # role-play with an incentive to lie).
    "deception": (
        Read(
            "falsity",
            REPLY_SCOPE,
            positions="sentence_end",
            families=("truth-", "instr-", "onpolicy-instr-"),
        ),
        Read("intent", REPLY_SCOPE, families=("intent-", "roleplay-", "onpolicy-roleplay-")),
    ),
}


def reads_for(concept: str) -> tuple[Read, ...]:
    """The heads of a concept (a concept without its own: one head on the request)."""
    return READS.get(concept, (Read("request", REQUEST_SCOPE),))


def reads_reply(concept: str) -> bool:
    """Whether any head of the concept reads the model's reply."""
    return any("reply" in r.scope for r in reads_for(concept))
