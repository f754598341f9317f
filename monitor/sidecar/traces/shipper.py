"""The shipper thread of hub mode: pushes outbox rows to the hub, in ``seq`` order.

Each push is a header (``source``, ``seq`` = the push's highest row, ``labels`` when due)
followed by the bytes of consecutive outbox rows of one source and encoder, at most
``max_batch_tokens`` token rows and ``max_push_bytes`` bytes (a single larger row goes
alone). Rows are deleted only once the hub's ``acked_seq`` covers them.

Timing: a push goes as soon as a full batch waits, else at most ``flush_interval_s``
after the previous push. Failures: UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED (and
any other status but INVALID_ARGUMENT: a wrong token or an old hub needs an operator, not
a lost trace) are retried after an exponential backoff with jitter (``backoff_initial_s``
doubled per failure up to ``backoff_max_s``, each wait drawn from its upper half),
counted in ``llm_monitor_trace_ship_retries_total{code}``. INVALID_ARGUMENT means a row can
never succeed: a one-row push is deleted and its updates counted in
``llm_monitor_trace_updates_rejected_total``; a push of several rows is retried one row at
a time to find it.

Labels: the encoder's label table (kept in the outbox file) goes with the first push of
each encoder after start, and again after the hub answered ``need_labels``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import grpc

from monitor.logutil import RateLimitedLog
from monitor.sidecar.hub_config import HubConfig
from monitor.sidecar.traces.outbox import HEAD_SCAN_ROWS, Outbox, Row
from monitor.v1 import fleet_pb2

log = logging.getLogger(__name__)

PUSH_METHOD = "/monitor.v1.TraceIngest/Push"
HEADER_RESERVE = 256  # bytes of a push's header besides the labels
IDLE_WAIT_S = 1.0  # the loop looks at its flags at least this often
STOP_JOIN_S = 5.0


class Pusher(Protocol):
    """Sends one encoded ``PushRequest``; raises ``grpc.RpcError`` on failure."""

    def push(self, body: bytes, timeout: float) -> fleet_pb2.PushResponse: ...

    def close(self) -> None: ...


def _identity(body: bytes) -> bytes:
    return body


def _read(field: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"storage.hub.{field}: cannot read {path}: {exc.strerror}") from None


class GrpcPusher:
    """``TraceIngest.Push`` over a gRPC channel: TLS and a bearer token as configured."""

    def __init__(self, config: HubConfig) -> None:
        self.address = config.address
        token = config.bearer_token()
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        options: list[tuple[str, Any]] = [
            ("grpc.max_send_message_length", -1),
            ("grpc.initial_reconnect_backoff_ms", int(config.backoff_initial_s * 1000)),
            ("grpc.min_reconnect_backoff_ms", int(config.backoff_initial_s * 1000)),
            ("grpc.max_reconnect_backoff_ms", int(config.backoff_max_s * 1000)),
        ]
        if config.uses_tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read("tls_ca", config.tls_ca) if config.tls_ca else None,
                private_key=_read("tls_key", config.tls_key) if config.tls_key else None,
                certificate_chain=_read("tls_cert", config.tls_cert) if config.tls_cert else None,
            )
            if config.tls_server_name:
                options.append(("grpc.ssl_target_name_override", config.tls_server_name))
            self._channel = grpc.secure_channel(config.address, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(config.address, options=options)
        self._push = self._channel.unary_unary(
            PUSH_METHOD,
            request_serializer=_identity,
            response_deserializer=fleet_pb2.PushResponse.FromString,
        )

    def push(self, body: bytes, timeout: float) -> fleet_pb2.PushResponse:
        response: fleet_pb2.PushResponse = self._push(
            body, timeout=timeout, metadata=self._metadata
        )
        return response

    def close(self) -> None:
        self._channel.close()


@dataclass(frozen=True)
class ShipperMetrics:
    """Where the shipper counts (label children of the sidecar's model)."""

    pushes: Callable[[], None]
    shipped: Callable[[int], None]  # updates acknowledged
    rejected: Callable[[int], None]  # updates refused as malformed
    retry: Callable[[str], None]  # a failed push to retry, by status code name


NO_METRICS = ShipperMetrics(lambda: None, lambda n: None, lambda n: None, lambda code: None)


class Shipper:
    """One thread that empties the outbox into the hub. ``drain`` before ``stop``."""

    def __init__(
        self,
        outbox: Outbox,
        pusher: Pusher,
        *,
        max_batch_tokens: int = 20000,
        max_push_bytes: int = 8 * 2**20,
        flush_interval_s: float = 1.0,
        push_timeout_s: float = 10.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        metrics: ShipperMetrics = NO_METRICS,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self._pusher = pusher
        self._max_tokens = max_batch_tokens
        self._max_bytes = max_push_bytes
        self._flush_interval_s = flush_interval_s
        self._push_timeout_s = push_timeout_s
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._metrics = metrics
        self._rng = rng if rng is not None else random.Random()
        self._stop = threading.Event()
        self._wake = threading.Event()  # cuts a backoff wait short (drain, stop)
        self._draining = False
        self._deadline = float("inf")  # time.monotonic() when a drain gives up
        self._failures = 0  # consecutive failed pushes
        self._isolate = 0  # pushes left to send one row at a time
        self._labels_sent: set[str] = set()  # encoders whose labels the hub has from us
        self._last_push = float("-inf")
        self._errors = RateLimitedLog(log)
        self._thread: threading.Thread | None = None
        self.pushes = 0  # acknowledged pushes (tests read it)

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            raise RuntimeError("shipper already started")
        self._thread = threading.Thread(target=self._run, name="llm-monitor-shipper", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def drain(self, timeout: float) -> bool:
        """Ship without waiting for fuller batches until the outbox is empty or ``timeout``
        passed (a push in flight is cut at the deadline), then stop; True when empty."""
        self._deadline = time.monotonic() + timeout
        self._draining = True
        self._wake.set()
        self.outbox.notify()
        while self.alive() and self.outbox.rows > 0:
            left = self._deadline - time.monotonic()
            if left <= 0:
                break
            self.outbox.wait(lambda: self.outbox.rows == 0, min(left, 0.2))
        self.stop()
        return self.outbox.rows == 0

    def stop(self) -> None:
        """Stop the thread (a push in flight finishes first, within its deadline) and
        close the channel. Idempotent."""
        self._stop.set()
        self._wake.set()
        self.outbox.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self._push_timeout_s + STOP_JOIN_S)
            if thread.is_alive():
                log.error("hub shipper did not stop in time")
                return
        self._pusher.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as exc:  # the outbox failed: keep trying, never die silently
                self._errors.error("hub shipper: %r", exc)
                self._backoff()

    def _done(self) -> bool:
        return self._stop.is_set() or (self._draining and time.monotonic() >= self._deadline)

    def _batch_full(self) -> bool:
        return self.outbox.tokens >= self._max_tokens or self.outbox.nbytes >= self._max_bytes

    def _step(self) -> None:
        outbox = self.outbox
        if self._done():
            self._stop.wait(IDLE_WAIT_S)
            return
        if outbox.rows == 0:
            outbox.wait(lambda: outbox.rows > 0 or self._stop.is_set(), IDLE_WAIT_S)
            return
        if not self._draining and not self._batch_full():
            wait = self._last_push + self._flush_interval_s - time.monotonic()
            if wait > 0:
                outbox.wait(
                    lambda: self._batch_full() or self._draining or self._stop.is_set(),
                    min(wait, IDLE_WAIT_S),
                )
                return
        self._push()

    def _push(self) -> None:
        outbox = self.outbox
        first = outbox.head(1, self._max_tokens, self._max_bytes)
        if not first:
            return
        encoder = first[0].encoder
        labels = None
        if encoder and encoder not in self._labels_sent:
            labels = outbox.labels(encoder)
        header = fleet_pb2.PushRequest(source=first[0].source)
        if labels is not None:
            header.labels.encoder = labels.encoder
            header.labels.labels.extend(labels.labels)
        room = self._max_bytes - header.ByteSize() - HEADER_RESERVE
        max_rows = 1 if self._isolate > 0 else HEAD_SCAN_ROWS
        rows = outbox.head(max_rows, self._max_tokens, room)
        if not rows:
            return
        header.seq = rows[-1].seq
        body = header.SerializeToString() + b"".join(row.body for row in rows)
        timeout = self._push_timeout_s
        if self._draining:
            timeout = min(timeout, max(0.001, self._deadline - time.monotonic()))
        try:
            response = self._pusher.push(body, timeout)
        except grpc.RpcError as exc:
            self._failed(exc, rows)
            return
        finally:
            self._last_push = time.monotonic()
        self._acked(response, rows, labels is not None)

    def _acked(self, response: fleet_pb2.PushResponse, rows: list[Row], sent_labels: bool) -> None:
        encoder = rows[0].encoder
        if response.need_labels:
            self._labels_sent.discard(encoder)
        elif sent_labels:
            self._labels_sent.add(encoder)
        done = [row for row in rows if row.seq <= response.acked_seq]
        if not done:
            self._metrics.retry("not_acknowledged")
            self._errors.error(
                "hub answered acked_seq %d for a push up to seq %d: retrying",
                response.acked_seq,
                rows[-1].seq,
            )
            self._backoff()
            return
        self.outbox.delete(done)
        self._failures = 0
        self._isolate = max(0, self._isolate - 1)
        self.pushes += 1
        self._metrics.pushes()
        self._metrics.shipped(sum(row.updates for row in done))

    def _failed(self, exc: grpc.RpcError, rows: list[Row]) -> None:
        code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
        details = (exc.details() if hasattr(exc, "details") else "") or ""
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            if len(rows) == 1:
                self.outbox.delete(rows)
                self._isolate = max(0, self._isolate - 1)
                self._metrics.rejected(rows[0].updates)
                log.error(
                    "hub refused outbox row %d (%d trace updates) as malformed, dropped: %s",
                    rows[0].seq,
                    rows[0].updates,
                    details,
                )
            else:
                self._isolate = len(rows)  # one row at a time until the bad one is found
            return
        self._metrics.retry(code.name.lower())
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            self._errors.error(
                "hub refused the push (%s): check storage.hub.token: %s", code.name, details
            )
        else:
            self._errors.warning("push to the hub failed (%s), will retry: %s", code.name, details)
        self._backoff()

    def _backoff(self) -> None:
        """Wait after a failure: exponential, jittered, cut short by drain or stop."""
        delay = min(self._backoff_max_s, self._backoff_initial_s * 2.0**self._failures)
        self._failures = min(self._failures + 1, 64)
        wait = self._rng.uniform(delay / 2.0, delay)
        if self._draining:
            wait = min(wait, max(0.0, self._deadline - time.monotonic()))
        self._wake.wait(wait)
        self._wake.clear()
