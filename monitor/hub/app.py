"""``Hub``: the fleet store, ``TraceIngest``, ``TraceQuery``, health and metrics wired together.

One gRPC server carries both services: sidecars push on ``TraceIngest`` (ingest tokens),
readers use ``TraceQuery`` (query tokens) exactly as against a sidecar, so ``llm-monitor
query/trace/watch --address HUB`` work unchanged. ``WatchAlerts`` streams the alerts of the
pushes this hub committed. ``/metrics``, ``/healthz`` and ``/readyz`` are served over HTTP
(``server.metrics_address``). The hub keeps no state besides the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector

from monitor.hub.alert_poll import AlertPoller
from monitor.hub.backends import open_repository
from monitor.hub.config import HubConfig
from monitor.hub.ingest import PushHandler, TraceIngestServicer
from monitor.hub.labels import LabelLoader, LabelTables, RecentIds
from monitor.hub.metrics import HubMetrics
from monitor.sidecar.addresses import is_loopback, parse_host_port
from monitor.sidecar.alerts.hub import AlertHub, WatchLimits
from monitor.sidecar.blocking import BlockingCalls
from monitor.sidecar.http_server import HealthHttpServer
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.query import TRACE_QUERY_SERVICE, TraceQueryServicer
from monitor.sidecar.security import AuthConfig, server_security
from monitor.sidecar.server import GrpcServerThread, Service
from monitor.sidecar.traces.repository import TraceRepository
from monitor.v1 import query_pb2_grpc

log = logging.getLogger(__name__)

PRUNE_INTERVAL_S = 300.0  # retention for backends that do not expire rows themselves
STORE_CHECK_S = 5.0  # how often /readyz's view of the store is refreshed
GRACE_S = 5.0


def hub_registry() -> CollectorRegistry:
    """A fresh registry with process and GC collectors (never the global one)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def exposure_warnings(config: HubConfig) -> list[str]:
    """What is open to other hosts (start-up refuses missing tokens unless allow_insecure)."""
    address = config.server.address
    if is_loopback(address):
        return []
    auth, out = config.auth, []
    if not auth.tokens:
        out.append(f"{address} is not loopback and auth.tokens is empty: anyone can read traces")
    if not auth.ingest_tokens:
        out.append(
            f"{address} is not loopback and auth.ingest_tokens is empty: anyone can push traces"
        )
    if config.tls is None and (auth.tokens or auth.ingest_tokens):
        out.append(f"{address} is not loopback and tls is off: bearer tokens travel in clear text")
    return out


def _label_loader(repository: TraceRepository) -> LabelLoader | None:
    """The store's read-back of label tables, when it has one (``get_labels``)."""
    loader = getattr(repository, "get_labels", None)
    return loader if callable(loader) else None


def _nothing() -> None:
    return None


