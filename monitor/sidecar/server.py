"""The gRPC aio server in its own thread and event loop, with health and (opt-in) reflection.

Besides ``Monitor`` (ingest; none on the hub) it serves any extra ``Service`` (the query
API, admin, the hub's ``TraceIngest``), with optional interceptors (bearer-token checks)
and TLS credentials. Limits: at most
``maximum_concurrent_rpcs`` calls at once (more are refused with RESOURCE_EXHAUSTED) and
the connection options of ``ServerConfig`` (keepalive, idle connections, streams per
connection). ``set_serving`` flips gRPC health for every service (the watchdog's verdict).

Ingest and the query services share the server and its event loop. A second server on
its own thread does not isolate ingest from a WatchAlerts storm: the work is Python work
under one interpreter lock either way (measured: median Ingest call 106 ms with one
server, 112 ms with two, 6 ms without the storm). What isolates ingest is bounding that
work (``monitor.sidecar.alerts.hub``: subscriber limits, ending streams that do not read,
one wake-up per alert).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from monitor.sidecar.config import is_loopback as is_loopback  # re-exported
from monitor.sidecar.config import is_unix_address, parse_host_port
from monitor.sidecar.security import AuthConfig, TlsConfig
from monitor.v1 import ingest_pb2, ingest_pb2_grpc

log = logging.getLogger(__name__)

MONITOR_SERVICE = ingest_pb2.DESCRIPTOR.services_by_name["Monitor"].full_name
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Service:
    """An extra gRPC service: its full name (health, reflection) and how to add it."""

    name: str
    register: Callable[[grpc.aio.Server], None]


def exposure_warnings(address: str, auth: AuthConfig, tls: TlsConfig | None) -> list[str]:
    """Plain-language warnings about a server reachable from other hosts without protection
    (start-up refuses the missing tokens unless ``allow_insecure``; these say what is open)."""
    if is_loopback(address):
        return []
    out: list[str] = []
    if not auth.tokens:
        out.append(
            f"gRPC listens on {address} (not loopback) with no auth.tokens: anyone who can "
            "reach it can read traces and alerts and reload rules"
        )
    if auth.ingest_token is None:
        out.append(
            f"gRPC listens on {address} (not loopback) with no auth.ingest_token: anyone who "
            "can reach it can send activations"
        )
    if tls is None and (auth.tokens or auth.ingest_token is not None):
        out.append(
            f"gRPC listens on {address} (not loopback) without tls: bearer tokens travel in "
            "clear text"
        )
    return out


def dial_target(address: str, port: int) -> str:
    """The address a local client dials to reach a server bound to ``address``."""
    if is_unix_address(address):
        return address
    host, _ = parse_host_port(address)
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


class GrpcServerThread:
    """Runs ``grpc.aio.server`` on a private event loop in a daemon thread."""

    def __init__(
        self,
        address: str,
        servicer: ingest_pb2_grpc.MonitorServicer | None,
        *,
        max_receive_bytes: int,
        options: Sequence[tuple[str, int | str]] = (),
        services: Sequence[Service] = (),
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
        credentials: grpc.ServerCredentials | None = None,
        maximum_concurrent_rpcs: int | None = None,
        reflection: bool = False,
    ) -> None:
        self._address = address
        self._servicer = servicer
        self._maximum_concurrent_rpcs = maximum_concurrent_rpcs
        self._reflection = reflection
        self._names: tuple[str, ...] = ()
        self._services = tuple(services)
        self._interceptors = tuple(interceptors)
        self._credentials = credentials
        self._options = [
            ("grpc.max_receive_message_length", max_receive_bytes),
            ("grpc.so_reuseport", 0),
            *options,
        ]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: grpc.aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self.port: int = 0

    @property
    def target(self) -> str:
        """Address for clients, with the bound port (e.g. ``127.0.0.1:41234``)."""
        return dial_target(self._address, self.port)

    def start(self) -> None:
        """Bind and start serving; raises if the address cannot be bound."""
        self._thread = threading.Thread(target=self._main, name="llm-monitor-grpc", daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT_S):
            raise RuntimeError(f"gRPC server did not start within {START_TIMEOUT_S} s")
        if self._start_error is not None:
            self._thread.join()
            raise self._start_error

    def alive(self) -> bool:
        """True while the server's thread (and event loop) runs."""
        return self._thread is not None and self._thread.is_alive()

    def set_serving(self, serving: bool) -> None:
        """Report SERVING or NOT_SERVING for the server and every service (any thread)."""
        loop, health_servicer = self._loop, self._health
        if loop is None or health_servicer is None or loop.is_closed():
            return
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )

        async def publish() -> None:
            for name in ("", *self._names):
                await health_servicer.set(name, status)

        asyncio.run_coroutine_threadsafe(publish(), loop)

    def stop(self, grace: float) -> None:
        """Refuse new calls, give running ones ``grace`` seconds, then stop the loop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(grace), loop)
        try:
            future.result(grace + 5.0)
        except Exception as exc:
            log.error("gRPC server did not stop cleanly: %r", exc)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._start_error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        server = grpc.aio.server(
            options=self._options,
            interceptors=self._interceptors,
            maximum_concurrent_rpcs=self._maximum_concurrent_rpcs,
        )
        if self._servicer is not None:  # None: only the extra services (the hub)
            ingest_pb2_grpc.add_MonitorServicer_to_server(self._servicer, server)
        for service in self._services:
            service.register(server)
        names = (
            *((MONITOR_SERVICE,) if self._servicer is not None else ()),
            *(s.name for s in self._services),
        )
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        if self._reflection:
            reflection.enable_server_reflection(
                (*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server
            )
        self._names = names
        try:
            if self._credentials is not None:
                port = server.add_secure_port(self._address, self._credentials)
            else:
                port = server.add_insecure_port(self._address)
        except RuntimeError as exc:
            raise OSError(f"cannot bind gRPC address {self._address}: {exc}") from None
        if port == 0:
            raise OSError(f"cannot bind gRPC address {self._address}")
        await server.start()
        serving = health_pb2.HealthCheckResponse.SERVING
        await health_servicer.set("", serving)
        for name in names:
            await health_servicer.set(name, serving)
        self._server, self._health, self.port = server, health_servicer, port
        log.info("gRPC listening on %s%s", self.target, " (TLS)" if self._credentials else "")

    async def _shutdown(self, grace: float) -> None:
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace)
