"""Answers the recogniser can hear: a second recogniser of the same engine listens for only the
commands (and, while a question waits, its answers), beside the open one: also after an answer and
over the assistant's speech.

Both decode the same audio as it comes, so nothing waits for a second pass at the endpoint. The
narrow one's words are taken only when they are exactly one of the expected phrases, each of its
words is at least MIN_PHRASE_POSTERIOR sure, and the open one heard no more than a word more (a
long description is never cut down to a command); anything else is open recognition's. The narrow recogniser stops after
MAX_PHRASE_SECONDS of an utterance, which no answer or command lasts. Changes of what is expected
take effect from the next utterance, never in the middle of one.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from voice.asr.recognizer import MAX_ALTERNATIVES, Adapts, Alternative, Recognizer, Transcript
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.errors import VoiceError

log = logging.getLogger(__name__)

MAX_PHRASE_SECONDS = 3.0  # pre-roll included; the longest command ("tell me more about that") takes under 2 s
MAX_PHRASE_BYTES = int(MAX_PHRASE_SECONDS * SAMPLE_RATE) * SAMPLE_WIDTH
MORE_WORDS = 1  # open recognition may hear this many more words than the phrase and it still counts
# The narrow recogniser's phrase is taken only when each of its words has at least this posterior.
# At a yes/no question (audio_tests/voice_sets/commands.py, 7 voices x 3 rates): short replies taken
# for commands 5 -> 2 of 210 (tune voices 2 -> 0), commands recognised on the tune voices 37 -> 35 of 90.
# Listening for the commands after an answer too, with this bound: commands on the tune voices 32 ->
# 36 of 90, short replies taken for commands 2 -> 3 of 210; extra CPU about 0.09 x real time.
MIN_PHRASE_POSTERIOR = 0.5


class Narrowable(Recognizer, Protocol):
    """A recogniser that can be told to listen for a few phrases only."""

    def restrict(self, phrases: Sequence[str] | None) -> None:
        """Listen for these phrases from the next utterance on; None: for anything again."""


@runtime_checkable
class ChecksGeneric(Protocol):
    """A recogniser that also hears each utterance with a generic language model, as a check."""

    def check_generic(self, wanted: bool) -> None:
        """Whether to, from the next utterance on."""


@runtime_checkable
class HearsAnswers(Protocol):
    """A recogniser that can be told what a question expects."""

    def expect(self, answers: Sequence[str]) -> None:
        """The answers the question offers (none: no question is waiting), from the next utterance on."""


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


class AnswerRecognizer:
    """An open recogniser and, while answers are expected, a narrow one beside it (see the module doc)."""

    def __init__(self, open_ears: Recognizer, narrow: Narrowable, commands: Sequence[str]) -> None:
        self.name = open_ears.name
        self.open = open_ears
        self.narrow = narrow
        self._commands = list(commands)
        self._expected: frozenset[str] = frozenset()  # from the next utterance on
        self._listening: frozenset[str] = frozenset()  # in the current utterance
        self._open = False
        self._narrow_bytes = 0  # fed to the narrow recogniser in this utterance
        self._failed = False  # a narrow model could not be made (said once)

    def expect(self, answers: Sequence[str]) -> None:
        """Listen for these answers (none: no question waits) and the commands from the next utterance
        on. A narrow model that cannot be made (an unwritable cache) leaves open recognition alone."""
        phrases = [*answers, *self._commands]
        try:
            self.narrow.restrict(phrases or None)
        except VoiceError as err:
            if not self._failed:
                log.warning("%s Listening for anything instead of the expected answers.", err)
            self._failed = True
            phrases = []
        self._expected = frozenset(normalised(p) for p in phrases if p.strip())
        if isinstance(self.open, ChecksGeneric):
            self.open.check_generic(not answers)

    def accept(self, pcm: bytes) -> None:
        if not self._open:
            self._open, self._listening, self._narrow_bytes = True, self._expected, 0
        self.open.accept(pcm)
        if self._listening and self._narrow_bytes <= MAX_PHRASE_BYTES:
            self.narrow.accept(pcm)
            self._narrow_bytes += len(pcm)

    def pad(self, pcm: bytes) -> None:
        """To each recogniser whose result will be read (see `Adapts`)."""
        for ears in (self.open, *((self.narrow,) if self._phrase_sized else ())):
            if isinstance(ears, Adapts):
                ears.pad(pcm)
            else:
                ears.accept(pcm)

    def resume(self, pcm: bytes) -> None:
        """The utterance just finished goes on, heard by the recognisers it went to, for the
        phrases it was listened for (see `Adapts`)."""
        self._open = True
        hearing = [(self.open, pcm)]
        if self._listening:
            self._narrow_bytes = len(pcm)
            if self._phrase_sized:
                hearing.append((self.narrow, pcm))
        for ears, heard in hearing:
            if isinstance(ears, Adapts):
                ears.resume(heard)
            else:
                ears.reset()
                ears.accept(heard)

    def partial(self) -> str:
        heard = self.open.partial()
        if self._listening and not self._fits(heard):
            phrase = self.narrow.partial()
            if self._fits(phrase):
                return phrase
        return heard

    def finish(self) -> Transcript:
        """Open recognition's transcript, or the narrow one's phrase where it is believed (module doc).

        An utterance longer than any phrase is not read from the narrow recogniser at all: its
        result would only be a cut-off guess, and reading it (a lattice and an N-best list) took
        about 45 ms of the decode at the pause, which the reply waits for."""
        heard = self.open.finish()
        if self._phrase_sized:
            phrase: Transcript | None = self.narrow.finish()
        else:
            phrase = None
            self.narrow.reset()
        self._open, self._narrow_bytes = False, 0
        if phrase is None or not self._fits(phrase.text) or not _sure(phrase):
            return heard
        if self._fits(heard.text) or len(heard.text.split()) > len(phrase.text.split()) + MORE_WORDS:
            return _with_alternative(heard, phrase.text)
        return _with_alternative(phrase, heard.text, heard.alternatives)

    def reset(self) -> None:
        self.open.reset()
        self.narrow.reset()
        self._open, self._narrow_bytes = False, 0

    @property
    def _phrase_sized(self) -> bool:
        """The narrow recogniser heard this utterance, and all of it (no phrase lasts longer)."""
        return 0 < self._narrow_bytes <= MAX_PHRASE_BYTES

    def _fits(self, text: str) -> bool:
        return normalised(text) in self._listening


def _sure(phrase: Transcript) -> bool:
    """Every word of the phrase is sure enough (a recogniser that gives no words: taken as said)."""
    return all(word.confidence >= MIN_PHRASE_POSTERIOR for word in phrase.words)


def _with_alternative(transcript: Transcript, other: str, more: Sequence[Alternative] = ()) -> Transcript:
    """The transcript with the other recogniser's text among its guesses (its score unknown here: 0)."""
    guesses = [Alternative(other), *more, *transcript.alternatives]
    seen = {transcript.text}
    kept = [g for g in guesses if g.text and not (g.text in seen or seen.add(g.text))]
    return Transcript(transcript.text, transcript.words, transcript.confidence, transcript.engine,
                      tuple(kept[:MAX_ALTERNATIVES]))
