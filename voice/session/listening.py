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
from voice.session.observer import SessionObserver, Unobserved
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

    @property
    def duplex(self) -> bool:
        """True when it can listen while the assistant speaks (an echo-cancelled microphone)."""

    def listen(self, listen: Listen, poll: Poll) -> Heard | NoInput | EndOfInput | None:
        """The next utterance, NoInput after `listen.timeout`, EndOfInput, or None when `poll` said stop."""

    def listen_during(self, playing: Callable[[], bool], on_speech: Callable[[], None]) -> Heard | EndOfInput | None:
        """While `playing()`: the person's utterance (`on_speech` is called as soon as they start), or None."""

    def after_speech(self, ended_at: float) -> None:
        """The assistant fell silent at `ended_at` (`time.monotonic()`): forget its echo (half duplex)."""


class LiveSource(AudioSource, Protocol):
    """A microphone: its audio can be skipped by capture time."""

    def ignore_before(self, moment: float) -> None: ...


class SpokenInput:
    """Utterances from an audio source, with the recogniser's own endpointing.

    `echo_cancelled()` says whether the source is an echo-cancelled microphone (it can change,
    when the canceller is lost or comes back): then the person is heard while the assistant
    speaks. Otherwise what the microphone caught until just after the assistant fell silent is
    skipped, by capture time, so nothing said afterwards is lost however long it spoke.
    """

    def __init__(self, source: AudioSource | LiveSource, recognizer: Recognizer, live: bool,
                 on_utterance: Callable[[Utterance], None] | None = None,
                 echo_cancelled: Callable[[], bool] = lambda: False, observer: SessionObserver | None = None):
        self.source = source
        self.recognizer = recognizer
        self.live = live
        self._on_utterance = on_utterance
        self._echo_cancelled = echo_cancelled
        self._observer = observer or Unobserved()
        self._block = int(SAMPLE_RATE * BLOCK_SECONDS)
        self._heard = bytearray()

    @property
    def duplex(self) -> bool:
        return self.live and self._echo_cancelled()

    def listen(self, listen: Listen, poll: Poll) -> Heard | NoInput | EndOfInput | None:
        base = _SILENCE[listen.expect]
        silence = base
        self.recognizer.set_trailing_silence(silence)
        listened = 0.0
        next_poll = POLL_SECONDS
        while True:
            heard = self._next()
            if heard is not None:
                return heard
            listened += BLOCK_SECONDS
            partial = self.recognizer.partial()
            speaking = bool(partial)
            wanted = _pause_for(partial, base)
            if wanted != silence:
                silence = wanted
                self.recognizer.set_trailing_silence(silence)
            if not speaking and listened >= listen.timeout:
                self._forget()
                return NoInput()
            if listened >= next_poll:
                next_poll += POLL_SECONDS
                if not speaking and poll(listened):
                    self._forget()
                    return None

    def listen_during(self, playing: Callable[[], bool], on_speech: Callable[[], None]) -> Heard | EndOfInput | None:
        """The person's words while the assistant speaks; None when it finished with nobody speaking.

        The recogniser is not reset at the end, so speech that starts as the assistant falls
        silent carries on into the next `listen` whole.
        """
        self.recognizer.set_trailing_silence(_SILENCE[Expect.ANYTHING])
        started = False
        while True:
            heard = self._next()
            if heard is not None:
                return heard
            partial = self.recognizer.partial()
            if partial and not started:
                started = True
                on_speech()
            if started:
                self.recognizer.set_trailing_silence(_pause_for(partial, _SILENCE[Expect.ANYTHING]))
            elif not playing():
                return None

    def _next(self) -> Heard | EndOfInput | None:
        """Feed one block to the recogniser: an utterance when one ended, EndOfInput, or None."""
        pcm = self.source.read(self._block)
        if not pcm:
            transcript = self.recognizer.result()
            return self._utterance(transcript) if transcript.text else EndOfInput()
        self._heard += pcm
        if self.recognizer.accept(pcm):
            self._observer.endpoint()
            transcript = self.recognizer.result()
            if transcript.text:
                return self._utterance(transcript)
            self._heard.clear()
        return None

    def _utterance(self, transcript: Transcript) -> Heard:
        self._observer.heard()
        if self._on_utterance:
            self._on_utterance(Utterance(transcript, bytes(self._heard)))
        self._heard.clear()
        return Heard(transcript.text, transcript.confidence, transcript.alternatives)

    def _forget(self) -> None:
        self.recognizer.reset()
        self._heard.clear()

    def after_speech(self, ended_at: float) -> None:
        """Half duplex: skip the microphone's audio until just after the assistant fell silent.

        With an echo canceller nothing is skipped (the person may already be speaking), and a
        recording has no echo to skip.
        """
        if not self.live or self.duplex:
            return
        self.source.ignore_before(ended_at + ECHO_GUARD_SECONDS)
        self._forget()


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

    duplex = False

    def listen_during(self, playing: Callable[[], bool], on_speech: Callable[[], None]) -> None:
        """Typing is never done while the assistant speaks."""
        return None

    def after_speech(self, ended_at: float) -> None:
        """Typing cannot hear the assistant."""
