"""The one endpointer every recogniser sits behind: where speech starts, and when a pause ends the turn.

Speech is found frame by frame (30 ms) by PocketSphinx's WebRTC-style `Vad`, gated by loudness:
a frame counts as voice only when it is also some dB above an adaptive noise floor. Without the
gate, steady noise at 10 dB SNR looks like speech to the VAD forever, so an utterance only ended
at the maximum length. An utterance starts when most of a short window is voice (as PocketSphinx's
own `Endpointer` would decide), and the recogniser is handed a pre-roll from before that start.

The turn ends after a pause whose length the `TurnPolicy` sets from the `silence` setting and
the words heard so far: longest after a word that continues a phrase ("my knee hurts and ..."),
shortest when the words already make a complete answer, and a little longer than the setting when
they are neither. Pauses are timed from the last run of
voiced frames, so a pause never ends an utterance whose speech has resumed. The endpointer says
when a pause may soon end the turn and when speech resumes, so work can begin on the words so far
before the endpoint fires (see `Event.PAUSED`).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from pocketsphinx import Vad

from knowledge.text import words as canonical_words
from voice.asr import intonation
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.audio.noise_floor import NOISE_DBFS

START_WINDOW = 0.3  # seconds of audio judged together when deciding that speech has started
START_RATIO = 0.5  # share of voiced frames in it that starts an utterance (noisy speech has gaps)
VAD_MODE = Vad.MEDIUM_STRICT
# A voiced frame must be this much louder than the noise floor: speech at 10 dB SNR has vowels
# well above it.
GATE_DB = 6.0
# The noise floor is the quietest frame of the last FLOOR_SECONDS (minimum statistics): it follows
# a quieter room at once and a louder one within that time, and continuous speech has pauses
# between words and phrases down to the room's noise well within it. It used to follow any quieter
# frame at once and creep up 2 dB a second: behind a webrtc canceller in a lobby (pink noise 10 dB
# under the voice), its noise suppression left a second of quieter output as the assistant stopped,
# the floor sank 15 dB under the lobby's noise, and that noise (which the VAD takes for speech) held
# each utterance open until the floor had climbed back: "repeat that" said 1 s after "stop" was
# answered 5 to 12 s late in 6 of 7 live runs.
FLOOR_SECONDS = 1.5
# Frames quieter than this count as this loud: exact silence (the residual-echo gate's while the
# assistant speaks, with the faint floor NOISE_DBFS put under it, or a noise-gated microphone's) is
# no room's sound, and a floor set by it finds the room again within FLOOR_SECONDS.
SILENT_DBFS = NOISE_DBFS + 10.0
# Consecutive voiced frames that count as speech resuming (one is often a noise click).
VOICED_RUN = 2
# Audio kept while nobody speaks, so an utterance starts with the speech the VAD needed to see.
HISTORY_SECONDS = 1.0
# Background audio handed over before the VAD's speech start: acoustic models want silence
# before the first phone, and the VAD's start is often a few ms into the first word
# (PocketSphinx: first words right 0.61 -> 0.65+ of the fixtures).
PRE_ROLL_SECONDS = 0.3
# Silence after which a pause has started: longer than most gaps between words in one phrase.
PAUSE_SECONDS = 0.15
# A pause is announced (`Event.PAUSED`: decode the words so far) this long before it would end the
# turn, or at once when the voice fell as at a sentence's end. The early decode that an announced
# pause starts takes about 0.2 s (median; 0.34 s at p95) and another as long to undo when speech
# resumes; announced at every 0.15 s gap, the gaps inside speech in 10 dB noise (which fell in none
# of 42 mid-sentence pauses) cost so much that the decode fell over a second behind the speech.
# A pause after no words yet is not announced: there is nothing to prepare a reply on, and a gap
# inside a first word in noise ("repeat", 10 dB) cost a decode and a resume of 0.6 s.
DECODE_LEAD = 0.25
MAX_UTTERANCE_SECONDS = 20.0

# Words after which a pause is thinking, not the end: "my knee hurts and ...", "it is in my ...".
# Compared with the one normaliser's words, so "I'm", "im" and "i am" all end in "am". Words that
# often end a sentence ("move it", "stand up", "goes down", "i think so") are not among them, nor
# the one-sound words a recogniser makes of a breath or a click after the last word ("a", "i",
# "an", "in", "on": "speak slower" was held open as "speak islam a" and ran into the next turn).
# Prepositions that need what follows ("pain below ... the kneecap") continue one too; not "down",
# "up", "over" or "out", which end phrasal verbs ("it goes down", "it gives out"). The bench's
# "pain below the ..." was heard "pain the limp", with "pain below" among the other guesses: cut-offs
# at the real-time pace 2 -> 1 of 42 (two runs), the 37 whole descriptions' endpoints unchanged.
PREPOSITIONS = frozenset("below above behind under beneath between towards toward against".split())
CONTINUES = frozenset(
    "and or but with my your the of to into from when because am is are was were have has".split()
) | PREPOSITIONS
# Of those, the ones a sentence can end on ("that is what it is") or that the recogniser makes of a
# last word ("my thigh is" for "my thigh aches", at the end of a whole description): a voice that
# fell as at a sentence's end (`intonation`) ends the turn after them, as after a whole answer, and
# so does an answer to a yes/no or a choice, which often ends on one ("yes i am", "yes it is"; live,
# "not sure" to a yes/no, heard "not are", waited 1.75 s).
# A preposition alone is an answer to "where in the knee?" ("below", "behind").
WEAK_CONTINUES = frozenset("am is are was were have has".split()) | PREPOSITIONS
# Multiples of the `silence` setting: after a continuing word, and after a complete answer.
# Mid-phrase, 0.5 s -> 1.75 s: the bench's pauses of 1.0 and 1.2 s after "and", "my" or "the" were
# all cut off at 0.9 s; at 1.5 s, one 1.2 s pause in 10 dB white noise still was, as the gate had
# not counted the quiet "and" before it as voice (cut-offs 2 -> 1 of 42 at 1.75 s; the three of
# 37 whole descriptions held as unfinished wait 0.25 s longer).
MID_PHRASE_FACTOR = 3.5
# Sounds of someone thinking: a turn that ends in one is not over ("my feet gave way um ...").
HESITATIONS = frozenset("um uh er erm".split())
# The recogniser's other guesses at words that are not yet a whole turn (its N-best list, at the
# pause's early decode) are checked for a continuing word too: a quiet "and" before a pause is
# often heard as another short word ("my knee to run" for "my knee and", with "my knee to and"
# third). On the bench's fixtures, offline: mid-sentence cut-offs 7 -> 3 of 42, one of 37 whole
# descriptions waited longer. Checking them after a complete description too left 2 cut-offs but
# held 6 of the 37 descriptions for 1.5 s.
OTHERS_CHECKED = 9
COMPLETE_FACTOR = 0.7  # 0.5 s -> 0.35 s: a whole answer needs no long wait
# Words that are not yet a whole turn, with no continuing word and a voice that did not fall: 0.5 s ->
# 0.75 s. A continuing word misheard ("... that goes down my" heard "... knee off schools don't") left
# nothing to hold a 0.6 s pause by. On the bench, cut-offs 1 -> 0 of 42 in two runs; end of speech to
# reply 0.425 / 0.589 s -> 0.406 / 0.572 s (median / p95, one run each): most whole descriptions end
# after the shorter pause anyway, and 2 of 37 fixtures ("what can i say" misheard, a stray "yes")
# waited 0.2 s longer.
UNFINISHED_FACTOR = 1.5


@dataclass(frozen=True)
class TurnPolicy:
    """How long a pause ends the turn, from the `silence` setting and what the words so far are.

    `short_answer`: a yes/no or a choice is expected, so any words count as complete.
    `complete`: says whether the words so far already make a whole turn (a description that
    names where and what, a command); None treats no words as complete, and
    words neither whole nor mid-phrase wait the setting itself (UNFINISHED_FACTOR needs the judge).
    """

    silence: float = 0.5
    short_answer: bool = False
    complete: Callable[[str], bool] | None = None

    def pause_after(self, words: str, others: Sequence[str] = (), fell: bool = False) -> float:
        """Seconds of silence after `words` (and the recogniser's `others` guesses at them) that end the turn.

        `fell`: the voice fell as at the end of a sentence. The other guesses and a weak continuing
        word then hold nothing open (on the bench's fixtures, offline, whole descriptions held open
        4 -> 1 of 37), and the pause after a whole answer ends the turn (7 of the 37 had waited the
        full pause; none of the 42 mid-sentence pauses fell). Cut-offs stayed 2 of 42.
        """
        if _continues(words) and not ((fell or self.short_answer) and canonical_words(words)[-1] in WEAK_CONTINUES):
            return self.silence * MID_PHRASE_FACTOR
        others = () if fell else others[:OTHERS_CHECKED]
        whole = self.short_answer or fell or (self.complete is not None and self.complete(words))
        if canonical_words(words) and whole:
            if not self.short_answer and _trailing_off(others):
                return self.silence * MID_PHRASE_FACTOR
            return self.silence * COMPLETE_FACTOR
        if any(_continues(reading) for reading in others):
            return self.silence * MID_PHRASE_FACTOR
        if self.short_answer or fell or self.complete is None or not canonical_words(words):
            return self.silence
        return self.silence * UNFINISHED_FACTOR


def _trailing_off(readings: Sequence[str]) -> bool:
    """Most of the `readings` end mid-phrase or in a sound of thinking: what holds a whole description open.

    A quiet "and" in noise is often heard as "um" or another short word in the other guesses ("my knee
    gave way", with "my feet gave way um" in 6 of 8; "my knee to run", with "and" or "um" ending 4 of 8).
    On the bench's fixtures, offline: cut-offs 3 -> 2 of 42 for the sounds of thinking, and none of the
    37 whole descriptions waited longer (any one guess, as for continuing words, would hold 6 of them).
    """
    worded = [reading for reading in readings if canonical_words(reading)]
    return bool(worded) and sum(map(_continues, worded)) * 2 >= len(worded)


def _continues(words: str) -> bool:
    said = canonical_words(words)
    return bool(said) and (said[-1] in CONTINUES or said[-1] in HESITATIONS)


class Event(str, Enum):
    STARTED = "started"  # speech began; this step's audio starts with the pre-roll
    PAUSED = "paused"  # a pause that may soon end the turn (see DECODE_LEAD): the words so far may be all
    RESUMED = "resumed"  # voice again after a PAUSED: drop whatever was started on the paused words
    ENDED = "ended"  # the turn is over: finish the transcript


@dataclass(frozen=True)
class Step:
    """What one frame means: audio for the recogniser (empty outside an utterance) and any event."""

    audio: bytes
    event: Event | None = None


_SILENT_LEVEL = SILENT_DBFS + 20.0 * float(np.log10(32768.0))  # in the units of `VoiceGate`'s levels


class VoiceGate:
    """Voice or not, one 30 ms frame at a time: the VAD's verdict, and loud enough above the noise floor."""

    def __init__(self) -> None:
        self._vad = Vad(mode=VAD_MODE, sample_rate=SAMPLE_RATE)
        self.frame_bytes: int = self._vad.frame_bytes
        self._levels: deque[float] = deque(maxlen=round(FLOOR_SECONDS / self._vad.frame_length))

    @property
    def floor(self) -> float:
        """The noise floor in dB: the quietest frame of the last FLOOR_SECONDS (silence's level before any)."""
        return min(self._levels, default=_SILENT_LEVEL)

    def voiced(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        level = max(10.0 * float(np.log10(np.mean(samples * samples) + 1.0)), _SILENT_LEVEL)
        floor = self.floor  # of the frames before this one
        self._levels.append(level)
        return level >= floor + GATE_DB and self._vad.is_speech(frame)


class Endpointer:
    """16 kHz int16 mono audio in, `Step`s out: which audio belongs to an utterance, and its events.

    `readings` (given to `feed`) returns the words recognised so far, likeliest first (the recogniser's
    other guesses after its best, when it has them); it is asked only when a pause starts and when
    the pause might be long enough, to choose how long the pause must be. `gap` is how long after
    the previous utterance ended the current (or last) one started (from the window in which its
    speech was found): the person may have paused mid-sentence for longer than the pause that ended
    their turn.
    """

    def __init__(self, policy: TurnPolicy | None = None, max_utterance: float = MAX_UTTERANCE_SECONDS) -> None:
        if max_utterance <= 0:
            raise ValueError("the maximum utterance length must be positive")
        self.policy = policy or TurnPolicy()
        self.max_utterance = max_utterance
        self.reset()

    @property
    def in_utterance(self) -> bool:
        return self._utt_start is not None

    def reset(self) -> None:
        """Forget everything: the noise floor, held-back audio and any utterance in progress."""
        self._gate = VoiceGate()
        self._frame_bytes = self._gate.frame_bytes
        self._window: deque[bool] = deque(maxlen=round(START_WINDOW * SAMPLE_RATE * SAMPLE_WIDTH / self._frame_bytes))
        self._pending = bytearray()
        self._history = bytearray()
        self._history_start = 0  # sample index of the first byte in _history
        self._clock = 0  # samples seen since the last reset
        self._utt_start: int | None = None
        self._voiced_run = 0
        self._last_voice = 0.0  # seconds; when the current utterance last had voice
        self._pause: float | None = None  # while paused: the silence that ends the turn
        self._announced = False  # the pause under way was announced (`Event.PAUSED`)
        self._worded = False  # words had been heard when the pause under way began
        self._recent = bytearray()  # the utterance's last `intonation.REFERENCE_SECONDS` of audio
        self._fell = False  # at the pause under way: the voice fell as at a sentence's end
        self._ended_at: int | None = None  # sample index at which the last utterance ended
        self.gap: float | None = None  # seconds from the end of the one before to the start of this one

    def feed(self, pcm: bytes, readings: Callable[[], Sequence[str]] = tuple) -> Iterator[Step]:
        """The steps for every whole frame in `pcm` (a part frame waits for the next call).

        A generator: each frame is judged only once the steps before it were taken, so `readings`
        already include the audio handed over so far.
        """
        self._pending += pcm
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            yield from self._step(frame, readings)

    def _step(self, frame: bytes, readings: Callable[[], Sequence[str]]) -> list[Step]:
        voiced = self._gate.voiced(frame)
        self._window.append(voiced)
        self._clock += len(frame) // SAMPLE_WIDTH
        if self._utt_start is None:
            self._history += frame
            if self._speech_in_window():
                return [self._begin(self._clock - len(self._window) * self._frame_bytes // SAMPLE_WIDTH)]
            self._trim_history()
            return []
        now = self._clock / SAMPLE_RATE
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        steps = [Step(frame)]
        self._keep_recent(frame)
        if self._voiced_run >= VOICED_RUN:
            self._last_voice = now
            if self._pause is not None:
                self._pause = None
                if self._announced:
                    steps.append(Step(b"", Event.RESUMED))
        silent = now - self._last_voice
        if self._pause is None and silent >= PAUSE_SECONDS:
            self._fell = intonation.fell(bytes(self._recent))
            words = readings()
            self._pause = self._pause_after(words)
            self._announced = False
            self._worded = bool(words and canonical_words(words[0]))  # else there is nothing to prepare
        if self._pause is not None and self._worded and not self._announced and \
                (self._fell or silent >= self._pause - DECODE_LEAD):
            self._announced = True
            steps.append(Step(b"", Event.PAUSED))
        # The last word may have come in late; after a fall in pitch, the decode made at the pause
        # (not the running guess it was first timed by, which held "... my knee and" for "... my leg")
        # is heard at once: it often drops a continuing word the running guess ended on.
        if self._pause is not None and (self._fell or silent >= self._pause):
            self._pause = self._pause_after(readings())
            if silent >= self._pause:
                return steps + [self._end()]
        if self._clock - self._utt_start >= self.max_utterance * SAMPLE_RATE:
            steps.append(self._end())
            if self._speech_in_window():
                steps.append(self._begin(self._clock))
        return steps

    def _pause_after(self, readings: Sequence[str]) -> float:
        if not readings:
            return self.policy.pause_after("")
        return self.policy.pause_after(readings[0], readings[1:], fell=self._fell)

    def _keep_recent(self, audio: bytes) -> None:
        self._recent += audio
        excess = len(self._recent) - int(intonation.REFERENCE_SECONDS * SAMPLE_RATE) * SAMPLE_WIDTH
        if excess > 0:
            del self._recent[:excess]

    def _speech_in_window(self) -> bool:
        return len(self._window) == self._window.maxlen and sum(self._window) >= START_RATIO * len(self._window)

    def _begin(self, start: int) -> Step:
        """Start an utterance a pre-roll before sample `start`, handing over the audio held back since."""
        self.gap = None if self._ended_at is None else (start - self._ended_at) / SAMPLE_RATE
        start = max(start - int(PRE_ROLL_SECONDS * SAMPLE_RATE), self._history_start)
        held_back = bytes(self._history[(start - self._history_start) * SAMPLE_WIDTH:])
        self._utt_start = start
        self._last_voice = self._clock / SAMPLE_RATE
        self._voiced_run = 0
        self._pause = None
        self._history.clear()
        self._history_start = self._clock
        self._recent = bytearray()
        self._keep_recent(held_back)
        return Step(held_back, Event.STARTED)

    def _end(self) -> Step:
        self._utt_start = None
        self._ended_at = self._clock
        self._pause = None
        self._history_start = self._clock
        return Step(b"", Event.ENDED)

    def _trim_history(self) -> None:
        excess = len(self._history) - int(HISTORY_SECONDS * SAMPLE_RATE) * SAMPLE_WIDTH
        if excess > 0:
            del self._history[:excess]
            self._history_start += excess // SAMPLE_WIDTH
