"""A background thread that streams captured batches to the sidecar over gRPC.

It owns all the slow work: waiting for each step's device-to-host copy, checking and
labelling its rows, serialising, sending, reconnecting with exponential backoff. With a
:class:`~monitor.plugin.coalesce.Gather` it joins the rows of the steps that end close
together into one message per layer, and with a
:class:`~monitor.plugin.ship_delay.ShipDelay` it sends them part-way through the next
step, out of vLLM's way between steps. While
the sidecar is unreachable everything queued is dropped and counted, so memory stays
bounded and the forward pass never waits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc

from monitor import placement
from monitor.plugin.batch import CapturedBatch, Outgoing, encode
from monitor.plugin.coalesce import Gather, coalesce
from monitor.plugin.outbox import Outbox
from monitor.plugin.ring import (
    REASON_OPTED_OUT,
    REASON_SIDECAR_UNAVAILABLE,
    DropCounters,
    RingBuffer,
)
from monitor.plugin.settings import PluginSettings
from monitor.plugin.ship_delay import ShipDelay
from monitor.v1 import ingest_pb2, ingest_pb2_grpc

log = logging.getLogger("vllm.llm_monitor")

# A half-open connection (the sidecar's host gone without a reset) is noticed within
# about 50 s instead of the TCP timeout (~15 min), so the ring does not drop meanwhile.
# 30 s is above the sidecar's min_ping_interval_s (10 s by default), so it is not refused.
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)
#: Longest a gathering shipper waits without looking whether it is being stopped.
STOP_POLL_S = 0.1


@dataclass(frozen=True)
class ChannelTls:
    """PEM files for dialing the sidecar with TLS (client cert and key: mutual TLS)."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        """Read the files (at every connection, so renewed certificates are picked up)."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.read_bytes() if self.ca else None,
            private_key=self.key.read_bytes() if self.key else None,
            certificate_chain=self.cert.read_bytes() if self.cert else None,
        )


