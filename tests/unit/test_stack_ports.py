"""The integration stack's servers listen below the kernel's ephemeral port range."""

from __future__ import annotations

import socket

from tests.integration.stack import LOWEST_PORT, ephemeral_floor, free_port


def test_free_ports_are_below_the_ephemeral_range_and_bindable() -> None:
    floor = ephemeral_floor()
    for _ in range(20):
        port = free_port()
        assert LOWEST_PORT <= port < floor
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
