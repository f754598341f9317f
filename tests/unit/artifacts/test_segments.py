"""Chat segments learned from a tokenizer's own template (tiny in-process tokenizers)."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import WhitespaceSplit
from transformers import PreTrainedTokenizerFast

from monitor.artifacts.segment_names import Segment, segment_name
from monitor.artifacts.segments import (
    ChatMarkup,
    Segmenter,
    learn_markup,
    scope_mask,
    segmenter_from_tokenizer,
)

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }} {{ m['content'] }}<|im_end|> "
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant {% endif %}"
)
# A template that adds a default system prompt when there is none (as SmolLM2's does).
CHATML_DEFAULT_SYSTEM = (
    "{% if messages[0]['role'] != 'system' %}<|im_start|>system be helpful .<|im_end|> "
    "{% endif %}" + CHATML
)
HEADERS = (
    "<|begin|>{% for m in messages %}<|hdr|> {{ m['role'] }} <|/hdr|> {{ m['content'] }} "
    "<|eot|> {% endfor %}{% if add_generation_prompt %}<|hdr|> assistant <|/hdr|> {% endif %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|begin|>", "<|hdr|>", "<|/hdr|>", "<|eot|>"]
WORDS = [
    "system",
    "user",
    "assistant",
    "be",
    "helpful",
    ".",
    "how",
    "do",
    "i",
    "bake",
    "bread",
    "?",
    "sure",
    ",",
    "here",
    "is",
    "a",
    "recipe",
    "thanks",
    "!",
    "zqxsystemword",
    "zqxfirstuser",
    "zqxassistant",
    "zqxseconduser",
    "hello",
    "world",
    "the",
    "quick",
    "brown",
    "fox",
]


def tokenizer(template: str | None) -> PreTrainedTokenizerFast:
    vocab = {w: i for i, w in enumerate(["[UNK]", *SPECIAL, *WORDS])}
    core = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]")
    tok.add_special_tokens({"additional_special_tokens": SPECIAL})
    tok.chat_template = template
    return tok


def segments_of(tok: PreTrainedTokenizerFast, messages: list[dict[str, str]]) -> list[tuple]:
    seg = segmenter_from_tokenizer(tok)
    ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    ids = list(ids["input_ids"] if not isinstance(ids, list) else ids)
    names = [segment_name(int(s)) for s in seg.prompt_segments(ids)]
    return list(zip(tok.convert_ids_to_tokens(ids), names, strict=True))


CHAT = [
    {"role": "system", "content": "be helpful ."},
    {"role": "user", "content": "hello"},
    {"role": "assistant", "content": "hello world"},
    {"role": "user", "content": "how do i bake bread ?"},
]


@pytest.mark.parametrize("template", [CHATML, CHATML_DEFAULT_SYSTEM, HEADERS])
def test_turns_are_told_apart(template: str) -> None:
    got = segments_of(tokenizer(template), CHAT)
    content = [(t, s) for t, s in got if s not in ("markup", "post_instruction")]
    assert content == [
        ("be", "system"),
        ("helpful", "system"),
        (".", "system"),
        ("hello", "history"),
        ("hello", "history"),
        ("world", "history"),
        ("how", "user"),
        ("do", "user"),
        ("i", "user"),
        ("bake", "user"),
        ("bread", "user"),
        ("?", "user"),
    ]
    # the template tokens after the latest user turn, through the end of the prompt
    names = [s for _, s in got]
    first = names.index("post_instruction")
    assert set(names[first:]) == {"post_instruction"}
    assert "assistant" in [t for t, _ in got[first:]]
    assert first == names.index("user") + 6


@pytest.mark.parametrize("template", [CHATML, CHATML_DEFAULT_SYSTEM, HEADERS])
def test_without_a_system_turn(template: str) -> None:
    got = segments_of(tokenizer(template), [{"role": "user", "content": "hello"}])
    default = ["be", "helpful", "."] if template is CHATML_DEFAULT_SYSTEM else []
    assert [t for t, s in got if s == "system"] == default
    assert [t for t, s in got if s == "user"] == ["hello"]
    assert "user" not in [t for t, s in got if s != "markup"]


def test_prompt_ending_in_an_assistant_turn_is_reply() -> None:
    tok = tokenizer(CHATML)
    seg = segmenter_from_tokenizer(tok)
    text = tok.apply_chat_template(
        [{"role": "user", "content": "hello"}], tokenize=False, add_generation_prompt=True
    )
    ids = tok(text + "sure , here is", add_special_tokens=False)["input_ids"]
    names = [segment_name(int(s)) for s in seg.prompt_segments(ids)]
    assert names[-3:] == ["reply"] * 3
    assert "user" in names and "post_instruction" in names


def test_text_without_markup_is_prompt() -> None:
    tok = tokenizer(CHATML)
    seg = segmenter_from_tokenizer(tok)
    ids = tok("the quick brown fox", add_special_tokens=False)["input_ids"]
    assert set(seg.prompt_segments(ids).tolist()) == {Segment.PROMPT}


def test_no_template_falls_back_to_prompt_and_reply() -> None:
    tok = tokenizer(None)
    assert learn_markup(tok) is None
    seg = segmenter_from_tokenizer(tok)
    assert seg.request_segments([5, 6, 7], 5).tolist() == [Segment.PROMPT] * 3 + [Segment.REPLY] * 2


def test_sentence_ends_from_the_vocabulary() -> None:
    seg = segmenter_from_tokenizer(tokenizer(CHATML))
    tok = tokenizer(CHATML)
    ids = np.asarray(tok("sure . here is a recipe !", add_special_tokens=False)["input_ids"])
    assert seg.is_sentence_end(ids).tolist() == [False, True, False, False, False, False, True]
    assert not Segmenter(markup=None).is_sentence_end(ids).any()


def test_scope_mask() -> None:
    mask = scope_mask(["user", "post_instruction"])
    assert mask[Segment.USER] and mask[Segment.POST_INSTRUCTION]
    assert not mask[Segment.REPLY] and not mask[Segment.SYSTEM] and not mask[Segment.UNKNOWN]
    assert scope_mask(None).all()
    with pytest.raises(ValueError, match="unknown segment"):
        scope_mask(["users"])


def test_marker_merged_with_the_content_still_counts() -> None:
    """A user message starting with a newline: the tokenizer merges the header's last
    newline with it (one token), and the turn must still be found."""
    markup = ChatMarkup(
        leading_system=(1, 50, 9),
        leading_user=(1, 51, 9),
        to_user=(2, 9, 1, 51, 9),  # <end> \\n <start> user \\n
        to_assistant=(2, 9, 1, 52, 9),
        merged_last=(frozenset({99}), frozenset({99})),  # 99 = "\\n\\n"
    )
    prompt = [1, 50, 9, 60, 2, 9, 1, 51, 99, 70, 71, 2, 9, 1, 52, 9]
    names = [segment_name(int(s)) for s in markup.segment(prompt)]
    assert names[3] == "system"
    assert names[8] == "markup" and names[9:11] == ["user", "user"]
    assert names[11:] == ["post_instruction"] * 5