class Hub:
    """The hub service. ``start()`` returns once it listens; ``stop()`` shuts down cleanly.

    The store is opened in the constructor (``ConfigError`` for a bad path or a missing
    library, ``StorageUnavailable`` for a server that cannot be reached), so nothing
    listens before it works. A given ``repository`` is used as it is, with ``ping`` (raises
    when it does not answer) as its health check. The store is checked every
    ``STORE_CHECK_S``: /readyz fails while it does not answer.
    """

    def __init__(
        self,
        config: HubConfig,
        registry: CollectorRegistry | None = None,
        repository: TraceRepository | None = None,
        ping: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.registry = registry if registry is not None else hub_registry()
        self.metrics = HubMetrics(self.registry)
        # the query side reuses the sidecar's families (query, watch, auth) on this registry
        self.service_metrics = SidecarMetrics(self.registry)
        self._ping: Callable[[], None] = ping or _nothing
        if repository is not None:
            self.repository, self._close_store = repository, _nothing
        else:
            opened = open_repository(config.storage)
            self.repository, self._close_store = opened.repository, opened.close
            self._ping = opened.ping
        self._store_error = ""  # why the last store check failed ("" = it answered)
        watch = config.watch
        self.alert_hub = AlertHub(
            self.service_metrics,
            limits=WatchLimits(
                queue_size=watch.queue_size,
                max_subscribers=watch.max_subscribers,
                max_per_peer=watch.max_subscribers_per_peer,
                max_consecutive_drops=watch.max_consecutive_drops,
            ),
        )
        self.labels = LabelTables(_label_loader(self.repository))
        recent = RecentIds()  # alerts streamed by this replica, from pushes or polls
        self.ingest = TraceIngestServicer(
            PushHandler(
                self.repository,
                self.alert_hub,
                self.metrics,
                labels=self.labels,
                keep_token_text=config.storage.keep_token_text,
                recent_alerts=recent,
            ),
            self.metrics,
            config.limits.max_inflight_pushes,
        )
        self._blocking = BlockingCalls(
            self.service_metrics,
            "",
            "llm-monitor-hub-query",
            max_pending=config.server.query_queue_size,
        )
        query = TraceQueryServicer(self.repository, self.alert_hub, self._blocking)
        interceptors, credentials = server_security(
            AuthConfig(tokens=config.auth.tokens),
            config.tls,
            self.service_metrics,
            "",
            fleet_ingest_tokens=config.auth.ingest_tokens,
        )
        self.server = GrpcServerThread(
            config.server.address,
            None,
            max_receive_bytes=config.limits.max_push_bytes,
            options=config.server.grpc_options(),
            services=[
                self.ingest.service(),
                Service(
                    TRACE_QUERY_SERVICE,
                    lambda server: query_pb2_grpc.add_TraceQueryServicer_to_server(query, server),
                ),
            ],
            interceptors=interceptors,
            credentials=credentials,
            maximum_concurrent_rpcs=config.server.max_concurrent_rpcs,
            reflection=config.server.reflection,
        )
        self.poller: AlertPoller | None = None
        since = getattr(self.repository, "alerts_inserted_since", None)
        interval = config.alert_poll_interval()
        if interval > 0 and since is not None:
            self.poller = AlertPoller(
                since,
                self.alert_hub,
                recent,
                interval_s=interval,
                on_published=self.metrics.alerts_published.inc,
            )
        elif interval > 0:
            log.warning("alert_poll_s: the %s backend cannot be polled", config.storage.backend)
        self._http: HealthHttpServer | None = None
        self._stop_pruning = threading.Event()
        self._pruner: threading.Thread | None = None
        self._started = False

    @property
    def grpc_target(self) -> str:
        """What a local client dials, e.g. ``127.0.0.1:50052`` (after ``start``)."""
        return self.server.target

    @property
    def metrics_port(self) -> int:
        """The bound port of the HTTP server (after ``start``)."""
        return self._http.port if self._http is not None else 0

    def start(self) -> None:
        """Listen (gRPC, then HTTP) and start the retention pruner; ``OSError`` naming the
        address when one cannot be bound."""
        if self._started:
            raise RuntimeError("hub already started")
        self._started = True
        for warning in exposure_warnings(self.config):
            log.warning("%s", warning)
        try:
            self.server.start()
            self._http = self._start_http()
        except BaseException:
            self.stop(grace=0)
            raise
        self._pruner = threading.Thread(
            target=self._maintenance_loop, name="llm-monitor-hub-maintenance", daemon=True
        )
        self._pruner.start()
        if self.poller is not None:
            self.poller.start()
        storage = self.config.storage
        log.info(
            "hub listening on %s%s (TraceIngest, TraceQuery); storage %s at %s; metrics on port %d",
            self.grpc_target,
            " with TLS" if self.config.tls is not None else "",
            storage.backend,
            storage.url if storage.backend == "clickhouse" else storage.path,
            self.metrics_port,
        )

    def stop(self, grace: float = GRACE_S) -> None:
        """End WatchAlerts streams, stop gRPC (``grace`` seconds for calls under way), wait
        for writes under way, close the store."""
        if self.poller is not None:
            self.poller.stop()
        self.alert_hub.close()
        self.server.stop(grace)
        self.ingest.close()
        self._blocking.shutdown()
        self._stop_pruning.set()
        if self._pruner is not None:
            self._pruner.join(5.0)
        if self._http is not None:
            self._http.close()
            self._http = None
        self.repository.close()
        self._close_store()

    def reload_rules(self, path: Path | None = None) -> int:
        """SIGHUP: the hub has no rules (the sidecars evaluate them); nothing to reload."""
        log.info("the hub has no alert rules to reload (the sidecars evaluate them)")
        return 0

    def _serving(self) -> tuple[bool, str]:
        alive = self.server.alive()
        return alive, "ok" if alive else "gRPC server stopped"

    def _ready(self) -> tuple[bool, str]:
        """Serving, and the store answered its last check (a hub that cannot write only
        refuses pushes: out of the Service, sidecars keep their outboxes meanwhile)."""
        alive, why = self._serving()
        error = self._store_error
        if alive and error:
            return False, f"the store does not answer: {error}"
        return alive, why

    def check_store(self) -> bool:
        """Ask the store whether it answers (``SELECT 1``); the verdict feeds /readyz and
        ``llm_monitor_hub_store_up``. Changes are logged once."""
        try:
            self._ping()
        except Exception as exc:
            error = " ".join(str(exc).split())[:300] or type(exc).__name__
            if not self._store_error:
                log.error("the store stopped answering: %s", error)
            self._store_error = error
            self.metrics.store_up.set(0)
            return False
        if self._store_error:
            log.info("the store answers again")
        self._store_error = ""
        self.metrics.store_up.set(1)
        return True

    def _start_http(self) -> HealthHttpServer:
        address = self.config.server.metrics_address
        host, port = parse_host_port(address)
        try:
            server = HealthHttpServer(
                (host.strip("[]"), port),
                self.registry,
                live=self._serving,
                ready=self._ready,
                timeout_s=self.config.server.http_timeout_s,
                max_connections=self.config.server.http_max_connections,
            )
        except OSError as exc:
            raise OSError(
                f"cannot bind server.metrics_address {address}: {exc.strerror or exc}"
            ) from None
        server.serve_in_thread()
        return server

    def _maintenance_loop(self) -> None:
        """Check the store every ``STORE_CHECK_S``; prune every ``PRUNE_INTERVAL_S``."""
        next_prune = time.monotonic() + PRUNE_INTERVAL_S
        while not self._stop_pruning.wait(STORE_CHECK_S):
            self.check_store()
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + PRUNE_INTERVAL_S
                self._prune()

    def _prune(self) -> None:
        try:
            removed = self.repository.prune(time.time())
        except Exception as exc:
            log.error("retention prune failed: %r", exc)
            return
        if removed:
            log.info("retention: removed %d trace(s)", removed)

    def __enter__(self) -> Hub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
