"""What a recogniser hears, and the small interface every recogniser implements."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Word:
    """One recognised word with its times in seconds from the start of the utterance."""

    text: str
    start: float
    end: float
    confidence: float = 1.0


@dataclass(frozen=True)
class Alternative:
    """Another guess at the same utterance, with the recogniser's score (higher is likelier)."""

    text: str
    score: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance: the best guess first, then its alternatives."""

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 1.0
    engine: str = ""
    alternatives: tuple[Alternative, ...] = ()


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
