"""The values that flow between stages and the small interfaces every engine implements.

Audio inside the pipeline is always 16 kHz, mono, signed 16-bit little-endian PCM bytes,
so engines never negotiate formats with each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2


@dataclass(frozen=True)
class Word:
    """One recognised word with its times in seconds from the start of the utterance."""

    text: str
    start: float
    end: float
    confidence: float = 1.0


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance."""

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 1.0
    engine: str = ""


@dataclass(frozen=True)
class SpeechAudio:
    """Synthesised or recorded audio: int16 mono PCM at `sample_rate`."""

    pcm: bytes
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.pcm) / (SAMPLE_WIDTH * self.sample_rate)


@runtime_checkable
class AudioSource(Protocol):
    """Where utterances come from: a microphone or a WAV file, always 16 kHz mono int16."""

    def read(self, frames: int) -> bytes:
        """Return up to `frames` frames; b"" means the source has ended."""

    def close(self) -> None: ...


@runtime_checkable
class AudioSink(Protocol):
    """Where speech goes: a speaker or a WAV file."""

    def play(self, audio: SpeechAudio) -> None:
        """Play `audio`, blocking until it ends or `stop()` is called."""

    def stop(self) -> None:
        """Cut playback within 100 ms; safe to call from another thread."""

    def close(self) -> None: ...


@runtime_checkable
class Recognizer(Protocol):
    """A streaming speech recogniser with its own endpointing."""

    name: str

    def accept(self, pcm: bytes) -> bool:
        """Feed 16 kHz int16 mono PCM; True when an utterance has just ended (endpoint)."""

    def partial(self) -> str:
        """The words heard so far in the current utterance."""

    def result(self) -> Transcript:
        """Finish the current utterance (endpoint or not) and return its transcript; starts a new one."""

    def reset(self) -> None:
        """Drop everything heard so far (used while the assistant speaks)."""

    def set_trailing_silence(self, seconds: float) -> None:
        """How long a pause ends an utterance."""


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech audio; settings are attributes so the dialogue can change them."""

    rate: int
    volume: float

    def synthesize(self, text: str) -> SpeechAudio: ...
