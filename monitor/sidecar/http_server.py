"""The sidecar's HTTP endpoint: ``/metrics``, ``/healthz`` (liveness), ``/readyz`` (readiness).

A ``ThreadingHTTPServer`` with two bounds, so idle or slow clients cannot pile up
threads: each connection's socket has a ``timeout_s`` timeout (an idle connection is
closed after it), and at most ``max_connections`` are served at once; one more is
closed at once without an answer. ``/metrics`` is rendered by prometheus_client
(text or OpenMetrics, by the ``Accept`` header); the health paths answer 200 ``ok`` or
503 with the failing checks.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 16

Verdict = Callable[[], tuple[bool, str]]
"""Returns (passing, text for the response body)."""


class _Handler(BaseHTTPRequestHandler):
    server: HealthHttpServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        # an idle or slow client is dropped after the timeout, freeing its thread
        self.request.settimeout(self.server.timeout_s)
        super().setup()

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._answer(200, encoder(self.server.registry), content_type)
        elif path in ("/healthz", "/readyz"):
            verdict = self.server.live if path == "/healthz" else self.server.ready
            passing, text = verdict()
            self._answer(200 if passing else 503, f"{text}\n".encode(), "text/plain")
        else:
            self._answer(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return  # one line per scrape would flood the log


class HealthHttpServer(ThreadingHTTPServer):
    """Serves the three paths; ``serve_in_thread()`` starts it, ``close()`` stops it."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        registry: CollectorRegistry,
        live: Verdict,
        ready: Verdict,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.registry = registry
        self.live = live
        self.ready = ready
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(max_connections)
        self.refused = 0
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def serve_in_thread(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, name="llm-monitor-http", daemon=True
        )
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
