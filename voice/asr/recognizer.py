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


MAX_ALTERNATIVES = 8  # PocketSphinx's top 8 held the right words in every checked mishearing


@dataclass(frozen=True)
class Alternative:
    """Another guess at the same utterance, with the recogniser's score (higher is likelier).

    Scores are natural-log likelihoods against the engine's likeliest guess: 0 is as likely,
    -1 about a third as likely. Engines score differently; compare scores within one transcript.
    `generic`: heard with a generic language model rather than the domain one, as a check on what
    the domain model bends toward its own words (scores of the two do not compare).
    """

    text: str
    score: float = 0.0
    generic: bool = False


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance: the best guess, then up to MAX_ALTERNATIVES others.

    Those others never repeat `text`; beside them may come one `generic` guess, which may.
    Each word's `confidence` is its posterior probability.
    """

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 1.0
    engine: str = ""
    alternatives: tuple[Alternative, ...] = ()


@runtime_checkable
class Recognizer(Protocol):
    """A streaming speech recogniser. It decodes; the endpointer (endpointing.py) decides where utterances end."""

    name: str

    def accept(self, pcm: bytes) -> None:
        """Decode more 16 kHz int16 mono PCM of the current utterance (the first call starts one)."""

    def partial(self) -> str:
        """The words heard so far in the current utterance."""

    def finish(self) -> Transcript:
        """End the current utterance and return its transcript (empty when none was started)."""

    def reset(self) -> None:
        """Drop the current utterance unheard."""


@runtime_checkable
class Adapts(Protocol):
    """A recogniser that adapts to what it hears (PocketSphinx refits its cepstral mean as the
    utterance grows), told apart audio that is not the person's, and told when an utterance it
    finished early (at a pause) goes on, so what it fitted to that audio is kept."""

    def pad(self, pcm: bytes) -> None:
        """Decode `pcm` after the utterance so far, only so its last word is scored with silence after
        it: nothing is adapted to it."""

    def resume(self, pcm: bytes) -> None:
        """The utterance just finished goes on: decode all of it so far (`pcm`) again as one, with
        what was fitted to it, and take more with `accept`."""
