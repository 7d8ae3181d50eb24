"""`symptom-voice bench`: how fast the assistant answers, measured on the spoken fixtures.

Everything runs through the real pipeline in file mode (no audio device needed, so a user can
run it on their own kiosk): the recogniser, `SpokenInput`, the `Dialogue`, the matcher, reply
composition and `Speaker` with the real synthesiser, the whole `Assistant` loop. Only the
speaker is replaced, by a sink that notes when each clip is handed to it, and each fixture is
followed by 2 s of its own background noise, as a microphone keeps delivering after speech ends.

Each engine is measured in a fresh worker process, so peak memory is that engine's alone, and
the naive way (synthesise the whole reply, then play) runs turn by turn beside the streaming
way (play the first sentence while the rest is synthesised), so both see the same machine load.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voice.asr.recognizer import Recognizer, Transcript
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, SpeechAudio
from voice.errors import VoiceError
from voice.session.speaking import Speaker, Spoken

ENGINES = ("pocketsphinx", "vosk")
FIXTURES = Path(__file__).resolve().parents[2] / "audio_tests"
DEFAULT_REPEATS = 1
COLD_RUNS = 5
PAD_SECONDS = 2.0  # after the fixture ends: longer than any trailing-silence wait
NOISE_TAIL_SECONDS = 0.25  # the fixture's last stretch, speech-free, repeated as the padding
FRAME_SECONDS = 0.01
FLOOR_MARGIN = 2.0  # a frame is speech when its RMS is over twice the noise floor's (+6 dB)
WORKER_TIMEOUT = 600.0
COLD_TIMEOUT = 60.0
MARK = "BENCH-RESULT "
READY = "BENCH-READY "

# Runs in a fresh interpreter: the real `symptom-voice --input FILE` up to its first listen, with
# the speaker swapped for a silent sink. The greeting is synthesised (and handed to the sink) first.
_COLD_START = f"""
import os, sys, time
import voice.session.listening, voice.audio.devices
class _Silent:
    def __init__(self, *args, **kwargs): pass
    def play(self, audio): pass
    def stop(self): pass
    def close(self): pass
def _ready(*args, **kwargs):
    sys.stderr.write("{READY}%r\\n" % time.monotonic())
    sys.stderr.flush()
    os._exit(0)
