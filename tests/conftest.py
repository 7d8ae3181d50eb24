"""Shared pytest fixtures: the private PulseAudio daemon, and no network beyond this machine."""
import os
import sys
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent / "support"
sys.path.insert(0, str(SUPPORT))

import network_guard  # noqa: E402
from virtual_audio import virtual_audio  # noqa: E402,F401  (registers the session fixture)

network_guard.install()
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")]))


def pytest_collection_modifyitems(config, items):
    """Under `make test` (`pytest -n 2 --dist loadgroup`) the slow soak runs on one worker while the
    rest of the suite runs in order on the other: the soak alone takes some 13 minutes of one core."""
    import pytest

    for item in items:
        item.add_marker(pytest.mark.xdist_group("slow" if item.get_closest_marker("slow") else "suite"))
