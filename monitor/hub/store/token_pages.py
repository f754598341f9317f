"""GetTrace's page of tokens, built by the engine as protobuf (``ProtobufList``).

A page of 500 tokens with 32 concepts each is 16,000 concept activations: parsing them
from JSON and building the messages in Python cost about 26 ms per page, more than the
query. Here the engine merges each position's layers and writes the rows as serialized
``TraceToken`` messages (the schema travels inline with ``format_schema_source =
'string'``); Python parses the page in one call and only fills in the concept labels.

The inline schema mirrors ``monitor.v1.TraceToken`` field for field (number and wire
type; ``segment`` is the enum's varint) and wraps each token in a ``Row`` with what the
reader needs besides: the encoder of its concepts (for their labels) and the trace's
total token count (a window over the grouped positions, so no second query). chDB reads
the schema from a file in its data directory instead (:func:`schema_settings`). A server
without inline schemas (before ``format_schema_source``) is detected once
(:func:`supported`) and served through the JSON path of :mod:`.reads`.

Layers merge as :func:`monitor.hub.store.reads.add_tokens` does: every layer's scores
(per concept the highest, as only one probe reads a concept), the concepts, text and
segment of the lowest layer that has them. Replayed rows are identical copies, so the
grouping needs no dedup first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from monitor.hub.store import sql
from monitor.hub.store.executor import ClickHouseError, ClickHouseExecutor
from monitor.v1 import query_pb2

FORMAT = "ProtobufList"
_PACKAGE = "llm_monitor_store"

#: What the engine writes: one ``Row`` per token (``ProtobufList`` wraps them in a message
#: whose field 1 repeats ``Row``).
SCHEMA = """syntax = "proto3";
message ConceptActivation { uint32 id = 1; float value = 2; string label = 3; }
message TraceToken {
  uint32 position = 1; int32 token_id = 2; string text = 3; map<string, float> scores = 4;
  repeated ConceptActivation concepts = 5; int32 segment = 6;
}
message Row { TraceToken token = 1; string encoder = 2; uint32 total = 3; }"""

#: Field number -> name of ``TraceToken`` in ``SCHEMA`` (a unit test holds it to the proto).
SCHEMA_TOKEN_FIELDS = {
    1: "position",
    2: "token_id",
    3: "text",
    4: "scores",
    5: "concepts",
    6: "segment",
}

SCHEMA_FILE = "token_page.proto"


def schema_settings(schema_dir: Path | None) -> str:
    """The ``SETTINGS`` clause that gives the engine ``SCHEMA``: inline for a server
    (``schema_dir`` None; the server caches it in its own ``format_schema_path``), or, for
    the engine in this process, a file written into ``schema_dir`` (an inline schema would
    be cached in the process's working directory, which chDB does not let one move)."""
    if schema_dir is None:
        source, schema = "string", SCHEMA
    else:
        schema_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = schema_dir / SCHEMA_FILE
        if not path.is_file() or path.read_text() != SCHEMA:
            staged = path.with_suffix(".tmp")
            staged.write_text(SCHEMA)
            staged.replace(path)
        source, schema = "file", str(path.resolve())
    return (
        f" SETTINGS format_schema_source = {sql.string(source)},"
        f" format_schema = {sql.string(schema)}, format_schema_message_name = 'Row'"
    )


def page_sql(table: str, of_trace: str, offset: int, limit: int, settings: str) -> str:
    """The statement of one page: positions ``offset`` .. ``offset + limit`` (by rank) of
    the trace selected by the condition ``of_trace``, layers merged (``settings``: from
    :func:`schema_settings`)."""
    return (
        "SELECT position AS `token.position`,"
        " argMin(token_id, layer) AS `token.token_id`,"
        " argMinIf(text, layer, text != '') AS `token.text`,"
        " maxMap(scores) AS `token.scores`,"
        " argMinIf(arrayReverseSort((i, v) -> v, concept_ids, concept_values), layer,"
        " notEmpty(concept_ids)) AS `token.concepts.id`,"
        " argMinIf(arrayReverseSort(arrayMap(v -> toFloat32(v), concept_values)), layer,"
        " notEmpty(concept_ids)) AS `token.concepts.value`,"
        " toInt32(argMinIf(segment, layer, segment != 0)) AS `token.segment`,"
        " argMinIf(encoder, layer, notEmpty(concept_ids)) AS encoder,"
        " toUInt32(count() OVER ()) AS total"
        f" FROM {table} WHERE {of_trace}"
        " GROUP BY position ORDER BY position"
        f" LIMIT {sql.integer(limit)} OFFSET {sql.integer(offset)}" + settings
    )


def _page_class() -> Any:
    """The message class of the engine's output: ``Page { repeated Row rows = 1; }`` with
    ``Row.token`` the real ``monitor.v1.TraceToken`` (so tokens move over as they are)."""
    pool = descriptor_pool.Default()
    name = f"{_PACKAGE}.Page"
    try:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    except KeyError:
        pass
    proto = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name=f"{_PACKAGE}/token_page.proto",
        package=_PACKAGE,
        dependency=[query_pb2.DESCRIPTOR.name],
        syntax="proto3",
    )
    row = file.message_type.add(name="Row")
    row.field.add(
        name="token",
        number=1,
        type=proto.TYPE_MESSAGE,
        label=proto.LABEL_OPTIONAL,
        type_name=f".{query_pb2.TraceToken.DESCRIPTOR.full_name}",
    )
    row.field.add(name="encoder", number=2, type=proto.TYPE_STRING, label=proto.LABEL_OPTIONAL)
    row.field.add(name="total", number=3, type=proto.TYPE_UINT32, label=proto.LABEL_OPTIONAL)
    page = file.message_type.add(name="Page")
    page.field.add(
        name="rows",
        number=1,
        type=proto.TYPE_MESSAGE,
        label=proto.LABEL_REPEATED,
        type_name=f".{_PACKAGE}.Row",
    )
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


