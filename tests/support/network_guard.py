"""Refuse every network connection except to this machine, so accidental network use fails loudly.

Installed in the test process by conftest.py and in every Python subprocess the tests start
(through sitecustomize.py on PYTHONPATH). The model-download tests use a server on 127.0.0.1.
"""
from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", ""}


class NetworkBlocked(OSError):
    pass


def _allowed(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like never leave the machine
        return True
    host = str(address[0])
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def install() -> None:
    if getattr(socket.socket.connect, "_guarded", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: object) -> None:
        if not _allowed(address):
            raise NetworkBlocked(f"network access to {address!r} is blocked in tests")
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if not _allowed(address):
            raise NetworkBlocked(f"network access to {address!r} is blocked in tests")
        return original_connect_ex(self, address)

    connect._guarded = True  # type: ignore[attr-defined]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
