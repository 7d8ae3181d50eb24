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

