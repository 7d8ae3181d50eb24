"""Turn an audio source and a recogniser into the person's turns (typed lines: `keyboard`).

Timeouts are counted in audio time (frames read), so a recording in file mode behaves exactly
like the same speech at a microphone, and tests need no clock.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from knowledge.text import words as canonical_words
from voice.asr.answers import HearsAnswers
from voice.asr.endpointing import COMPLETE_FACTOR, TurnPolicy
from voice.asr.recognizer import Recognizer, Transcript
from voice.asr.utterances import TurnEvent, UtteranceEnded, UtteranceStream
from voice.audio.echo_cancel import ResidualEchoGate
from voice.audio.format import AudioSource, SAMPLE_RATE, SAMPLE_WIDTH
from voice.audio.noise_floor import NoiseFloor
from voice.conversation.commands import SHORT_REQUEST_WORDS, find_command
from voice.conversation.events import Expect, Heard, Listen, NoInput
from voice.session.observer import SessionObserver, Unobserved

# Audio is taken from the microphone this much at a time (one endpointer frame): the endpoint can
# fire only once a block is in, so 0.1 s blocks added 0 to 0.1 s to every reply. Live scenario, end of
# the person's speech to the first reply sample: median 0.51 -> 0.45 s (21 replies each, 0.03 s blocks
# with the microphone's at 0.02 s).
BLOCK_SECONDS = 0.03
# A listener that fell behind the microphone (decoding runs near real time on a two-core machine)
# takes up to this much of what is waiting at once: pauses inside it cost no early decode.
CATCH_UP_SECONDS = 0.5
ECHO_GUARD_SECONDS = 0.3  # audio heard this long after the assistant stops speaking is its own echo
POLL_SECONDS = 0.5
# Speech over the reply that began this soon after the turn it answers ended goes on with that turn:
# the person had paused mid-sentence (the bench's pauses run to 1.2 s after an endpoint of 0.35 s
# and more), not heard the reply, which had played at most about a second.
CONTINUE_SECONDS = 1.5
UNSURE_CUT = 0.3  # the confidence of words that cut the speech but that the final decode dropped
# A yes/no or a choice is a short answer: any words end the turn after the shorter pause.
_SHORT_ANSWERS = frozenset({Expect.YES_NO, Expect.CHOICE})


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


def turn_policy(silence: float, expect: Expect, complete: Callable[[str], bool] | None = None) -> TurnPolicy:
    """When a pause ends the person's turn: the `silence` setting, shaped by what the dialogue expects."""
    return TurnPolicy(silence, short_answer=expect in _SHORT_ANSWERS, complete=complete)


@dataclass(frozen=True)
class OverSpeech(TurnPolicy):
    """Over the assistant's speech people say short things ("stop", "repeat that", "tell me more"),
    and a misheard "stop" is often a word that would hold the turn open ("a", "and"): up to
    SHORT_REQUEST_WORDS words the short pause ends the turn whatever the last word, so the next thing
    they say is a turn of its own. More words are a description begun over the answer (or as it
    ended), and pause as descriptions do: it used to be cut off at its first pause after "and"."""

    def pause_after(self, words: str, others: Sequence[str] = (), fell: bool = False) -> float:
        if len(canonical_words(words)) <= SHORT_REQUEST_WORDS:
            return self.silence * COMPLETE_FACTOR
        return super().pause_after(words, others, fell)


