"""Turn an audio source and a recogniser into utterances, or read typed lines instead.

Timeouts are counted in audio time (frames read), so a recording in file mode behaves exactly
like the same speech at a microphone, and tests need no clock.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Protocol

from voice.asr.recognizer import Recognizer, Transcript
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, AudioSource
from voice.conversation.events import Expect, Heard, Listen, NoInput

BLOCK_SECONDS = 0.1
# The pause that ends a turn, by what the dialogue expects: a one-word answer needs no long wait,
# a description a little longer (the mid-sentence rule below adds more).
_SILENCE = {Expect.YES_NO: 0.35, Expect.CHOICE: 0.35, Expect.ANYTHING: 0.5, Expect.DESCRIPTION: 0.6}
MID_SENTENCE_SILENCE = 0.9  # "my knee hurts and ..." - a pause after these words is thinking, not the end
_CONTINUES = frozenset("and or but with my the a an of in on to into when because so then also like "
                       "it its is was i im ive have has down up behind below above around".split())
ECHO_GUARD_SECONDS = 0.3  # audio heard this long after the assistant stops speaking is its own echo
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class EndOfInput:
    """The recording or the typed input has ended."""


@dataclass(frozen=True)
class Utterance:
    """One heard utterance: the transcript and its audio (kept only so `--log` can save it)."""

    transcript: Transcript
    pcm: bytes


Poll = Callable[[float], bool]  # called with seconds listened so far; True abandons the listen


class Input(Protocol):
    """Where the person's words come from: speech or typing."""

    def listen(self, listen: Listen, poll: Poll) -> Heard | NoInput | EndOfInput | None:
        """The next utterance, NoInput after `listen.timeout`, EndOfInput, or None when `poll` said stop."""

    def after_speech(self, spoken_seconds: float) -> None:
        """Forget what was captured while the assistant spoke (half duplex)."""


class SpokenInput:
    """Utterances from an audio source, with the recogniser's own endpointing."""

    def __init__(self, source: AudioSource, recognizer: Recognizer, live: bool,
                 on_utterance: Callable[[Utterance], None] | None = None):
        self.source = source
        self.recognizer = recognizer
        self.live = live
        self._on_utterance = on_utterance
        self._block = int(SAMPLE_RATE * BLOCK_SECONDS)

    def listen(self, listen: Listen, poll: Poll) -> Heard | NoInput | EndOfInput | None:
        base = _SILENCE[listen.expect]
        silence = base
        self.recognizer.set_trailing_silence(silence)
        heard = bytearray()
        listened = 0.0
        next_poll = POLL_SECONDS
        while True:
            pcm = self.source.read(self._block)
            if not pcm:
                transcript = self.recognizer.result()
                return self._heard(transcript, heard) if transcript.text else EndOfInput()
            heard += pcm
            listened += len(pcm) / (SAMPLE_WIDTH * SAMPLE_RATE)
            if self.recognizer.accept(pcm):
                transcript = self.recognizer.result()
                if transcript.text:
                    return self._heard(transcript, heard)
                heard.clear()
            partial = self.recognizer.partial()
            speaking = bool(partial)
            wanted = _pause_for(partial, base)
            if wanted != silence:
                silence = wanted
                self.recognizer.set_trailing_silence(silence)
            if not speaking and listened >= listen.timeout:
                self.recognizer.reset()
                return NoInput()
            if listened >= next_poll:
                next_poll += POLL_SECONDS
                if not speaking and poll(listened):
                    self.recognizer.reset()
                    return None

    def _heard(self, transcript: Transcript, pcm: bytearray) -> Heard:
        if self._on_utterance:
            self._on_utterance(Utterance(transcript, bytes(pcm)))
        return Heard(transcript.text, transcript.confidence, transcript.alternatives)

    def after_speech(self, spoken_seconds: float) -> None:
        """Drop audio captured while speaking and just after; a recording has none to drop."""
        if self.live:
            frames = int(SAMPLE_RATE * (spoken_seconds + ECHO_GUARD_SECONDS))
            while frames > 0 and self.source.read(min(frames, self._block)):
                frames -= self._block
        self.recognizer.reset()


def _pause_for(partial: str, trailing_silence: float) -> float:
    """The pause that ends this utterance: longer while the words so far end mid-sentence."""
    words = partial.split()
    if words and words[-1] in _CONTINUES:
        return max(trailing_silence, MID_SENTENCE_SILENCE)
    return trailing_silence


class TypedInput:
    """Lines typed on a keyboard; each line is one utterance, heard with full confidence."""

    def __init__(self, stream: IO[str], prompt: Callable[[], None] | None = None):
        self._stream = stream
        self._prompt = prompt

    def listen(self, listen: Listen, poll: Poll) -> Heard | EndOfInput:
        if self._prompt:
            self._prompt()
        line = self._stream.readline()
        if not line:
            return EndOfInput()
        return Heard(line.strip(), 1.0, typed=True)

    def after_speech(self, spoken_seconds: float) -> None:
        """Typing cannot hear the assistant."""
