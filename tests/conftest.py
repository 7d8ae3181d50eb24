"""Shared pytest fixtures: the private PulseAudio daemon, and no network beyond this machine."""
import os
import sys
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parent / "support"
sys.path.insert(0, str(SUPPORT))

import network_guard  # noqa: E402
from virtual_audio import audio_daemon, virtual_audio  # noqa: E402,F401  (registers the fixtures)

network_guard.install()
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")]))


def pytest_collection_modifyitems(config, items):
    """Every test on the private PulseAudio daemon is marked `audio`, so `make test` can run them
    with nothing beside them: live audio played and captured in real time garbles under load."""
    for item in items:
        if "virtual_audio" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.audio)
