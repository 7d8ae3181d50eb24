"""Python subprocesses started by the tests get the same network guard as the test process, and
Ctrl-C: a test run started from a background job (`make test &`) inherits SIGINT ignored, Python then
installs no KeyboardInterrupt handler, and the tests that end an assistant with Ctrl-C hung and
left it running."""
import signal

import network_guard

network_guard.install()
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
