"""GetTrace's protobuf pages: the inline schema matches the public proto, and the engine's
output framing is checked (the pages themselves run in the conformance suite)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor

from monitor.hub.store import token_pages
from monitor.hub.store.executor import ClickHouseError
from monitor.v1 import query_pb2

# the wire type of each protobuf field type of the schema text
_SCHEMA_TYPES = {
    "uint32": FieldDescriptor.TYPE_UINT32,
    "int32": FieldDescriptor.TYPE_INT32,
    "string": FieldDescriptor.TYPE_STRING,
    "float": FieldDescriptor.TYPE_FLOAT,
}


def _name(field_type: int) -> str:
    return {v: k for k, v in _SCHEMA_TYPES.items()}[field_type]


def _schema_fields(message: str) -> dict[int, tuple[str, str, bool]]:
    """Field number -> (type, name, repeated) of a message of the schema text."""
    body = re.search(rf"message {message} {{(.*?)}}", token_pages.SCHEMA, re.S)
    assert body is not None, message
    fields = re.findall(r"\s*(repeated\s+)?([\w<>, ]+?)\s+(\w+)\s*=\s*(\d+);", body.group(1))
    return {int(n): (kind, name, bool(rep)) for rep, kind, name, n in fields}


def test_the_inline_schema_mirrors_trace_token_field_for_field() -> None:
    declared = _schema_fields("TraceToken")
    proto = {f.number: f for f in query_pb2.TraceToken.DESCRIPTOR.fields}
    assert set(declared) == set(proto) == set(token_pages.SCHEMA_TOKEN_FIELDS)
    for number, (kind, name, repeated) in declared.items():
        field = proto[number]
        assert name == field.name == token_pages.SCHEMA_TOKEN_FIELDS[number]
        message = field.message_type if field.type == FieldDescriptor.TYPE_MESSAGE else None
        is_map = message is not None and message.GetOptions().map_entry
        assert repeated == (field.is_repeated and not is_map), name
        if is_map:
            key, value = field.message_type.fields
            assert kind == f"map<{_name(key.type)}, {_name(value.type)}>"
        elif field.type == FieldDescriptor.TYPE_ENUM:
            assert kind == "int32"  # an enum is a varint on the wire
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            assert kind == field.message_type.name
        else:
            assert _SCHEMA_TYPES[kind] == field.type, name


def test_the_inline_schema_mirrors_concept_activation() -> None:
    declared = _schema_fields("ConceptActivation")
    proto = {f.number: f for f in query_pb2.ConceptActivation.DESCRIPTOR.fields}
    assert set(declared) == set(proto)
    for number, (kind, name, repeated) in declared.items():
        assert not repeated
        assert (name, _SCHEMA_TYPES[kind]) == (proto[number].name, proto[number].type)


def test_a_page_round_trips_and_its_labels_are_filled_in() -> None:
    page = token_pages.parse(b"")
    assert len(page.rows) == 0
    row = page.rows.add(encoder="enc", total=9)
    row.token.position = 4
    row.token.concepts.add(id=1, value=0.5)
    page.rows.add(encoder="", total=9).token.position = 5
    body = page.SerializeToString()
    framed = bytes([len(body)]) + body if len(body) < 128 else None
    assert framed is not None
    trace = query_pb2.Trace()
    total = token_pages.add_page(
        trace, token_pages.parse(framed), lambda enc: (lambda i: f"{enc}:{i}") if enc else None
    )
    assert total == 9
    assert [t.position for t in trace.tokens] == [4, 5]
    assert [(c.id, c.label) for c in trace.tokens[0].concepts] == [(1, "enc:1")]
    assert token_pages.add_page(query_pb2.Trace(), token_pages.parse(b""), lambda e: None) is None


@pytest.mark.parametrize("raw", [b"\x05abc", b"\x80", b"\x01\x0a\x00"])
def test_a_malformed_page_is_an_error_naming_the_format(raw: bytes) -> None:
    with pytest.raises(ClickHouseError, match="ProtobufList"):
        token_pages.parse(raw)


def test_the_inline_schema_of_a_server_runs_on_a_real_engine(tmp_path: Path) -> None:
    """Servers get the schema inline (``format_schema_source = 'string'``): run that form
    on chDB in a child process whose working directory is ``tmp_path``, where the engine
    caches inline schemas (which is why chDB itself is given a file)."""
    script = (
        "import sys\n"
        "from chdb import session\n"
        "from monitor.hub.store import token_pages\n"
        "class Engine:\n"
        "    schema_dir = None\n"
        "    def __init__(self): self.s = session.Session(sys.argv[1])\n"
        "    def query_bytes(self, sql, fmt): return bytes(self.s.query(sql, fmt).bytes())\n"
        "inline = token_pages.schema_settings(None)\n"
        "assert \"format_schema_source = 'string'\" in inline, inline\n"
        "print(token_pages.supported(Engine(), inline))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "db")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"


def test_chdb_reads_the_schema_from_a_file_in_its_directory(tmp_path: Path) -> None:
    settings = token_pages.schema_settings(tmp_path / "schemas")
    written = tmp_path / "schemas" / token_pages.SCHEMA_FILE
    assert written.read_text() == token_pages.SCHEMA
    assert f"format_schema = '{written.resolve()}'" in settings
    assert "format_schema_source = 'file'" in settings
    written.write_text("stale")  # a schema from another version is replaced
    token_pages.schema_settings(tmp_path / "schemas")
    assert written.read_text() == token_pages.SCHEMA
