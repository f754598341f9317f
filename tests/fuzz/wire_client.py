"""A raw Ingest client and probes of a running sidecar (health, /metrics, RSS).

The client sends bytes, not messages (identity serializers), so a stream can carry
anything: valid messages, mutated ones and random bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import re
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

INGEST = "/monitor.v1.Monitor/Ingest"
#: Codes a caller may ever see from the sidecar's Ingest.
INGEST_CODES = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}


@dataclass(frozen=True)
class Answer:
    code: grpc.StatusCode
    details: str


def send_stream(channel: grpc.Channel, messages: Sequence[bytes], timeout: float = 30.0) -> Answer:
    """Send ``messages`` as one Ingest stream; the status it ended with."""
    call = channel.stream_unary(
        INGEST, request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    try:
        call(iter(messages), timeout=timeout)
    except grpc.RpcError as exc:
        return Answer(exc.code(), exc.details() or "")
    return Answer(grpc.StatusCode.OK, "")


def health(channel: grpc.Channel, timeout: float = 5.0) -> int:
    """The overall health status (``health_pb2.HealthCheckResponse.SERVING`` = 1)."""
    stub = health_pb2_grpc.HealthStub(channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout).status)


SERVING = int(health_pb2.HealthCheckResponse.SERVING)


def metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        return str(response.read().decode())


def series_count(text: str) -> int:
    """Samples exposed by a /metrics page."""
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def sample_sum(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


def trim_heap() -> None:
    """Return freed heap pages of this process to the OS (glibc), so that RSS measures
    live memory rather than the allocator's high-water mark."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")
