"""The audio format inside the pipeline, and the interfaces of everything that reads or plays it.

Audio between stages is always 16 kHz, mono, signed 16-bit little-endian PCM bytes, so
engines never negotiate formats with each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2


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
