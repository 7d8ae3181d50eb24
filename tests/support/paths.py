"""Where the tests find the project and its fixtures."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
AUDIO = ROOT / "audio_tests"
CASES = TESTS / "knowledge" / "cases"
