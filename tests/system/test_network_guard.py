"""The whole suite runs with the network closed beyond this machine, subprocesses included."""
import socket
import subprocess
import sys

import pytest

import network_guard


def test_outside_addresses_are_refused():
    with pytest.raises(network_guard.NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()


def test_subprocesses_are_guarded_too():
    code = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "blocked in tests" in result.stderr
