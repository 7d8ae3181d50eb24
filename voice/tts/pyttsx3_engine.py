"""Text to speech with pyttsx3 over espeak-ng, returned as PCM instead of played.

pyttsx3's espeak driver is fragile when reused, and creating engines does not help:
- espeak-ng is initialised once per process with one global audio callback, so a
  second engine steals the first one's callback and a collected engine removes it
  (the "speaks only once, then hangs" reports). One engine serves the process.
- espeak-ng synthesises on its own thread: `runAndWait` returns before the WAV is
  written, so completion is awaited through the `finished-utterance` event.
- The driver's end of loop calls `espeak_Cancel` whenever espeak's command queue is
  not empty, which silently drops a rate or voice change still queued there (and
  can cut the utterance). So the queue is drained before every utterance.
- The driver prints "Audio saved to ..." from espeak's thread; that print is
  silenced in the driver module only.
Volume is applied to the samples here: exact, and one fewer queued espeak setting.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice.audio.format import SAMPLE_WIDTH, SpeechAudio
from voice.errors import VoiceError

DEFAULT_RATE = 175
MIN_RATE, MAX_RATE = 80, 450  # espeak-ng's own limits in words per minute
ESPEAK_RATE = 22050
IDLE_TIMEOUT = 5.0
BASE_TIMEOUT = 20.0
SECONDS_PER_CHAR = 0.02  # espeak-ng runs ~100x real time; this allows for a loaded machine
INSTALL_HINT = "install espeak-ng (apt-get install espeak-ng) and pyttsx3"


@dataclass(frozen=True)
class VoiceInfo:
    """One installed espeak-ng voice."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None


class _SharedEngine:
    """The process's one pyttsx3 espeak engine, used by one utterance at a time."""

    def __init__(self) -> None:
        try:
            import pyttsx3
            from pyttsx3.drivers import _espeak
            from pyttsx3.drivers import espeak as espeak_driver
        except (ImportError, OSError) as error:
            raise VoiceError(f"Speech output is unavailable ({error}): {INSTALL_HINT}.") from error
        espeak_driver.print = lambda *args, **kwargs: None
        try:
            self.engine = pyttsx3.init("espeak")
        except (RuntimeError, OSError) as error:
            raise VoiceError(f"espeak-ng could not start ({error}): {INSTALL_HINT}.") from error
        self._espeak = _espeak
        self.lock = threading.Lock()
        self.default_voice = str(self.engine.getProperty("voice"))
        self.voice: str | None = self.default_voice
        self.rate: int | None = None
        self._voices: list[VoiceInfo] | None = None
        self._finished = threading.Event()
        self._completed = False
        self.engine.connect("finished-utterance", self._on_finished)
        self.engine.connect("error", self._on_error)

    def voices(self) -> list[VoiceInfo]:
        """Installed voices, read once: espeak-ng's list does not change while running."""
        if self._voices is None:
            self._voices = [VoiceInfo(str(v.id), str(v.name), tuple(v.languages or ()), v.gender)
                            for v in self.engine.getProperty("voices")]
        return list(self._voices)

    def apply(self, voice_id: str | None, rate: int) -> None:
        """Change only what differs from the last utterance, then let espeak take it in."""
        voice_id = voice_id or self.default_voice
        if voice_id != self.voice:
            try:
                self.engine.setProperty("voice", voice_id)
            except ValueError as error:
                raise VoiceError(f"espeak-ng voice {voice_id!r} could not be loaded: "
                                 f"pick another with --voice (see: symptom-voice voices).") from error
            self.voice = voice_id
            self.rate = None  # a new voice brings its own speed
        if rate != self.rate:
            self.engine.setProperty("rate", rate)
            self.rate = rate
        self._wait_idle()

    def render(self, text: str, path: Path, timeout: float) -> bool:
        """Write `text` to `path` as WAV; False if espeak cut the utterance short."""
        self._finished.clear()
        self._completed = False
        self.engine.save_to_file(text, str(path))
        self.engine.runAndWait()
        if not self._finished.wait(timeout):
            self._espeak.Cancel()
            raise VoiceError(f"espeak-ng did not finish speaking within {timeout:.0f} s: "
                             f"try a shorter reply, or reinstall espeak-ng.")
        return self._completed and path.exists()

    def forget(self) -> None:
        """After a cancelled utterance espeak may have dropped queued settings: send them again."""
        self.voice = None
        self.rate = None

    def _wait_idle(self) -> None:
        deadline = time.monotonic() + IDLE_TIMEOUT
        while self._espeak.IsPlaying():
            if time.monotonic() > deadline:
                raise VoiceError("espeak-ng stayed busy: restart the assistant, or reinstall espeak-ng.")
            time.sleep(0.002)

    def _on_finished(self, completed: bool = True, **_: object) -> None:
        self._completed = bool(completed)
        self._finished.set()

    def _on_error(self, **_: object) -> None:
        self._completed = False
        self._finished.set()