voice.audio.devices.SpeakerSink = _Silent
voice.session.listening.SpokenInput.listen = _ready
from voice.cli import main
sys.exit(main(sys.argv[1:]))
"""

_WORKER = f"""
import json, sys
from voice.tools.bench import measure_engine
print("{MARK}" + json.dumps(measure_engine(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))), flush=True)
"""


def run_bench(engines: Sequence[str] = ENGINES, repeats: int = DEFAULT_REPEATS, fixtures: int | None = None,
              cold_runs: int = COLD_RUNS) -> dict:
    """Figures per engine in the shape of issue 5; `fixtures` limits how many spoken cases are used."""
    wanted = [e for e in ENGINES if e in engines or "auto" in engines]
    unknown = sorted(set(engines) - set(ENGINES) - {"auto"})
    if unknown:
        raise VoiceError(f"unknown engine {unknown[0]!r}: choose from {', '.join(ENGINES)}")
    result: dict = {"cores": os.cpu_count() or 1, "engines": {}, "skipped": {},
                    "repeats": repeats, "cold_runs": cold_runs}
    for engine in wanted:
        missing = _unavailable(engine)
        if missing:
            result["skipped"][engine] = missing
            continue
        cold = [_cold_start(engine) for _ in range(cold_runs)]
        figures = _in_worker(engine, repeats, fixtures if fixtures is not None else -1)
        result["fixtures"] = figures.pop("fixtures")
        result["engines"][engine] = {"cold_start_s": _stats(cold), **figures}
    return result


def format_bench(result: dict) -> str:
    """A table per engine: median and p95 of each figure, and naive against streaming as a ratio."""
    lines = [(f"symptom-voice bench: {result['cores']} CPU cores, {result.get('fixtures', 0)} spoken fixtures "
              f"x {result['repeats']} repeat(s), {result['cold_runs']} cold starts per engine")]
    for engine, reason in result["skipped"].items():
        lines.append(f"{engine}: left out: {reason}")
    rows = (("cold start (to ready-to-listen)", "cold_start_s", 1000, "ms", 0),
            ("endpoint delay (end of speech to endpoint)", "endpoint_delay_s", 1000, "ms", 0),
            ("response latency (endpoint to first reply sample)", "response_latency_s", 1000, "ms", 0),
            ("  of which final decode (endpoint to transcript)", "final_decode_s", 1000, "ms", 0),
            ("recogniser real-time factor", "rtf", 1, "", 3),
            ("matcher time", "matcher_ms", 1, "ms", 2))
    for engine, figures in result["engines"].items():
        lines += ["", f"{engine}", f"  {'figure':<52}{'median':>10}{'p95':>10}"]
        for label, key, scale, unit, digits in rows:
            median, p95 = (_show(figures[key][stat], scale, unit, digits) for stat in ("median", "p95"))
            lines.append(f"  {label:<52}{median:>10}{p95:>10}")
        lines.append(f"  {'peak resident memory':<52}{figures['peak_rss_mb']:>8.0f}MB")
        streaming, naive = figures["response_latency_s"], figures["naive_response_latency_s"]
        lines += ["", f"  {'response latency':<30}{'streaming':>12}{'naive':>12}{'naive/streaming':>17}"]
        for stat in ("median", "p95"):
            ratio = f"{naive[stat] / streaming[stat]:.2f}x" if streaming[stat] and naive[stat] else "-"
            lines.append(f"  {stat:<30}{_show(streaming[stat]):>12}{_show(naive[stat]):>12}"
                         f"{ratio:>17}")
        lines.append(f"  ({figures['multi_sentence_replies']} of {figures['replies']} replies had more than one "
                     f"sentence: only those can start sooner by streaming)")
        if figures.get("missed"):
            lines.append(f"  ({figures['missed']} fixture run(s) reached no endpoint with words, so no reply: "
                         f"not counted)")
    return "\n".join(lines)


def measure_engine(engine: str, repeats: int, fixtures: int = -1) -> dict:
    """Every in-process figure for one engine (run by `run_bench` in a worker process of its own)."""
    from knowledge.evaluation import load_cases
    from knowledge.loader import load_knowledge
    from voice.settings import Settings
    from voice.asr.choice import build_recognizer
    from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

    if not (FIXTURES / "cases.yaml").is_file():
        raise VoiceError(f"the spoken fixtures are not in {FIXTURES}: run the bench from a source checkout")
    cases = [c for c in load_cases(FIXTURES / "cases.yaml") if c.audio]
    if fixtures >= 0:
        cases = cases[:fixtures]
    settings = Settings()
    kb = load_knowledge(settings.knowledge)
    ears = build_recognizer(kb, engine, settings.model, trailing_silence=settings.silence)
    synthesizer = Pyttsx3Synthesizer(rate=settings.rate, volume=settings.volume, voice=settings.voice)
    audio = {case.id: _with_padding(case.audio) for case in cases}
    streaming: list[_Turn] = []
    naive: list[_Turn] = []
    for repeat in range(repeats):
        for number, case in enumerate(cases):
            order = (False, True) if (repeat + number) % 2 == 0 else (True, False)
            for is_naive in order:
                turn = _run_turn(audio[case.id], kb, settings, ears.recognizer, synthesizer, is_naive)
                (naive if is_naive else streaming).append(turn)
    heard = [t for t in streaming if t.response is not None]
    heard_naive = [t for t in naive if t.response is not None]
    return {
        "endpoint_delay_s": _stats([t.endpoint_delay for t in heard]),
        "response_latency_s": _stats([t.response for t in heard]),
        "final_decode_s": _stats([t.decode for t in heard]),
        "rtf": _stats([t.rtf for t in heard]),
        "matcher_ms": _stats([ms for t in streaming + naive for ms in t.matcher_ms]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "naive_response_latency_s": _stats([t.response for t in heard_naive]),
        "replies": len(heard),
        "multi_sentence_replies": sum(t.sentences > 1 for t in heard),
        "missed": len(streaming) - len(heard) + len(naive) - len(heard_naive),
        "fixtures": len(cases),
    }


def speech_end(pcm: bytes) -> float:
    """Seconds to the end of the last 10 ms frame louder than the noise floor (by 6 dB).

    The floor is the median RMS of the quietest tenth of the frames: every fixture has silence
    at both ends, carrying the same noise as under the speech.
    """
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frame = int(SAMPLE_RATE * FRAME_SECONDS)
    count = len(samples) // frame
    if count == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1))
    floor = float(np.median(np.sort(rms)[: max(1, count // 10)]))
    loud = np.flatnonzero(rms > FLOOR_MARGIN * max(floor, 1.0))
    return (int(loud[-1]) + 1) * FRAME_SECONDS if loud.size else 0.0


# --- one turn -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fixture:
    pcm: bytes  # the fixture, then its own background noise for PAD_SECONDS
    speech_end: float


@dataclass
class _Turn:
    endpoint_delay: float = 0.0
    response: float | None = None
    decode: float = 0.0
    sentences: int = 0  # in the reply; only a reply of two or more can start sooner by streaming
    rtf: float = 0.0
    matcher_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Endpoint:
    at: float  # perf_counter when the audio block holding the endpoint was handed to accept()
    position: float  # seconds of audio fed up to the end of that block
    busy: float  # seconds the recogniser had worked so far
    decode: float  # seconds from `at` until the transcript was out (the endpoint block and result())


def _with_padding(path: Path) -> _Fixture:
    from voice.audio.wavfile import read_wav

    pcm = read_wav(path)[1]
    end = speech_end(pcm)
    tail = pcm[-int(SAMPLE_RATE * NOISE_TAIL_SECONDS) * SAMPLE_WIDTH:]
    pad_bytes = int(SAMPLE_RATE * PAD_SECONDS) * SAMPLE_WIDTH
    padding = (tail * (pad_bytes // len(tail) + 1))[:pad_bytes]
    return _Fixture(pcm + padding, end)


def _run_turn(fixture: _Fixture, kb, settings, recognizer: Recognizer, synthesizer, naive: bool) -> _Turn:
    """The fixture through a fresh dialogue, input and speaker, exactly as `run_assistant` wires them."""
    from knowledge.matcher import match
    from knowledge.reply import compose_reply, warnings_overview
    from voice.session.captions import Captions
    from voice.conversation.dialogue import Dialogue, Timing, VoiceLimits
    from voice.session.listening import SpokenInput
    from voice.session.loop import Assistant

    turn = _Turn()

    def understand(text: str):
        started = time.perf_counter()
        found = match(text, kb)
        turn.matcher_ms.append((time.perf_counter() - started) * 1000)
        return found

    dialogue = Dialogue(understand, lambda found: compose_reply(found, kb),
                        warning_signs=warnings_overview(kb).sentences, kiosk=settings.kiosk,
                        limits=VoiceLimits(rate=settings.rate, volume=settings.volume),
                        timing=Timing(listen=settings.listen_timeout, idle=settings.idle_timeout))
    recognizer.reset()
    ears = _TimedRecognizer(recognizer)
    sink = _TimedSink()
    speaker = (_NaiveSpeaker if naive else Speaker)(synthesizer, sink)
    with open(os.devnull, "w", encoding="utf-8") as quiet:
        source = _BytesSource(fixture.pcm, lambda: ears.heard is not None)
        Assistant(dialogue, SpokenInput(source, ears, live=False), speaker, Captions(quiet)).run()
    endpoint = ears.heard
    if endpoint is None:
        return turn
    played = [t for t in sink.played if t >= endpoint.at]
    turn.endpoint_delay = endpoint.position - fixture.speech_end
    turn.response = played[0] - endpoint.at if played else None
    turn.sentences = len(played)
    turn.decode = endpoint.decode
    turn.rtf = endpoint.busy / endpoint.position
    return turn


class _BytesSource:
    """The fixture as `WavSource` decodes it, plus padding; it ends once `done()` says the turn is measured."""

    def __init__(self, pcm: bytes, done: Callable[[], bool]):
        self._pcm = pcm
        self._offset = 0
        self._done = done

    def read(self, frames: int) -> bytes:
        if self._done():
            return b""
        chunk = self._pcm[self._offset:self._offset + frames * SAMPLE_WIDTH]
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        self._pcm = b""


class _TimedRecognizer:
    """The real recogniser, noting its working time and where the first heard utterance ended."""

    def __init__(self, inner: Recognizer):
        self.inner = inner
        self.name = inner.name
        self.heard: _Endpoint | None = None
        self._busy = 0.0
        self._fed = 0
        self._pending: _Endpoint | None = None

    def accept(self, pcm: bytes) -> bool:
        started = time.perf_counter()
        ended = self._timed(lambda: self.inner.accept(pcm))
        self._fed += len(pcm) // SAMPLE_WIDTH
        if ended:
            self._pending = _Endpoint(started, self._fed / SAMPLE_RATE, 0.0, 0.0)
        return ended

    def partial(self) -> str:
        return self._timed(self.inner.partial)

    def result(self) -> Transcript:
        transcript = self._timed(self.inner.result)
        if self._pending is not None and transcript.text and self.heard is None:
            self.heard = _Endpoint(self._pending.at, self._pending.position, self._busy,
                                   time.perf_counter() - self._pending.at)
        self._pending = None
        return transcript

    def reset(self) -> None:
        self._pending = None
        self.inner.reset()

    def set_trailing_silence(self, seconds: float) -> None:
        self.inner.set_trailing_silence(seconds)

    def _timed(self, call: Callable):
        started = time.perf_counter()
        try:
            return call()
        finally:
            self._busy += time.perf_counter() - started


class _TimedSink:
    """A silent AudioSink that notes when each clip was handed to it."""

    def __init__(self) -> None:
        self.played: list[float] = []

    def play(self, audio: SpeechAudio) -> None:
        self.played.append(time.perf_counter())

    def stop(self) -> None:
        """Nothing is playing: play() returns at once."""

    def close(self) -> None:
        """Nothing to release."""


class _NaiveSpeaker(Speaker):
    """The naive way, for comparison: synthesise the whole reply, then play it."""

    def speak(self, sentences: Sequence[str]) -> Spoken:
        audio = self.synthesizer.synthesize(" ".join(sentences))
        self.sink.play(audio)
        return Spoken(True, audio.duration)


# --- processes ----------------------------------------------------------------------------


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


def _child(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """`python -c SNIPPET ARGS...` in a fresh interpreter that imports this checkout's packages."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    try:
        return subprocess.run([sys.executable, "-c", *args], check=False, capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise VoiceError(f"a bench process took over {timeout:.0f} s: is the machine busy? Try again later.") from None


def _cold_start(engine: str) -> float:
    """Seconds from launching `python` to the assistant's first listen, in a fresh process."""
    fixture = str(FIXTURES / "clean" / "c01.wav")
    started = time.monotonic()
    done = _child([_COLD_START, "--engine", engine, "--input", fixture], COLD_TIMEOUT)
    ready = [line for line in done.stderr.splitlines() if line.startswith(READY)]
    if not ready:
        raise VoiceError(f"the assistant did not start for the bench ({_last_line(done.stderr)})")
    return float(ready[0][len(READY):]) - started


def _in_worker(engine: str, repeats: int, fixtures: int) -> dict:
    done = _child([_WORKER, engine, str(repeats), str(fixtures)], WORKER_TIMEOUT)
    found = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not found:
        raise VoiceError(f"the bench could not measure {engine} ({_last_line(done.stderr)})")
    return json.loads(found[-1][len(MARK):])


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None}
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95))}


def _show(value: float | None, scale: float = 1000, unit: str = "ms", digits: int = 0) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}{unit}"
