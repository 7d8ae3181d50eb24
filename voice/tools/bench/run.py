"""`symptom-voice bench`: how fast the assistant answers, and whether it lets people finish.

Each engine is measured in a fresh worker process, so peak memory is that engine's alone; each
cold start is the real `symptom-voice` command in a process of its own, which the assistant
ends itself the moment it is ready to listen (see `voice.session.observer.EXIT_WHEN_READY`).
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from knowledge.loader import load_knowledge
from voice.errors import VoiceError
from voice.session.observer import EXIT_WHEN_READY, READY_EXIT_STATUS
from voice.settings import Settings
from voice.tools.bench.components import matcher_scaling, matcher_times, transcribe_all
from voice.tools.bench.fixtures import FIXTURES, load_fixtures
from voice.tools.bench.result import BenchResult, CutOff, EngineFigures, Stats
from voice.tools.bench.turns import run_turn

ENGINES = ("pocketsphinx", "vosk")
DEFAULT_REPEATS = 1
COLD_RUNS = 5
COLD_TIMEOUT = 60.0
WORKER_TIMEOUT = 1200.0
COLD_START_INPUT = FIXTURES / "clean" / "c01.wav"


def run_bench(engines: Sequence[str] = ENGINES, repeats: int = DEFAULT_REPEATS, fixtures: int | None = None,
              cold_runs: int = COLD_RUNS) -> BenchResult:
    """Every figure for each engine asked for ("auto": all); `fixtures` keeps the first few of each set."""
    unknown = sorted(set(engines) - set(ENGINES) - {"auto"})
    if unknown:
        raise VoiceError(f"unknown engine {unknown[0]!r}: choose from {', '.join(ENGINES)}")
    plain, paused = load_fixtures(fixtures)
    result = BenchResult(os.cpu_count() or 1, len(plain), len(paused), repeats, cold_runs,
                         matcher=matcher_scaling(load_knowledge()))
    for engine in (e for e in ENGINES if e in engines or "auto" in engines):
        missing = _unavailable(engine)
        if missing:
            result.skipped[engine] = missing
            continue
        cold = Stats.of([cold_start(engine) for _ in range(cold_runs)])
        result.engines[engine] = replace(_in_worker(engine, repeats, fixtures), cold_start_s=cold)
    return result


def measure_engine(engine: str, repeats: int, fixtures: int | None) -> EngineFigures:
    """The figures of one engine but its cold start (run by `run_bench` in a worker process of its own)."""
    from voice.app import build_ears

    settings = Settings(engine=engine)
    plain, paused = load_fixtures(fixtures)
    turns = [run_turn(fixture, settings) for _ in range(repeats) for fixture in plain]
    paused_runs = [(fixture, run_turn(fixture, settings)) for _ in range(repeats) for fixture in paused]
    paused_turns = [turn for _, turn in paused_runs]
    by_pause: dict[str, list[bool]] = {}
    for fixture, turn in paused_runs:
        by_pause.setdefault(f"{fixture.pause.seconds:.1f}", []).append(turn.cut_off)
    kb = load_knowledge(settings.knowledge)
    heard = transcribe_all([f.recording for f in plain], build_ears(kb, engine, settings.model).recognizer)
    timed = [t for t in turns if t.speech_end_to_audio is not None]
    cut = sum(t.cut_off for t in paused_turns)
    return EngineFigures(
        cold_start_s=Stats(),
        speech_end_to_audio_s=Stats.of([t.speech_end_to_audio for t in timed]),
        endpoint_delay_s=Stats.of([t.endpoint_delay for t in timed]),
        response_latency_s=Stats.of([t.response_latency for t in timed]),
        final_decode_s=Stats.of([t.final_decode for t in timed]),
        cut_off_rate=cut / len(paused_turns) if paused_turns else None,
        cut_off=cut,
        paused=len(paused_turns),
        cut_off_by_pause={pause: CutOff(sum(cuts), len(cuts)) for pause, cuts in sorted(by_pause.items())},
        cut_off_fixtures=[turn.fixture for turn in paused_turns if turn.cut_off],
        rtf=Stats.of([h.rtf for h in heard]),
        matcher_ms=matcher_times(kb, [h.text for h in heard if h.text]).per_utterance_ms,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        replies=len(timed),
        missed=len(turns) - len(timed),
    )


def cold_start(engine: str) -> float:
    """Seconds from launching `symptom-voice --input` to its first listen, with the default settings."""
    root = str(Path(__file__).resolve().parents[3])
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, EXIT_WHEN_READY: "1", "XDG_CONFIG_HOME": folder,
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "voice", "--engine", engine, "--input", str(COLD_START_INPUT),
                   "--output", str(Path(folder) / "greeting.wav")]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=COLD_TIMEOUT, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise VoiceError(f"the assistant took over {COLD_TIMEOUT:.0f} s to start: is the machine busy?") from None
        elapsed = time.perf_counter() - started
    if done.returncode != READY_EXIT_STATUS:
        raise VoiceError(f"the assistant did not get ready for the bench ({_last_line(done.stderr)})")
    return elapsed


def _in_worker(engine: str, repeats: int, fixtures: int | None) -> EngineFigures:
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # leaving the block ends the worker
        try:
            return pool.apply_async(measure_engine, (engine, repeats, fixtures)).get(timeout=WORKER_TIMEOUT)
        except multiprocessing.TimeoutError:
            raise VoiceError(f"measuring {engine} took over {WORKER_TIMEOUT:.0f} s (or its worker died): "
                             "is the machine busy?") from None


def _unavailable(engine: str) -> str | None:
    """Why `engine` cannot be measured here, or None when it can."""
    if engine == "vosk":
        from voice.asr.vosk_model import find_model

        try:
            import vosk  # noqa: F401
        except ImportError:
            return "the vosk package is not installed (pip install vosk)"
        if find_model() is None:
            return "no Vosk model found (run 'symptom-voice model download', or set VOSK_MODEL_PATH)"
    return None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