_shared: _SharedEngine | None = None
_shared_lock = threading.Lock()


def _engine() -> _SharedEngine:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _SharedEngine()
        return _shared


def list_voices() -> list[VoiceInfo]:
    """Every espeak-ng voice, for `--voice` and a voices listing."""
    shared = _engine()
    with shared.lock:
        return shared.voices()


def find_voice(wanted: str, voices: list[VoiceInfo]) -> VoiceInfo:
    """The voice whose id or name is `wanted`, else the first whose id or name contains it."""
    key = wanted.strip().lower()
    exact = [v for v in voices if key in (v.id.lower(), v.name.lower())]
    partial = [v for v in voices if key in v.id.lower() or key in v.name.lower()]
    if not key or not (exact or partial):
        raise VoiceError(f"No espeak-ng voice matches {wanted!r}: run 'symptom-voice voices' to list them, "
                         f"and pick one by id or name.")
    return (exact or partial)[0]


class Pyttsx3Synthesizer:
    """Synthesizer over pyttsx3/espeak-ng; `rate` (words per minute), `volume` (0..1) and `voice` are live."""

    def __init__(self, rate: int = DEFAULT_RATE, volume: float = 1.0, voice: str | None = None) -> None:
        self.rate = rate
        self.volume = volume
        self.voice = voice
        self._shared = _engine()

    def synthesize(self, text: str) -> SpeechAudio:
        """Speech for `text` at espeak's native rate; empty text gives empty audio."""
        if not text or not text.strip():
            return SpeechAudio(b"", ESPEAK_RATE)
        timeout = BASE_TIMEOUT + SECONDS_PER_CHAR * len(text)
        with self._shared.lock:
            pcm, sample_rate = self._render(text, self._voice_id(), timeout)
        if not pcm:
            raise VoiceError("espeak-ng produced no audio: check that espeak-ng-data is installed.")
        return SpeechAudio(_scale(pcm, self.volume), sample_rate)

    def list_voices(self) -> list[VoiceInfo]:
        return list_voices()

    def _voice_id(self) -> str | None:
        if not self.voice:
            return None
        return find_voice(self.voice, self._shared.voices()).id

    def _render(self, text: str, voice_id: str | None, timeout: float) -> tuple[bytes, int]:
        """One retry covers an utterance espeak cancelled; a second failure is reported."""
        handle, name = tempfile.mkstemp(prefix="symptom-voice-", suffix=".wav")
        os.close(handle)
        path = Path(name)
        try:
            for _ in range(2):
                path.unlink(missing_ok=True)
                self._shared.apply(voice_id, min(max(int(self.rate), MIN_RATE), MAX_RATE))
                if self._shared.render(text, path, timeout):
                    return _read_wav(path)
                self._shared.forget()
            raise VoiceError("espeak-ng stopped before the end of the reply: try again, or reinstall espeak-ng.")
        finally:
            path.unlink(missing_ok=True)


def _read_wav(path: Path) -> tuple[bytes, int]:
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != SAMPLE_WIDTH or wav.getnchannels() != 1:
                raise VoiceError("espeak-ng wrote audio in an unexpected format: reinstall espeak-ng.")
            return wav.readframes(wav.getnframes()), wav.getframerate()
    except (wave.Error, EOFError) as error:
        raise VoiceError(f"espeak-ng wrote an unreadable WAV ({error}): reinstall espeak-ng.") from error


def _scale(pcm: bytes, volume: float) -> bytes:
    """int16 samples times `volume` clamped to 0..1 (so never clipped)."""
    gain = min(max(float(volume), 0.0), 1.0)
    if gain == 1.0:
        return pcm
    return (np.frombuffer(pcm, dtype="<i2") * gain).astype("<i2").tobytes()
