"""Transport security and bearer-token access control of the sidecar's gRPC server.

- ``TlsConfig``: server certificate and key; with ``client_ca_file`` the server also
  requires client certificates signed by that CA (mutual TLS).
- ``AuthConfig``: bearer tokens accepted on ``TraceQuery`` and ``Admin``, and the token
  the plugin must present on ``Monitor.Ingest``; the hub adds the tokens sidecars present
  on ``TraceIngest.Push`` (``fleet_ingest_tokens``).
- ``AuthInterceptor``: checks ``authorization: Bearer <token>`` in constant time and
  refuses with UNAUTHENTICATED. Health checks and reflection (off unless configured) stay
  open.

Tokens have at least ``MIN_TOKEN_CHARS`` printable characters without whitespace. A
``grpc_address`` beyond loopback without both kinds of token is refused at start-up
unless ``allow_insecure`` is set (``monitor.sidecar.config``).

A unix-socket address without an ingest token relies on file permissions of the socket
for access control; that is the supported set-up for a sidecar on the same host.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import grpc
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from monitor.sidecar.metrics import SidecarMetrics

OPEN_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)
INGEST_SERVICE = "monitor.v1.Monitor"
FLEET_INGEST_SERVICE = "monitor.v1.TraceIngest"  # sidecars -> hub
PROTECTED_SERVICES = ("monitor.v1.TraceQuery", "monitor.v1.Admin")
UNKNOWN_SERVICE = "unknown"


def readable_file(value: Path) -> Path:
    """``value`` when it is a file this process can read; ValueError naming it otherwise."""
    if not value.is_file():
        raise ValueError(f"not a file: {value}")
    try:
        with value.open("rb"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot read {value}: {exc.strerror or exc}") from None
    return value


class TlsConfig(BaseModel):
    """TLS of the gRPC server (PEM files). With a client CA, clients need certificates."""

    model_config = ConfigDict(extra="forbid")

    cert_file: Path = Field(description="Server certificate chain (PEM).")
    key_file: Path = Field(description="Private key of the server certificate (PEM).")
    client_ca_file: Path | None = Field(
        default=None,
        description="CA bundle (PEM) for client certificates; set = mutual TLS required.",
    )

    @field_validator("cert_file", "key_file")
    @classmethod
    def _check_file(cls, value: Path) -> Path:
        return readable_file(value)

    @field_validator("client_ca_file")
    @classmethod
    def _check_ca(cls, value: Path | None) -> Path | None:
        return None if value is None else readable_file(value)

    def server_credentials(self) -> grpc.ServerCredentials:
        """Credentials for ``add_secure_port``; requires client certs with a client CA."""
        ca = self.client_ca_file.read_bytes() if self.client_ca_file is not None else None
        return grpc.ssl_server_credentials(
            [(self.key_file.read_bytes(), self.cert_file.read_bytes())],
            root_certificates=ca,
            require_client_auth=ca is not None,
        )


class AuthConfig(BaseModel):
    """Bearer tokens. No tokens = the query API is open (only sensible on loopback)."""

    model_config = ConfigDict(extra="forbid")

    tokens: list[SecretStr] = Field(
        default_factory=list,
        description="Bearer tokens accepted on TraceQuery and Admin; empty = no check.",
    )
    ingest_token: SecretStr | None = Field(
        default=None,
        description="Token the plugin must send on Ingest (LLM_MONITOR_PLUGIN_INGEST_TOKEN); "
        "unset = Ingest is open.",
    )

    @field_validator("tokens")
    @classmethod
    def _check_tokens(cls, value: list[SecretStr]) -> list[SecretStr]:
        for i, token in enumerate(value):
            check_token(f"tokens[{i}]", token)
        return value

    @field_validator("ingest_token")
    @classmethod
    def _check_ingest(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_token("ingest_token", value)
        return value


MIN_TOKEN_CHARS = 16


def check_token(name: str, token: SecretStr) -> None:
    """Refuse (ValueError naming ``name``) a token that is empty, short or has whitespace."""
    text = token.get_secret_value()
    if not text:
        raise ValueError(f"{name} is empty")
    if len(text) < MIN_TOKEN_CHARS:
        raise ValueError(
            f"{name} is shorter than {MIN_TOKEN_CHARS} characters (e.g. `openssl rand -hex 16`)"
        )
    if text != text.strip() or any(c.isspace() for c in text) or not text.isprintable():
        raise ValueError(f"{name} must be printable without whitespace")


def bearer_token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The token of the first ``authorization: Bearer <token>`` entry, or None."""
    for key, value in metadata or ():
        if key.lower() != "authorization":
            continue
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        scheme, _, token = text.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None
    return None


