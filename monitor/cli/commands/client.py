"""The connection half of the client commands: settings, channel, errors -> exit codes.

Every client command has the :data:`Command` signature and runs through
:func:`run_client`, which opens the channel and turns failures into one stderr line and
an :class:`~monitor.cli.exit_codes.ExitCode`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import grpc

from monitor.cli.exit_codes import CommandError, ExitCode, epilog

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_TIMEOUT_S = 10.0

EPILOG = epilog(ExitCode.UNAVAILABLE, ExitCode.UNAUTHENTICATED, ExitCode.NOT_FOUND)

_EXIT_CODES = {
    grpc.StatusCode.UNAVAILABLE: ExitCode.UNAVAILABLE,
    grpc.StatusCode.UNAUTHENTICATED: ExitCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED: ExitCode.UNAUTHENTICATED,
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.USAGE,
}


def usage_error(message: str) -> CommandError:
    """A flag value the command cannot use; the message names the flag."""
    return CommandError(message, ExitCode.USAGE)


@dataclass(frozen=True)
class ClientSettings:
    """How to reach the sidecar."""

    address: str = DEFAULT_ADDRESS
    token: str | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_server_name: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S

    @property
    def tls(self) -> bool:
        return self.tls_ca is not None or self.tls_cert is not None

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


def _read(flag: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise usage_error(f"{flag}: cannot read {path}: {exc.strerror or exc}") from None


MAX_RECEIVE_BYTES = 64 * 2**20
"""Largest response the client accepts: well above one GetTrace page (the server caps a
page's tokens) and above what QueryTraces returns, so a large stored trace never fails with
RESOURCE_EXHAUSTED at the gRPC default of 4 MiB."""


def open_channel(settings: ClientSettings) -> grpc.Channel:
    """An insecure channel, or a TLS one when a CA or a client certificate is given."""
    if not settings.tls:
        return grpc.insecure_channel(
            settings.address, options=[("grpc.max_receive_message_length", MAX_RECEIVE_BYTES)]
        )
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise usage_error("--tls-cert and --tls-key go together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read("--tls-ca", settings.tls_ca) if settings.tls_ca else None,
        private_key=_read("--tls-key", settings.tls_key) if settings.tls_key else None,
        certificate_chain=_read("--tls-cert", settings.tls_cert) if settings.tls_cert else None,
    )
    options: list[tuple[str, str | int]] = [("grpc.max_receive_message_length", MAX_RECEIVE_BYTES)]
    if settings.tls_server_name:
        options.append(("grpc.ssl_target_name_override", settings.tls_server_name))
    return grpc.secure_channel(settings.address, credentials, options=options)


def describe_error(err: grpc.RpcError, address: str) -> tuple[str, ExitCode]:
    """A one-line message and an exit code for a failed call."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else "") or ""
    if code == grpc.StatusCode.UNAVAILABLE:
        text = f"sidecar at {address} is unavailable: {details}"
    elif code == grpc.StatusCode.UNAUTHENTICATED:
        text = (
            f"not authenticated by the sidecar at {address}: {details} "
            "(use --token-file or LLM_MONITOR_TOKEN)"
        )
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        text = f"no answer from the sidecar at {address} in time (--timeout): {details}"
    else:
        text = f"{code.name}: {details}"
    return text, _EXIT_CODES.get(code, ExitCode.FAILED)


def _token(args: argparse.Namespace) -> str | None:
    """The bearer token: ``--token-file`` (first line), else ``--token`` / the environment."""
    path: Path | None = getattr(args, "token_file", None)
    if path is None:
        return args.token or None
    text = _read("--token-file", path).decode("utf-8", "replace").strip()
    if not text or any(c.isspace() for c in text):
        raise usage_error(f"--token-file: {path} must hold one token on one line")
    return text


def settings_from(args: argparse.Namespace) -> ClientSettings:
    """The connection flags as ClientSettings."""
    return ClientSettings(
        address=args.address,
        token=_token(args),
        tls_ca=args.tls_ca,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_server_name=args.tls_server_name,
        timeout=args.timeout,
    )


Command = Callable[[argparse.Namespace, grpc.Channel, ClientSettings, TextIO], int]
"""A client command: flags, an open channel, its settings and where to print -> exit code."""


def run_client(args: argparse.Namespace, command: Command, out: TextIO | None = None) -> int:
    """Open the channel, run one command, turn failures into a message and an exit code."""
    out = out if out is not None else sys.stdout
    try:
        settings = settings_from(args)
        with open_channel(settings) as channel:
            return command(args, channel, settings, out)
    except CommandError as exc:
        print(f"llm-monitor: {exc}", file=sys.stderr)
        return exc.code
    except grpc.FutureTimeoutError:
        print(
            f"llm-monitor: sidecar at {args.address} is unavailable: no connection within "
            f"{args.timeout} s",
            file=sys.stderr,
        )
        return ExitCode.UNAVAILABLE
    except grpc.RpcError as err:
        text, code = describe_error(err, args.address)
        print(f"llm-monitor: {text}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        return ExitCode.OK


def client_command(fn: Command) -> Callable[[argparse.Namespace], int]:
    """``fn`` as an argparse ``func``: run through :func:`run_client`."""
    return lambda args: run_client(args, fn)


def client_flags() -> argparse.ArgumentParser:
    """The connection flags every client command takes (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument(
        "--address",
        default=os.environ.get("LLM_MONITOR_ADDRESS", DEFAULT_ADDRESS),
        help="sidecar gRPC address, host:port or unix:/path (env LLM_MONITOR_ADDRESS; "
        f"default {DEFAULT_ADDRESS})",
    )
    group.add_argument(
        "--token",
        default=os.environ.get("LLM_MONITOR_TOKEN"),
        help="bearer token (env LLM_MONITOR_TOKEN; prefer it or --token-file: a flag's "
        "value is visible to other users in the process list)",
    )
    group.add_argument(
        "--token-file",
        type=Path,
        default=os.environ.get("LLM_MONITOR_TOKEN_FILE") or None,
        help="file holding the bearer token, e.g. a mounted secret (env "
        "LLM_MONITOR_TOKEN_FILE; wins over --token)",
    )
    group.add_argument("--tls-ca", type=Path, help="CA certificate (PEM) to verify the sidecar")
    group.add_argument("--tls-cert", type=Path, help="client certificate (PEM), for mutual TLS")
    group.add_argument("--tls-key", type=Path, help="client private key (PEM), for mutual TLS")
    group.add_argument("--tls-server-name", help="expected name in the sidecar's certificate")
    group.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="seconds per call (default %(default)s)",
    )
    return common
