"""`symptom-voice bench`: speed and turn-taking of the real assistant, measured on the spoken fixtures.

Everything runs the product itself in file mode (no audio device needed, so a user can run it on
their own kiosk): `run_assistant` with the fixture as its audio source, timed through its observer.
"""
from voice.tools.bench.fixtures import speech_end
from voice.tools.bench.report import format_bench
from voice.tools.bench.result import BenchResult
from voice.tools.bench.run import ENGINES, run_bench

__all__ = ["ENGINES", "BenchResult", "format_bench", "run_bench", "speech_end"]
