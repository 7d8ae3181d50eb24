"""What the dialogue remembers about the person in front of it, and the limits it works within.

A `Session` is replaced whole when a person leaves (kiosk) or asks to start again, so nothing
of one person can reach the next.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from knowledge.model import Match, Reply
from voice.conversation.commands import Command
from voice.conversation.events import Say
from voice.conversation.follow_up import FollowUp
from voice.settings import VoiceLimits  # the voice commands' steps and bounds are the settings' own


@dataclass(frozen=True)
class Timing:
    listen: float = 8.0  # how long a Listen waits for speech to start
    quiet_listen: float = 30.0  # after the prompts ran out, or while nobody is there
    wait_listen: float = 30.0  # after "wait"
    idle: float = 60.0  # kiosk: silence before the person is taken to have left
    wait_extension: float = 120.0  # kiosk: extra silence allowed after "wait"


class State(str, Enum):
    AWAITING_PERSON = "awaiting_person"  # kiosk: nobody there yet; greet when speech arrives
    READY = "ready"  # waiting for a description or a command
    CONFIRMING = "confirming"  # asked a yes/no question (a read-back, a warning sign, the safety check)
    FOLLOW_UP = "follow_up"  # asked one question about a vague description
    GUIDED = "guided"  # open recognition failed twice: asked where it hurts from a short list
    WHICH_SIGN = "which_sign"  # the person said yes to the safety check: asked which sign
    ENDED = "ended"


class Question(str, Enum):
    """What a pending yes/no question is about."""

    READ_BACK = "read_back"  # "I heard: ... Is that right?"
    SIGN = "sign"  # "Did you say you can't put weight on your leg?"
    ALSO_SIGN = "also_sign"  # the same, after the advice for another sign heard clearly
    SAFETY = "safety"  # the pack's safety question, once per conversation
    FINISH = "finish"  # "Would you like to finish?" after words it could not place, twice in a row
    MORE = "more"  # "Would you like to hear more?" first, when the answer before them had more to say
    PLACE = "place"  # "Is the pain in the hip?": the place the tries it could not understand all named


@dataclass(frozen=True)
class Pending:
    """A yes/no question waiting for its answer, and what "yes" means."""

    question: Question
    sentence: str
    text: str = ""  # READ_BACK: the utterance to understand on "yes"
    command: Command | None = None  # READ_BACK of a command that could throw the conversation away
    match: Match | None = None  # SIGN, ALSO_SIGN: the reading to answer on "yes"; SAFETY: the answer to give on "no"
    otherwise: Match | None = None  # SIGN: the reading to answer on "no" (None: it was not understood)
    signs: tuple[str, ...] = ()  # SIGN, ALSO_SIGN: what it asks about; "no" rules them out
    place: str = ""  # PLACE: the location id to explain on "yes"
    # PLACE asked about a barely heard answer to the list of places: the unclear answers to the list
    # before it (a "no" is one more); None when asked instead of the list.
    unclear_before: int | None = None

    @property
    def takes_not_sure(self) -> bool:
        """"Not sure" answers it as "no" does: whether the pain is in the place asked about (the list follows)."""
        return self.question == Question.PLACE


@dataclass
class Session:
    """Everything about the current person."""

    rate: int
    volume: float
    state: State = State.AWAITING_PERSON
    present: bool = False  # has spoken since the last reset
    last_said: Say | None = None
    last_reply: Reply | None = None
    more_said: bool = False
    pending: Pending | None = None
    context: Match | None = None  # the description a follow-up question is about
    follow_up: FollowUp | None = None
    no_inputs: int = 0
    unclear_answers: int = 0  # replies to the pending yes/no question that were neither yes, no nor new
    failures: int = 0  # utterances in a row that could not be understood
    heard_places: tuple[str, ...] = ()  # location ids that every one of those failures named
    explain_next: Match | None = None  # what to explain once the person has said which sign they have
    safety_done: bool = False  # warning signs were raised, ruled out or asked about
    waiting: bool = False  # "wait" was said: longer time limits until they speak again
    denied: set[str] = field(default_factory=set)  # signs they said no to: not asked about again
    on_the_leg: bool = False  # they said yes to a place or a warning sign: their subject is known

    @property
    def more_left(self) -> bool:
        """The last answer has more to say that has not been said ("tell me more")."""
        return self.last_reply is not None and bool(self.last_reply.more) and not self.more_said

    def copy(self) -> Session:
        """A copy that what later happens to this one leaves as it was (the rest is immutable)."""
        return replace(self, denied=set(self.denied))
