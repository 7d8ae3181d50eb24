"""What flows between the loop and the dialogue: events in, actions out (typed, immutable values).

The dialogue never does I/O; the loop turns what happens (speech heard, a timeout, a key) into
these events and carries out the actions it gets back.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from voice.asr.recognizer import MAX_ALTERNATIVES, Alternative

# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """The program has started: greet."""


@dataclass(frozen=True)
class Heard:
    """An utterance: the best transcript, how sure the recogniser was, and its other guesses.

    `typed` is true for a line typed on a keyboard: it is exactly what the person meant.
    `continues`: heard over the reply to the utterance before, begun so soon after that one ended
    that the person had only paused mid-sentence (see `joined`); never a command.
    """

    text: str
    confidence: float = 1.0
    alternatives: tuple[Alternative, ...] = ()
    typed: bool = False
    continues: bool = False

    def joined(self, rest: Heard) -> Heard:
        """This utterance and `rest`, which went on from it, as one: each other guess at either part
        beside the best of the other (the likeliest first), and the confidence of all its words."""
        first_words, rest_words = len(self.text.split()), len(rest.text.split())
        confidence = (self.confidence * first_words + rest.confidence * rest_words) / max(1, first_words + rest_words)
        others = sorted([*(Alternative(f"{a.text} {rest.text}", a.score) for a in self.alternatives if not a.generic),
                         *(Alternative(f"{self.text} {a.text}", a.score) for a in rest.alternatives if not a.generic)],
                        key=lambda a: -a.score)[:MAX_ALTERNATIVES]
        generic = [f"{a.text} {b.text}" for a in self.alternatives if a.generic for b in rest.alternatives if b.generic]
        return Heard(f"{self.text} {rest.text}", confidence,
                     (*others, *(Alternative(text, generic=True) for text in generic[:1])))


@dataclass(frozen=True)
class NoInput:
    """A Listen timed out with no speech."""


@dataclass(frozen=True)
class Idle:
    seconds: float  # since the person last spoke


@dataclass(frozen=True)
class SpeechDone:
    """The last Say finished or was cut."""


@dataclass(frozen=True)
class SpeechCut:
    """The person's voice cut the last Say once `started` of its sentences had begun to play
    (sent just before what they said)."""

    started: int


@dataclass(frozen=True)
class StopKey:
    """A key was pressed while the assistant was speaking."""


Event = Start | Heard | NoInput | Idle | SpeechDone | SpeechCut | StopKey

# --- actions ------------------------------------------------------------------------------


class Kind(str, Enum):
    """What a Say is, so the loop can caption or log it; repeat replays only the substantive kinds."""

    GREETING = "greeting"
    ANSWER = "answer"
    MORE = "more"
    WARNINGS = "warnings"
    CONFIRM = "confirm"  # a yes/no read-back of what was heard
    CHECK = "check"  # a yes/no question about warning signs (`Say.about`): a sign that may be misheard, or the safety check
    QUESTION = "question"  # the follow-up question
    WHERE = "where"  # guided: where it hurts, from a short list of places (`Say.about`)
    WHICH = "which"  # guided: which warning sign (`Say.about`)
    EMERGENCY = "emergency"  # call the emergency number or a crisis line now
    NOT_SURE = "not_sure"  # the words could not be understood well enough to answer
    NO_MATCH = "no_match"
    PROMPT = "prompt"
    HELP = "help"
    SETTING = "setting"
    GOODBYE = "goodbye"


class Expect(str, Enum):
    """What the dialogue expects the person to say next; the endpointer's turn policy follows it."""

    DESCRIPTION = "description"  # a symptom in their own words: people pause to think mid-sentence
    YES_NO = "yes_no"  # a one-word answer: end the turn quickly
    CHOICE = "choice"  # one of the few answers a question offered (`Listen.answers`)
    ANYTHING = "anything"  # after an answer: a command or a new description


@dataclass(frozen=True)
class Say:
    """Speak `sentences`; `about` names what a question in them asks about (warning or location ids).

    An answer may end with a question (the safety check): the `Listen` that follows says what
    kind of reply is expected.
    """

    sentences: tuple[str, ...]
    kind: str
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class StopSpeaking:
    pass


@dataclass(frozen=True)
class SetVoice:
    rate: int
    volume: float


@dataclass(frozen=True)
class Listen:
    """Listen for the next utterance; `answers` are the replies a question offered, for a narrow grammar."""

    expect: Expect
    timeout: float
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForgetPerson:
    """Drop everything the loop kept about this person (captions, logs, recogniser state)."""


@dataclass(frozen=True)
class Exit:
    pass


Action = Say | StopSpeaking | SetVoice | Listen | ForgetPerson | Exit
