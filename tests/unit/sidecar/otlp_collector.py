"""A real OTLP/gRPC logs receiver for tests: the collector's ``LogsService`` from the
``opentelemetry-proto`` stubs, serving in this process on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2

from ..certs import Pki


def value_of(value: common_pb2.AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a Python value (arrays as lists)."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [value_of(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind is not None else None


@dataclass(frozen=True)
class Received:
    """One log record as the receiver got it, with its resource and scope."""

    resource: dict[str, Any]
    scope: str
    scope_version: str
    event_name: str
    severity_number: int
    severity_text: str
    time_unix_nano: int
    attributes: dict[str, Any]
    metadata: dict[str, str]


class Collector(logs_service_pb2_grpc.LogsServiceServicer):
    """Records every export; ``reject`` makes it answer exports with that status code.
    With ``pki``: TLS with its server certificate, and client certificates required."""

    def __init__(self, pki: Pki | None = None) -> None:
        self._lock = threading.Lock()
        self._records: list[Received] = []
        self.requests = 0
        self.reject: grpc.StatusCode | None = None
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(self, self._server)
        if pki is None:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
        else:
            credentials = grpc.ssl_server_credentials(
                [(pki.server_key.read_bytes(), pki.server_cert.read_bytes())],
                root_certificates=pki.ca.read_bytes(),
                require_client_auth=True,
            )
            self.port = self._server.add_secure_port("127.0.0.1:0", credentials)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Collector:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=0).wait(5)

    def Export(
        self, request: logs_service_pb2.ExportLogsServiceRequest, context: grpc.ServicerContext
    ) -> logs_service_pb2.ExportLogsServiceResponse:
        with self._lock:
            self.requests += 1
        if self.reject is not None:
            context.abort(self.reject, "rejected by the test")
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        received = []
        for resource_logs in request.resource_logs:
            resource = {a.key: value_of(a.value) for a in resource_logs.resource.attributes}
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    received.append(
                        Received(
                            resource=resource,
                            scope=scope_logs.scope.name,
                            scope_version=scope_logs.scope.version,
                            event_name=record.event_name,
                            severity_number=int(record.severity_number),
                            severity_text=record.severity_text,
                            time_unix_nano=record.time_unix_nano,
                            attributes={a.key: value_of(a.value) for a in record.attributes},
                            metadata=metadata,
                        )
                    )
        with self._lock:
            self._records.extend(received)
        return logs_service_pb2.ExportLogsServiceResponse()

    def records(self) -> list[Received]:
        with self._lock:
            return list(self._records)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float) -> bool:
        """Poll until ``predicate(records)`` holds; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.records()):
                return True
            time.sleep(0.05)
        return predicate(self.records())
