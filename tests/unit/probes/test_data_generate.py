"""The template data generator, the committed JSONL files and the record loader."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from probes.data import generate
from probes.data.records import Record, RecordError, load_records

DATA_DIR = Path(generate.__file__).resolve().parent
SHARED_DATASETS = Path(__file__).parents[3].parent / "shared" / "datasets"


@pytest.fixture(scope="module")
def data() -> dict[str, list[Record]]:
    return generate.build_all(seed=0)


def test_at_least_600_records_per_concept(data: dict[str, list[Record]]) -> None:
    assert set(data) == {"deception", "eval_awareness", "misuse"}
    for concept, recs in data.items():
        assert len(recs) >= 600, concept


def test_no_family_shared_across_splits(data: dict[str, list[Record]]) -> None:
    for concept, recs in data.items():
        splits_of: dict[str | None, set[str | None]] = defaultdict(set)
        for r in recs:
            assert r.family and r.split, r.id
            splits_of[r.family].add(r.split)
        shared = {f: s for f, s in splits_of.items() if len(s) > 1}
        assert not shared, (concept, shared)


def test_both_labels_in_every_split_and_balanced(data: dict[str, list[Record]]) -> None:
    for concept, recs in data.items():
        for split in ("train", "validation", "test"):
            c = Counter(r.label for r in recs if r.split == split)
            assert c[0] > 0 and c[1] > 0, (concept, split, c)
            assert abs(c[0] - c[1]) <= 0.1 * (c[0] + c[1]), (concept, split, c)


def test_contrastive_families_hold_both_labels(data: dict[str, list[Record]]) -> None:
    for concept in ("deception", "misuse"):
        labels: dict[str | None, set[int]] = defaultdict(set)
        for r in data[concept]:
            labels[r.family].add(r.label)
        assert all(v == {0, 1} for v in labels.values()), concept
    # eval awareness: one framing per family, each family one label, by prefix.
    for r in data["eval_awareness"]:
        assert r.family is not None
        assert r.label == (1 if r.family.startswith("eval-") else 0), r.family


def test_response_fields_by_family(data: dict[str, list[Record]]) -> None:
    for r in data["deception"]:
        assert r.family is not None
        if r.family.startswith("onpolicy-"):
            assert r.response is None, r.id
        else:
            assert r.response, r.id
    for concept in ("eval_awareness", "misuse"):
        assert all(r.response is None for r in data[concept]), concept


def test_deterministic_and_seed_dependent() -> None:
    a, b = generate.render(seed=0), generate.render(seed=0)
    assert a == b
    assert generate.render(seed=1) != a


def test_ids_unique_and_sequential(data: dict[str, list[Record]]) -> None:
    for concept, recs in data.items():
        assert [r.id for r in recs] == [f"{concept}-{i}" for i in range(1, len(recs) + 1)]
        assert all(r.concept == concept and r.source == generate.SOURCE for r in recs)


def test_no_duplicate_prompt_response_pairs(data: dict[str, list[Record]]) -> None:
    for concept, recs in data.items():
        keys = Counter(
            (tuple((m.role, m.content) for m in r.messages), r.response, r.label) for r in recs
        )
        dupes = [k for k, n in keys.items() if n > 1]
        assert not dupes, (concept, dupes[:3])


def test_committed_files_are_up_to_date_and_valid() -> None:
    assert generate.main(["--check", "--out", str(DATA_DIR)]) == 0
    for concept in generate.CONCEPTS:
        recs = load_records(DATA_DIR / f"{concept}.jsonl")
        assert len(recs) >= 600


def test_check_flag_detects_drift(tmp_path: Path) -> None:
    assert generate.main(["--out", str(tmp_path), "--seed", "3"]) == 0
    assert generate.main(["--check", "--out", str(tmp_path), "--seed", "3"]) == 0
    path = tmp_path / "misuse.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert generate.main(["--check", "--out", str(tmp_path), "--seed", "3"]) == 1


def _good_line(**over: object) -> str:
    rec: dict[str, object] = {
        "id": "x-1",
        "concept": "misuse",
        "label": 0,
        "messages": [{"role": "user", "content": "hello"}],
        "source": "test",
    }
    rec.update(over)
    return json.dumps(rec)


@pytest.mark.parametrize(
    "bad, needle",
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (_good_line(id="x-2", label=2), "label"),
        (_good_line(id="x-2", label=True), "label"),
        (_good_line(id="x-2", messages=[]), "messages"),
        (_good_line(id="x-2", messages=[{"role": "robot", "content": "hi"}]), "messages"),
        (_good_line(id="x-2", split="dev"), "split"),
        (_good_line(id="x-2", extra_field=1), "extra_field"),
        (_good_line(id="x-1"), "duplicate id"),
    ],
)
def test_loader_names_file_and_line(tmp_path: Path, bad: str, needle: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(_good_line() + "\n\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        load_records(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:3:"), msg
    assert needle in msg, msg


def test_loader_accepts_optional_fields(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text(
        _good_line() + "\n" + _good_line(id="x-2", response="hi", family="f", split="test") + "\n",
        encoding="utf-8",
    )
    recs = load_records(path)
    assert [r.response for r in recs] == [None, "hi"]
    assert recs[0].family is None and recs[1].split == "test"
    assert json.loads(_good_line()) == recs[0].to_json_dict()


def test_loader_reads_third_party_xstest() -> None:
    path = SHARED_DATASETS / "misuse_xstest.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    recs = load_records(path)
    assert recs and {r.label for r in recs} == {0, 1}
    assert all(r.family is None and r.split is None for r in recs)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", text.lower()).strip()


def test_no_item_copied_from_third_party_sets(data: dict[str, list[Record]]) -> None:
    files = sorted(SHARED_DATASETS.glob("*.jsonl")) if SHARED_DATASETS.is_dir() else []
    if not files:
        pytest.skip(f"no third-party sets under {SHARED_DATASETS}")
    theirs: set[str] = set()
    for f in files:
        for r in load_records(f):
            theirs.update(_norm(m.content) for m in r.messages if m.role == "user")
            if r.response:
                theirs.add(_norm(r.response))
    theirs.discard(_norm("Tell me a true fact."))
    theirs.discard(_norm("Tell me a false fact."))
    ours = {
        _norm(t)
        for recs in data.values()
        for r in recs
        for t in [*(m.content for m in r.messages), r.response or ""]
        if t
    }
    assert not (ours & theirs)
