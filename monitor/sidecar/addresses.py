"""Addresses the sidecar binds and dials: ``host:port``, ``unix:/path``, loopback or not."""

from __future__ import annotations

import ipaddress


def parse_host_port(address: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` too) into its parts; raises ValueError."""
    host, sep, port_text = address.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected host:port, got {address!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"port must be an integer in {address!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0..65535 in {address!r}")
    return host, port


def is_unix_address(address: str) -> bool:
    """True for gRPC unix socket addresses (``unix:/path``, ``unix:///path``)."""
    return address.startswith("unix:")


def is_loopback(address: str) -> bool:
    """True for unix sockets and loopback hosts (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if is_unix_address(address):
        return True
    host, _ = parse_host_port(address)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_grpc_address(value: str) -> str:
    """``value`` when it is ``host:port`` or ``unix:/path`` (with a path); ValueError
    otherwise (the settings classes' address validator)."""
    if is_unix_address(value):
        if not value.removeprefix("unix:").lstrip("/"):
            raise ValueError(f"unix socket address has no path: {value!r}")
        return value
    parse_host_port(value)
    return value