class Shipper:
    """Streams batches from a ring buffer to the sidecar's ``Ingest``."""

    def __init__(
        self,
        ring: RingBuffer[Outgoing],
        drops: DropCounters,
        address: str,
        producer_id: str,
        hello: Callable[[], ingest_pb2.Hello],
        max_message_bytes: int,
        reconnect_initial_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        token: str | None = None,
        tls: ChannelTls | None = None,
        cpus: frozenset[int] | None = None,
        ship_delay: ShipDelay | None = None,
        gather: Gather | None = None,
    ) -> None:
        self._ring = ring
        self._ship_delay = ship_delay
        self._gather_policy = gather
        self._drops = drops
        self._outbox = Outbox(drops)
        self._address = address
        self._hello = hello
        self.producer_id = producer_id
        self._max_message_bytes = max_message_bytes
        self._backoff_initial = reconnect_initial_s
        self._backoff_max = reconnect_max_s
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None
        self._tls = tls
        self._cpus = cpus
        self._stop = threading.Event()
        self._sequence = 0
        self._thread = threading.Thread(target=self._run, name="llm-monitor-shipper", daemon=True)
        self.connected = threading.Event()
        self.batches_sent = 0

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to finish what is queued and stop, waiting at most ``timeout``."""
        self._stop.set()
        self._thread.join(timeout)

    def _messages(self, done: threading.Event) -> Iterator[ingest_pb2.IngestMessage]:
        """The request stream of one connection; ends when ``done`` is set."""
        yield ingest_pb2.IngestMessage(hello=self._hello())
        self.connected.set()
        while not done.is_set():
            item = self._ring.get(timeout=0.2)
            if item is None:
                if self._stop.is_set():
                    return
                continue
            items = self._gather(item, done)
            self._hold(items[-1])
            yield from self._send(items, done)

    def _send(
        self, items: list[Outgoing], done: threading.Event
    ) -> Iterator[ingest_pb2.IngestMessage]:
        """The messages of some steps, continuing rows joined (:mod:`.coalesce`).

        gRPC may keep pulling from a stream it has already failed; steps taken after
        that are counted as dropped rather than lost silently. An item's host buffers are
        released once its messages are built, or when it is dropped; the finishes of any
        that may not have left are carried to the next batch.
        """
        opened: list[list[CapturedBatch]] = []
        complete = False
        try:
            if done.is_set():
                self._drops.add(REASON_SIDECAR_UNAVAILABLE, sum(item.rows for item in items))
                return
            for item in items:
                opened.append(self._outbox.unpack(item))
            for batch in coalesce([b for batches in opened for b in batches]):
                if batch.opted_out_rows:  # counted with the batch whose range has the gap
                    self._drops.add(REASON_OPTED_OUT, batch.opted_out_rows)
                dropped = self._drops.snapshot(below=batch.row_offset)
                for message in encode(
                    batch, self.producer_id, self._sequence, dropped, self._max_message_bytes
                ):
                    self._sequence += 1
                    yield message
                self.batches_sent += 1
            complete = True
        finally:
            for i, item in enumerate(items):
                if i >= len(opened):
                    self._outbox.keep(item)
                elif not complete:  # its finishes may not have left: send them again later
                    self._outbox.keep_unsent(opened[i])
                item.release()

    def _gather(self, first: Outgoing, done: threading.Event) -> list[Outgoing]:
        """``first`` and the steps that come within ``gather`` of its end, or are queued
        already (at most ``gather.max_steps`` steps, and no more once ``gather.max_rows``
        rows are held: they hold host buffers); only ``first`` without a gather, or once
        the stream has failed (``done``)."""
        items = [first]
        policy = self._gather_policy
        if policy is None or policy.gather_s <= 0:
            return items
        since_ns = first.step_end_unix_ns or time.time_ns()  # unknown: from now
        rows = first.rows
        while len(items) < policy.max_steps and rows < policy.max_rows and not done.is_set():
            wait = 0.0
            if not self._stop.is_set():
                wait = policy.remaining_s(since_ns, time.time())
            item = self._ring.get(timeout=min(wait, STOP_POLL_S))  # a stop ends the wait
            if item is not None:
                items.append(item)
                rows += item.rows
            elif wait <= STOP_POLL_S:
                break
        return items

    def _hold(self, item: Outgoing) -> None:
        """Wait until the item is due (``ship_delay``); not at all once stopping."""
        if self._ship_delay is None:
            return
        wait = self._ship_delay.remaining_s(
            item.step_start_unix_ns, item.step_end_unix_ns, time.time()
        )
        if wait > 0:
            self._stop.wait(wait)

    def _open_channel(self) -> grpc.Channel:
        options = [
            ("grpc.max_send_message_length", 2 * self._max_message_bytes + (1 << 20)),
            *KEEPALIVE_OPTIONS,
        ]
        if self._tls is None:
            return grpc.insecure_channel(self._address, options=options)
        return grpc.secure_channel(self._address, self._tls.credentials(), options=options)

    def _run(self) -> None:
        if self._cpus is not None:  # before the first channel: gRPC's threads inherit it
            placement.pin_current_thread(self._cpus)
        delay = self._backoff_initial
        logged_down = False
        while not self._stop.is_set():
            try:
                channel = self._open_channel()
            except OSError as exc:  # unreadable TLS files: keep dropping, retry later
                log.error("llm-monitor: cannot read the TLS files for the sidecar: %s", exc)
                self._outbox.discard(self._ring.drain(REASON_SIDECAR_UNAVAILABLE))
                if self._stop.wait(self._backoff_max):
                    return
                continue
            done = threading.Event()
            try:
                stub = ingest_pb2_grpc.MonitorStub(channel)
                grpc.channel_ready_future(channel).result(timeout=delay + 1.0)
                if logged_down:
                    log.info("llm-monitor: connected to the sidecar at %s", self._address)
                logged_down = False
                delay = self._backoff_initial
                stub.Ingest(self._messages(done), metadata=self._metadata)
                if self._stop.is_set():
                    return
            except grpc.FutureTimeoutError:
                pass
            except grpc.RpcError as err:
                if not logged_down:
                    log.warning(
                        "llm-monitor: stream to the sidecar at %s ended: %s %s",
                        self._address,
                        err.code() if hasattr(err, "code") else "",
                        err.details() if hasattr(err, "details") else err,
                    )
            except Exception:  # never let the shipper die
                log.exception("llm-monitor: shipper error")
            finally:
                done.set()
                self.connected.clear()
                channel.close()
            if not logged_down:
                log.warning(
                    "llm-monitor: sidecar at %s unavailable; dropping activations until it is back",
                    self._address,
                )
                logged_down = True
            self._outbox.discard(self._ring.drain(REASON_SIDECAR_UNAVAILABLE))
            if self._stop.wait(delay):
                return
            self._outbox.discard(self._ring.drain(REASON_SIDECAR_UNAVAILABLE))
            delay = min(self._backoff_max, delay * 2)


def shipper_from_settings(
    settings: PluginSettings,
    ring: RingBuffer[Outgoing],
    drops: DropCounters,
    producer_id: str,
    hello: Callable[[], ingest_pb2.Hello],
    cpus: frozenset[int] | None,
    cls: type[Shipper] = Shipper,
    layers: int = 1,
) -> Shipper:
    """The shipper ``settings`` describe (address, token, TLS, backoff, ship delay,
    gathering: see :func:`gather_from_settings`)."""
    token = settings.ingest_token
    return cls(
        ring,
        drops,
        settings.sidecar_address,
        producer_id=producer_id,
        hello=hello,
        max_message_bytes=settings.max_message_bytes,
        reconnect_initial_s=settings.reconnect_initial_s,
        reconnect_max_s=settings.reconnect_max_s,
        token=token.get_secret_value() if token is not None else None,
        tls=ChannelTls(settings.tls_ca, settings.tls_cert, settings.tls_key)
        if settings.tls_ca is not None or settings.tls_cert is not None
        else None,
        cpus=cpus,
        ship_delay=ShipDelay(settings.ship_delay_fraction, settings.ship_delay_max_ms / 1e3),
        gather=gather_from_settings(settings, layers),
    )


def gather_from_settings(settings: PluginSettings, layers: int) -> Gather:
    """How the shipper gathers steps: ``ship_gather_ms``, or not at all with ``layers`` > 1
    captured (a step's layers interleave in row offsets: no two steps' batches could join)."""
    return Gather(settings.ship_gather_ms / 1e3 if layers == 1 else 0.0)
