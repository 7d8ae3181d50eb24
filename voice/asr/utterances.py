"""Audio in, utterances out: the endpointer decides where each one starts and ends, the recogniser decodes it.

Every caller that turns a stream into utterances (the assistant's input, `transcribe`, the
bench) goes through here, so they all cut speech exactly alike whatever the engine.

For replies without delay: `PauseStarted` carries the words heard so far as soon as a pause
begins (0.15 s of silence), before the endpoint fires (at least 0.35 s with the default setting).
Work begun on them (matching, synthesising a first sentence) is ready when `UtteranceEnded`
brings the same words, and is to be dropped on `SpeechResumed`. With `decode_at_pause` the final
decode itself is done then: PocketSphinx's took 0.06 to 0.3 s after the endpoint (0.5 s on a
busy machine), the largest part of the wait for a reply after the pause; when speech resumes,
the utterance so far is decoded again from its start.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from voice.asr.endpointing import MAX_UTTERANCE_SECONDS, PAUSE_SECONDS, Endpointer, Event, TurnPolicy
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.asr.recognizer import Adapts, Recognizer, Transcript


PAUSE_BYTES = int(PAUSE_SECONDS * SAMPLE_RATE) * SAMPLE_WIDTH
EARLY_PADDING = 1  # times the pause's background is fed again before an early decode


@dataclass(frozen=True)
class SpeechStarted:
    """Someone started speaking."""


@dataclass(frozen=True)
class PauseStarted:
    """A pause began; `words` (the recogniser's partial result) may be the whole turn."""

    words: str


@dataclass(frozen=True)
class SpeechResumed:
    """The pause was only a pause: what was begun on the paused words is stale."""


@dataclass(frozen=True)
class UtteranceEnded:
    """The endpoint: the transcript (empty when the sound was not words) and the utterance's audio.

    `gap`: seconds of audio from the end of the utterance before to this one's start (None when
    none ended since the stream was reset).
    """

    transcript: Transcript
    pcm: bytes
    gap: float | None = None


TurnEvent = SpeechStarted | PauseStarted | SpeechResumed | UtteranceEnded


class UtteranceStream:
    """One recogniser behind one endpointer; `policy` may change between (or during) utterances.

    `on_endpoint` is called the moment the endpointer ends a turn, before the final decode.
    """

    def __init__(self, recognizer: Recognizer, policy: TurnPolicy | None = None,
                 max_utterance: float = MAX_UTTERANCE_SECONDS, on_endpoint: Callable[[], None] | None = None,
                 decode_at_pause: bool = False) -> None:
        self.recognizer = recognizer
        self.endpointer = Endpointer(policy, max_utterance)
        self._on_endpoint = on_endpoint
        self._decode_at_pause = decode_at_pause
        self._audio = bytearray()
        self._early: Transcript | None = None  # decoded at the pause, until speech resumes
        self._paused = False  # a pause was announced and speech has not resumed

    @property
    def policy(self) -> TurnPolicy:
        return self.endpointer.policy

    @policy.setter
    def policy(self, policy: TurnPolicy) -> None:
        self.endpointer.policy = policy

    @property
    def in_utterance(self) -> bool:
        """True from the start of speech to its endpoint."""
        return self.endpointer.in_utterance

    def feed(self, pcm: bytes) -> list[TurnEvent]:
        """Decode `pcm` (16 kHz int16 mono); what happened in it, in order (several utterances may end).

        An announced pause is decoded at the end of `pcm`, or sooner when the endpointer needs its
        words to decide: a pause that speech ends within the same audio is then seldom worth one.
        A listener that fell behind hands over all it holds at once, and the pauses between its
        words then cost little: live, each 0.15 s gap inside a description cost a decode of
        everything so far and another when speech resumed (0.4 to 1.4 s of CPU on a two-core
        machine), and the backlog this built delayed the reply by 1 to 2 s in 4 of 13 runs.
        """
        events: list[TurnEvent] = []
        for step in self.endpointer.feed(pcm, self._readings):
            if step.audio:
                self._audio += step.audio
                if self._early is None:
                    self.recognizer.accept(step.audio)
            if step.event == Event.STARTED:
                events.append(SpeechStarted())
            elif step.event == Event.PAUSED:
                events.append(PauseStarted(self.recognizer.partial()))
                self._paused = True
            elif step.event == Event.RESUMED:
                self._paused = False
                if self._early is not None:  # the pause was not the end: decode it all again
                    self._early = None
                    self._resume()
                events.append(SpeechResumed())
            elif step.event == Event.ENDED:
                if self._on_endpoint:
                    self._on_endpoint()
                events.append(self._finish(self.endpointer.gap))
        self._decode_if_paused()
        return events

    def flush(self) -> UtteranceEnded | None:
        """The input has ended: finish the utterance in progress, if any."""
        if not self.endpointer.in_utterance:
            return None
        gap = self.endpointer.gap
        self.endpointer.reset()
        return self._finish(gap)

    def reset(self) -> None:
        """Drop the utterance in progress and all held-back audio (while the assistant speaks)."""
        self.endpointer.reset()
        self.recognizer.reset()
        self._audio = bytearray()
        self._early = None
        self._paused = False

    def _decode_early(self) -> Transcript:
        """The transcript at the pause, decoded as if the pause had gone on to the endpoint: the
        pause's own background is fed again, because the last word scores worse without silence
        after it (37 spoken fixtures: word error 0.325 without). Once, not twice: 50 ms less CPU at
        the pause offline (median), 60 to 130 ms at the bench's real-time pace, where the decode
        decides when the reply comes (the bench's turn runner, end of speech to first reply
        0.58-0.62 -> 0.44-0.49 s median), for word error 0.315 -> 0.323 on the fixtures and
        0.623 -> 0.619 on the 132 real recordings. The padding is not the person's audio, so a
        recogniser that adapts to what it hears is told (`Adapts`): live, "repeat that" reached
        PocketSphinx's second refit only with it."""
        background = bytes(self._audio[-PAUSE_BYTES:])
        pad = self.recognizer.pad if isinstance(self.recognizer, Adapts) else self.recognizer.accept
        for _ in range(EARLY_PADDING):
            pad(background)
        return self.recognizer.finish()

    def _resume(self) -> None:
        """Hand the recogniser the utterance so far again; one that adapts keeps what it fitted (`Adapts`)."""
        if isinstance(self.recognizer, Adapts):
            self.recognizer.resume(bytes(self._audio))
        else:
            self.recognizer.accept(bytes(self._audio))

    def _decode_if_paused(self) -> None:
        if self._paused and self._decode_at_pause and self._early is None:
            self._early = self._decode_early()

    def _readings(self) -> tuple[str, ...]:
        """The words so far, for the turn policy: once a pause is announced, decoded (at once, if the
        audio fed goes on past it) and with the recogniser's other guesses after them. A listener that
        fell behind feeds half a second at once: the turn could end inside it on the running guess,
        before the decode whose other guesses hold a turn that stops mid-phrase."""
        self._decode_if_paused()
        if self._early is None:
            return (self.recognizer.partial(),)
        return (self._early.text, *(a.text for a in self._early.alternatives if not a.generic))

    def _finish(self, gap: float | None) -> UtteranceEnded:
        transcript, self._early, self._paused = self._early, None, False
        ended = UtteranceEnded(transcript if transcript is not None else self.recognizer.finish(), bytes(self._audio),
                               gap)
        self._audio = bytearray()
        return ended
