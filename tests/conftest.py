"""Shared pytest fixtures: the private PulseAudio daemon, and no network beyond this machine."""
import os
from pathlib import Path

import network_guard
from virtual_audio import virtual_audio  # noqa: F401  (registers the session fixture)

TESTS = Path(__file__).resolve().parent

network_guard.install()
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))