def token_matches(presented: str | None, accepted: Sequence[bytes]) -> bool:
    """Constant-time comparison against every accepted token."""
    if presented is None:
        return False
    candidate = presented.encode("utf-8")
    found = False
    for token in accepted:
        found |= hmac.compare_digest(candidate, token)
    return found


def service_of(method: str) -> str:
    """``/pkg.Service/Method`` -> ``pkg.Service``."""
    return method.lstrip("/").partition("/")[0]


class AccessPolicy:
    """Which tokens each service needs; pure, no gRPC."""

    def __init__(self, auth: AuthConfig, fleet_ingest_tokens: Sequence[SecretStr] = ()) -> None:
        self._query = [t.get_secret_value().encode("utf-8") for t in auth.tokens]
        ingest = auth.ingest_token
        self._ingest = [ingest.get_secret_value().encode("utf-8")] if ingest is not None else []
        self._fleet = [t.get_secret_value().encode("utf-8") for t in fleet_ingest_tokens]

    @property
    def enforcing(self) -> bool:
        return bool(self._query or self._ingest or self._fleet)

    def required(self, service: str) -> list[bytes]:
        """Accepted tokens for a service; empty = open."""
        if service in OPEN_SERVICES:
            return []
        if service == INGEST_SERVICE:
            return self._ingest
        if service == FLEET_INGEST_SERVICE:
            return self._fleet
        return self._query

    def allows(self, service: str, metadata: Sequence[tuple[str, str | bytes]] | None) -> bool:
        accepted = self.required(service)
        return not accepted or token_matches(bearer_token(metadata), accepted)


def _refusal(handler: grpc.RpcMethodHandler, message: str) -> grpc.RpcMethodHandler:
    """A handler of the same kind as ``handler`` that answers UNAUTHENTICATED."""

    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(refuse, **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(refuse, **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(refuse, **kwargs)
    return grpc.stream_stream_rpc_method_handler(refuse, **kwargs)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without an accepted bearer token; counts refusals by service."""

    def __init__(self, policy: AccessPolicy, metrics: SidecarMetrics, model_name: str) -> None:
        self._policy = policy
        self._metrics = metrics.model(model_name)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        service = service_of(handler_call_details.method)
        metadata = handler_call_details.invocation_metadata
        if handler is None or self._policy.allows(service, metadata):
            return handler
        known = (
            service
            if service in (INGEST_SERVICE, FLEET_INGEST_SERVICE, *PROTECTED_SERVICES)
            else UNKNOWN_SERVICE
        )
        self._metrics.auth_failures(known).inc()
        reason = "missing" if bearer_token(metadata) is None else "not accepted"
        return _refusal(handler, f"bearer token {reason} for {service}")


def server_security(
    auth: AuthConfig,
    tls: TlsConfig | None,
    metrics: SidecarMetrics,
    model_name: str,
    *,
    fleet_ingest_tokens: Sequence[SecretStr] = (),
) -> tuple[list[grpc.aio.ServerInterceptor], grpc.ServerCredentials | None]:
    """Interceptors and credentials for the gRPC server from the configuration (the hub
    passes the tokens of ``TraceIngest`` as ``fleet_ingest_tokens``)."""
    policy = AccessPolicy(auth, fleet_ingest_tokens)
    interceptors: list[grpc.aio.ServerInterceptor] = (
        [AuthInterceptor(policy, metrics, model_name)] if policy.enforcing else []
    )
    return interceptors, tls.server_credentials() if tls is not None else None
