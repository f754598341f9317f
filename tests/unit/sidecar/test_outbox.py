"""The hub-mode outbox file: durable appends, ordered heads, deletes, and what survives a
reopen or a kill -9."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monitor.sidecar.traces.labels import concept_labels
from monitor.sidecar.traces.outbox import NewRow, Outbox, OutboxError
from monitor.v1 import fleet_pb2


def row(request_id: str, tokens: int = 10, source: str = "pod-a", encoder: str = "") -> NewRow:
    body = fleet_pb2.PushRequest(
        encoder=encoder,
        updates=[fleet_pb2.TraceUpdateMsg(model_name="m", request_id=request_id, version=1)],
    ).SerializeToString()
    return NewRow(source=source, encoder=encoder, updates=1, tokens=tokens, body=body)


def test_rows_survive_a_reopen_in_order_with_their_totals(tmp_path: Path) -> None:
    now = [100.0]
    path = tmp_path / "spool" / "outbox.sqlite"
    outbox = Outbox(path, clock=lambda: now[0])
    assert (outbox.rows, outbox.nbytes, outbox.tokens, outbox.oldest_age()) == (0, 0, 0, 0.0)
    seqs = outbox.append([row("a", 10), row("b", 20)])
    now[0] = 103.0
    seqs += outbox.append([row("c", 5)])
    assert seqs == [1, 2, 3]
    outbox.put_labels(concept_labels(["x", "y"]))
    size = sum(len(row(r).body) for r in "abc")
    assert (outbox.rows, outbox.nbytes, outbox.tokens) == (3, size, 35)
    outbox.close()

    now[0] = 110.0
    again = Outbox(path, clock=lambda: now[0])
    assert (again.rows, again.nbytes, again.tokens) == (3, size, 35)
    assert again.oldest_age() == 10.0
    head = again.head(10, 1000, 10**6)
    assert [r.seq for r in head] == [1, 2, 3]
    ids = [fleet_pb2.PushRequest.FromString(r.body).updates[0].request_id for r in head]
    assert ids == ["a", "b", "c"]
    labels = again.labels(concept_labels(["x", "y"]).encoder)
    assert labels is not None and labels.labels == ("x", "y")
    assert again.labels("sha256:unknown") is None
    again.delete(head[:2])
    assert (again.rows, again.tokens, again.oldest_age()) == (1, 5, 7.0)
    again.delete(head[:2])  # twice: the totals are recounted from the file
    assert (again.rows, again.tokens) == (1, 5)
    again.delete(head[2:])
    assert (again.rows, again.nbytes, again.tokens, again.oldest_age()) == (0, 0, 0, 0.0)
    assert again.append([row("d")]) == [4]  # seq keeps growing once the outbox emptied
    again.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_head_is_one_source_and_encoder_within_the_limits(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(
        [
            row("a", 50),
            row("b", 40),
            row("c", 30),
            row("d", 5, encoder="sha256:other"),
            row("e", 5, source="pod-old", encoder="sha256:other"),
        ]
    )
    assert [r.seq for r in outbox.head(10, 100, 10**6)] == [1, 2]  # 50 + 40 + 30 > 100
    assert [r.seq for r in outbox.head(1, 100, 10**6)] == [1]
    assert [r.seq for r in outbox.head(10, 10, 10**6)] == [1]  # one row alone may exceed
    nbytes = outbox.head(1, 100, 10**6)[0].nbytes
    assert [r.seq for r in outbox.head(10, 1000, 2 * nbytes)] == [1, 2]
    outbox.delete(outbox.head(10, 1000, 10**6))
    assert [r.seq for r in outbox.head(10, 1000, 10**6)] == [4]  # another encoder
    outbox.delete(outbox.head(10, 1000, 10**6))
    assert [(r.seq, r.source) for r in outbox.head(10, 1000, 10**6)] == [(5, "pod-old")]
    outbox.close()


def test_a_file_that_is_not_an_outbox_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(OutboxError, match=r"junk\.sqlite"):
        Outbox(junk)
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(OutboxError, match="outbox format 99"):
        Outbox(newer)
    closed = Outbox(tmp_path / "closed.sqlite")
    closed.close()
    with pytest.raises(OutboxError, match="closed"):
        closed.append([row("a")])


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from monitor.sidecar.traces.outbox import NewRow, Outbox
    outbox = Outbox(Path(sys.argv[1]))
    i = 0
    while True:
        outbox.append([NewRow("pod-a", "", 1, 1, bytes([i % 256]) * 3000)] * 3)
        i += 1
        print(i, flush=True)
    """
)


def test_every_acknowledged_append_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    acknowledged = 0
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 50:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    outbox = Outbox(path)
    assert outbox.rows >= 3 * acknowledged  # each printed append committed
    assert outbox.rows % 3 == 0  # no transaction half written
    assert outbox.nbytes == outbox.rows * 3000
    outbox.close()