class SpokenInput:
    """Utterances from an audio source, cut by the one endpointer and decoded by the recogniser.

    `silence` is the setting of that name; `complete` tells whether words already make a whole
    turn (they then end after a shorter pause); `on_event` sees every `TurnEvent` as it happens,
    so work can start on the words of a pause before the endpoint.

    `echo_cancelled()` says whether the source is an echo-cancelled microphone (it can change,
    when the canceller is lost or comes back): then the person is heard while the assistant
    speaks. Otherwise what the microphone caught until just after the assistant fell silent is
    skipped, by capture time, so nothing said afterwards is lost however long it spoke.
    """

    def __init__(self, source: AudioSource | LiveSource, recognizer: Recognizer, live: bool, silence: float = 0.5,
                 complete: Callable[[str], bool] | None = None,
                 on_utterance: Callable[[Utterance], None] | None = None,
                 on_event: Callable[[TurnEvent], None] | None = None,
                 echo_cancelled: Callable[[], bool] = lambda: False, observer: SessionObserver | None = None):
        self.source = source
        self.recognizer = recognizer
        self.live = live
        self.silence = silence
        self._complete = complete
        self._observer = observer or Unobserved()
        self._stream = UtteranceStream(recognizer, on_endpoint=self._observer.endpoint, decode_at_pause=True)
        self._on_utterance = on_utterance
        self._on_event = on_event
        self._echo_cancelled = echo_cancelled
        self._block = int(SAMPLE_RATE * BLOCK_SECONDS)
        self._read_seconds = BLOCK_SECONDS  # of audio taken by the last read
        self._events: list[TurnEvent] = []  # heard after the utterance the last listen returned
        self._gate = ResidualEchoGate()
        self._floor = NoiseFloor()
        self._gap: float | None = None  # before the last utterance heard: see `UtteranceEnded.gap`

    @property
    def duplex(self) -> bool:
        return self.live and self._echo_cancelled()

    def listen(self, listen: Listen, poll: Poll) -> Heard | NoInput | EndOfInput | None:
        self._stream.policy = turn_policy(self.silence, listen.expect, self._complete)
        self._expect(listen.answers)
        listened = 0.0
        next_poll = POLL_SECONDS
        while True:
            heard = self._next()
            if heard is not None:
                return heard
            listened += self._read_seconds
            if self._stream.in_utterance:
                continue
            if listened >= listen.timeout:
                self._forget()
                return NoInput()
            if listened >= next_poll:
                next_poll += POLL_SECONDS
                if poll(listened):
                    self._forget()
                    return None

    def listen_during(self, playing: Callable[[], bool], on_speech: Callable[[], None]) -> Heard | EndOfInput | None:
        """The person's words while the assistant speaks; None when it finished with nobody speaking.

        `on_speech` is called as soon as the recogniser has words for what it hears (a sound with
        no words, such as what is left of its own voice, never cuts it). Words that cut the
        speech are the person's turn even when the final decode of a short, garbled word keeps
        none of them (seen for "stop" said over the answer in about 1 run of 4): then the words
        it cut on are heard, unsure. Words that only the final decode found cut it too, before they
        are handled (they used to be handled only after the answer had played to its end), and so
        does a voice far louder than the canceller's residual in which no words were made out: the
        canceller can leave a "stop" that the recogniser makes nothing of (live, 1 run in 7 played
        the answer to its end). The
        endpointer and recogniser are not reset at the end, so speech that starts as the assistant
        falls silent carries on into the next `listen` whole. Words begun within CONTINUE_SECONDS
        of the end of the turn this speech answers are marked as going on with that turn, unless
        they are a command.
        """
        self._stream.policy = OverSpeech(self.silence, complete=self._complete)
        self._expect(())
        cut_on = ""
        while True:
            heard = self._next(speaking=playing())
            if heard is not None:
                if not cut_on and isinstance(heard, Heard):  # words only at the final decode still cut
                    on_speech()
                if isinstance(heard, Heard) and self._goes_on(heard):
                    return replace(heard, continues=True)
                return heard
            if not cut_on and self._stream.in_utterance and (words := self.recognizer.partial()):
                cut_on = words
                on_speech()
            if not self._stream.in_utterance and not playing():
                return Heard(cut_on, UNSURE_CUT) if cut_on else None

    def _goes_on(self, heard: Heard) -> bool:
        """Words begun so soon after the last turn ended that they go on with it; a command never does."""
        return bool(heard.text) and self._gap is not None and self._gap <= CONTINUE_SECONDS and \
            find_command(heard.text) is None

    def _expect(self, answers: tuple[str, ...]) -> None:
        """Tell the recogniser which answers the question offers, when it can listen for them."""
        if isinstance(self.recognizer, HearsAnswers):
            self.recognizer.expect(answers)

    def _next(self, speaking: bool = False) -> Heard | EndOfInput | None:
        """Feed one block through the endpointer: an utterance when one ended, EndOfInput, or None."""
        heard = self._pending_heard(speaking)
        if heard is not None:
            return heard
        pcm = self.source.read(self._frames_to_read())
        self._read_seconds = max(BLOCK_SECONDS, len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH))
        if not pcm:
            ended = self._stream.flush()
            return self._utterance(ended) if ended and ended.transcript.text else EndOfInput()
        if self.duplex:
            pcm = self._gate.process(pcm, speaking)
        if self.live:
            pcm = self._floor.fill(pcm)
        if pcm:
            self._events += self._stream.feed(pcm)
        return self._pending_heard(speaking)

    def _frames_to_read(self) -> int:
        """One block, or all that waits (up to CATCH_UP_SECONDS) when the microphone says it holds more."""
        queued = getattr(self.source, "queued_frames", None)
        waiting = queued() if callable(queued) else 0
        return max(self._block, min(waiting, int(SAMPLE_RATE * CATCH_UP_SECONDS)))

    def _pending_heard(self, speaking: bool = False) -> Heard | None:
        """The first utterance with words among the events not yet handled; while the assistant
        speaks, also one with no words whose voice is far louder than what the canceller leaves of
        the assistant's own (heard as nothing: it still cuts the speech)."""
        while self._events:
            event = self._events.pop(0)
            if self._on_event:
                self._on_event(event)
            if isinstance(event, UtteranceEnded):
                if event.transcript.text:
                    return self._utterance(event)
                if speaking and self._gate.far_above_residual(event.pcm):
                    return Heard("", 0.0)
        return None

    def _utterance(self, ended: UtteranceEnded) -> Heard:
        self._observer.heard()
        self._gap = ended.gap
        if self._on_utterance:
            self._on_utterance(Utterance(ended.transcript, ended.pcm))
        transcript = ended.transcript
        return Heard(transcript.text, transcript.confidence, transcript.alternatives)

    def _forget(self) -> None:
        self._events.clear()
        self._stream.reset()

    def after_speech(self, ended_at: float) -> None:
        """Half duplex: skip the microphone's audio until just after the assistant fell silent.

        With an echo canceller nothing is skipped (the person may already be speaking), and a
        recording has no echo to skip.
        """
        if not self.live or self.duplex:
            return
        self.source.ignore_before(ended_at + ECHO_GUARD_SECONDS)
        self._forget()
