"""Python subprocesses started by the tests get the same network guard as the test process."""
import network_guard

network_guard.install()