_Page = _page_class()


def parse(raw: bytes) -> Any:
    """The ``Page`` of the engine's output (a varint length, then the message)."""
    if not raw:
        return _Page()
    length, start = 0, 0
    for shift in range(0, 64, 7):
        if start == len(raw):
            raise ClickHouseError(f"malformed {FORMAT} result: its length prefix is cut off")
        byte = raw[start]
        start += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
    if start + length != len(raw):
        raise ClickHouseError(
            f"malformed {FORMAT} result: {len(raw)} bytes, the length prefix says"
            f" {start} + {length}"
        )
    return _Page.FromString(raw[start:])


def add_page(trace: query_pb2.Trace, page: Any, labels: Any) -> int | None:
    """Append the page's tokens to ``trace``, labelling their concepts with
    ``labels(encoder)`` (:data:`monitor.hub.store.reads.Labels`); the trace's total token
    count (None for an empty page, which does not carry it)."""
    rows = page.rows
    if not rows:
        return None
    trace.tokens.extend(row.token for row in rows)
    for row, token in zip(rows, trace.tokens[len(trace.tokens) - len(rows) :], strict=True):
        label = labels(row.encoder) if token.concepts else None
        if label is not None:
            for concept in token.concepts:
                concept.label = label(concept.id)
    return int(rows[0].total)


def supported(executor: ClickHouseExecutor, settings: str) -> bool:
    """True when the engine writes ``ProtobufList`` with the schema ``settings`` give (a
    one-row check); False on servers without ``format_schema_source``."""
    statement = (
        "SELECT toUInt32(7) AS `token.position`, 'e' AS encoder, toUInt32(1) AS total" + settings
    )
    try:
        page = parse(executor.query_bytes(statement, FORMAT))
    except ClickHouseError:
        return False
    return len(page.rows) == 1 and page.rows[0].token.position == 7
