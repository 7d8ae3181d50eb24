"""The conversation as a pure state machine: events in, actions out, no I/O.

The loop feeds events (what was heard, timeouts, key presses, the end of speech) and performs
the actions it gets back. Keeping understanding and replying behind two callables means the
whole conversation can be tested without a microphone, a speaker or the knowledge base.

Contract with the loop:
- `handle(event)` returns a list of actions to perform in order. A `Say` is always the last
  action of its list; once it has been spoken (or cut), send `SpeechDone()` and perform what
  that returns (usually a `Listen`). A list without a `Say` ends with `Listen` or `Exit`, or is
  empty: nothing to do, carry on as before.
- `StopKey()` (or anything heard during speech) returns `StopSpeaking()` first, then what was
  to follow the speech; a `SpeechDone()` after that returns nothing.
- `Idle(seconds)`: seconds since the person last spoke; send it now and then while listening.
  In kiosk mode it may return a goodbye: abandon the current listen and perform it.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from knowledge.model import Match, Reply
from voice.conversation.events import (Action, Event, Exit, Expect, ForgetPerson, Heard, Idle, Kind, Listen, NoInput,
                                       Say, SetVoice, SpeechDone, Start, StopKey, StopSpeaking)
from voice.conversation.commands import Command, find_command, leading_command, normalise, word_count, yes_or_no

# --- settings -----------------------------------------------------------------------------

# PocketSphinx (domain LM) on the audio_tests fixtures: right transcripts averaged 0.79-0.99 word
# confidence, garbled ones 0.11-0.71; below this the transcript is read back before it is used.
MIN_CONFIDENCE = 0.7


@dataclass(frozen=True)
class VoiceLimits:
    """Speech rate (words per minute, pyttsx3) and volume (0-1): defaults, steps and bounds."""

    rate: int = 160
    rate_step: int = 25
    min_rate: int = 85
    max_rate: int = 260
    volume: float = 0.7
    volume_step: float = 0.15
    min_volume: float = 0.25
    max_volume: float = 1.0


@dataclass(frozen=True)
class Timing:
    listen: float = 8.0  # how long a Listen waits for speech to start
    quiet_listen: float = 30.0  # after the prompts ran out, or while nobody is there
    wait_listen: float = 30.0  # after "wait"
    idle: float = 60.0  # kiosk: silence before the person is taken to have left
    wait_extension: float = 120.0  # kiosk: extra silence allowed after "wait"


GREETING = ("I explain how knee problems can cause pain in the leg: tell me where it hurts and what it feels like.",)
EXAMPLE = "My knee hurts when I climb stairs."
HELP = (
    "Describe your pain in your own words, for example: " + EXAMPLE,
    "You can also say: repeat, slower, faster, louder, quieter, tell me more, warning signs, "
    "start again, stop, wait, or goodbye.",
)
DESCRIBE_PROMPTS = (
    ("I didn't hear anything. Tell me where it hurts and what it feels like.",),
    ("Please describe your pain in one sentence, for example: " + EXAMPLE,),
    ("I still can't hear you. Please speak close to the microphone, or say help.",
     "I'll keep listening quietly."),
)
AFTER_ANSWER_PROMPTS = (
    ("Is there anything else? Say tell me more, or describe another symptom.",),
    ("You can say: tell me more, repeat, warning signs, or goodbye. Or describe something else.",),
    ("I'll keep listening quietly. Say help at any time.",),
)


@dataclass(frozen=True)
class FollowUp:
    """One question about a vague description; `anchor` completes a bare answer ("in front")."""

    question: str
    anchor: str = ""

    def combine(self, previous: str, answer: str) -> str:
        """What to understand: the first description and the answer together."""
        noun = self.anchor.split()[-1] if self.anchor else ""
        named = noun and any(word.startswith(noun) for word in normalise(answer).split())
        return " ".join(part for part in (previous, answer, "" if named else self.anchor) if part)


# The knee question offers the places the knowledge base tells apart (kneecap pain, tendon, bursa).
KNEE_QUESTION = FollowUp("Is the pain in front of the knee, below the kneecap, or on the inner side?",
                         anchor="of my knee")
WHERE_QUESTION = FollowUp("Where in your leg do you feel it?")
WORSE_QUESTION = FollowUp("What makes it worse: walking, stairs, kneeling, or sport?")
CLOSE_SCORES = 0.8  # the runner-up has at least this share of the top score
NAMED_TOPIC_SCORE = 3.0  # a topic phrase was said outright: no need to ask

_SETTING_WORDS = {
    Command.SLOWER: ("I'll speak more slowly.", "That's the slowest I can go."),
    Command.FASTER: ("I'll speak faster.", "That's the fastest I can go."),
    Command.LOUDER: ("I'll speak louder.", "That's the loudest I can go."),
    Command.QUIETER: ("I'll speak more quietly.", "That's the quietest I can go."),
}
# Commands that could throw away the conversation are read back when confidence is low.
_CONFIRM_WHEN_UNSURE = {Command.GOODBYE, Command.START_OVER}
_REPLAYABLE = {Kind.GREETING, Kind.ANSWER, Kind.MORE, Kind.WARNINGS, Kind.CONFIRM, Kind.QUESTION,
               Kind.NO_MATCH, Kind.PROMPT, Kind.HELP}


def printable(text: str) -> str:
    """Text without control or format characters, whitespace runs made single spaces.

    What was heard is read back aloud and captioned, so a typed escape sequence or a stray
    NUL must reach neither the synthesiser nor the kiosk's screen.
    """
    kept = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(kept.split())


class State(str, Enum):
    AWAITING_PERSON = "awaiting_person"  # kiosk: nobody there yet; greet when speech arrives
    READY = "ready"  # waiting for a description or a command
    CONFIRMING = "confirming"  # asked "I heard: ... Is that right?"
    FOLLOW_UP = "follow_up"  # asked one question about a vague description
    ENDED = "ended"


@dataclass(frozen=True)
class _Pending:
    """What a read-back is about: an utterance to understand, or a command to carry out."""

    text: str
    command: Command | None = None


@dataclass
class _Session:
    """Everything about the current person; replaced whole so nothing of them survives."""

    rate: int
    volume: float
    state: State = State.AWAITING_PERSON
    present: bool = False  # has spoken since the last reset
    last_said: Say | None = None
    last_reply: Reply | None = None
    more_said: bool = False
    pending: _Pending | None = None
    context: str = ""  # the description a follow-up question is about
    follow_up: FollowUp | None = None
    no_inputs: int = 0
    waiting: bool = False  # "wait" was said: longer time limits until they speak again


class Dialogue:
    """The conversation for one assistant; see the module docstring for the contract with the loop."""

    def __init__(
        self,
        understand: Callable[[str], Match],
        respond: Callable[[Match], Reply],
        *,
        warning_signs: Sequence[str],
        kiosk: bool = False,
        min_confidence: float = MIN_CONFIDENCE,
        limits: VoiceLimits = VoiceLimits(),
        timing: Timing = Timing(),
    ):
        self._understand = understand
        self._respond = respond
        self.kiosk = kiosk
        self._min_confidence = min_confidence
        self._warning_signs = tuple(warning_signs)
        self.limits = limits
        self.timing = timing
        self._session = self._new_session()
        self._after_speech: tuple[Action, ...] | None = None

    # --- what the loop may read ---------------------------------------------------------

    @property
    def state(self) -> State:
        return self._session.state

    @property
    def speaking(self) -> bool:
        return self._after_speech is not None

    @property
    def voice(self) -> SetVoice:
        return SetVoice(self._session.rate, self._session.volume)

    # --- events -------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Action]:
        if isinstance(event, Start):
            return self._start()
        if isinstance(event, SpeechDone):
            return self._speech_done()
        if isinstance(event, StopKey):
            return self._interrupt() if self.speaking else []
        if isinstance(event, Idle):
            return self._idle(event.seconds)
        if isinstance(event, NoInput):
            return [] if self.speaking else self._no_input()
        if isinstance(event, Heard):
            return self._heard(event)
        raise TypeError(f"not a dialogue event: {event!r}")

    def _start(self) -> list[Action]:
        self._after_speech = None
        self._session = self._new_session()
        self._session.state = State.READY
        return [self.voice, *self._say(GREETING, Kind.GREETING, self._listen(Expect.DESCRIPTION))]

    def _speech_done(self) -> list[Action]:
        after, self._after_speech = self._after_speech, None
        return list(after or ())

    def _interrupt(self) -> list[Action]:
        """Cut speech at once and go straight to what was to follow it."""
        after, self._after_speech = self._after_speech or (), None
        return [StopSpeaking(), *after]

    def _idle(self, seconds: float) -> list[Action]:
        session = self._session
        limit = self.timing.idle + (self.timing.wait_extension if session.waiting else 0.0)
        if not self.kiosk or not session.present or self.speaking or seconds < limit:
            return []
        return self._farewell()

    def _no_input(self) -> list[Action]:
        session = self._session
        if session.state == State.ENDED:
            return []
        if session.state == State.AWAITING_PERSON:
            return [self._listen(Expect.DESCRIPTION, quiet=True)]
        if session.state == State.FOLLOW_UP:  # they may not know: answer with what they said
            return self._answer(self._understand(session.context))
        session.no_inputs += 1
        if session.no_inputs > 3:
            return [self._listen(Expect.DESCRIPTION, quiet=True)]
        number = session.no_inputs - 1
        if session.state == State.CONFIRMING:
            prompts = (("Please say yes or no.", self._read_back(session.pending)),
                       ("Say yes if I heard you right, or no to say it again.", self._read_back(session.pending)),
                       ("Say yes or no when you are ready. I'll keep listening quietly.",))
            return self._say(prompts[number], Kind.PROMPT, self._listen(Expect.YES_NO, quiet=number == 2))
        prompts = AFTER_ANSWER_PROMPTS if session.last_reply else DESCRIBE_PROMPTS
        return self._say(prompts[number], Kind.PROMPT, self._listen(Expect.DESCRIPTION, quiet=number == 2))

    def _heard(self, heard: Heard) -> list[Action]:
        text = printable(heard.text)
        if not text:
            return [] if self.speaking else self._no_input()
        interrupted: list[Action] = []
        if self.speaking:
            interrupted = self._interrupt()
            if find_command(text) == Command.STOP or any(isinstance(a, Exit) for a in interrupted):
                return interrupted
            interrupted = [a for a in interrupted if not isinstance(a, Listen)]
        session = self._session
        if session.state == State.ENDED:
            return interrupted
        session.present = True
        session.no_inputs = 0
        if session.state != State.AWAITING_PERSON:
            return interrupted + self._respond_to(text, heard.confidence)
        session.state = State.READY
        command = find_command(text)
        if command in (Command.STOP, Command.GOODBYE):
            return interrupted + self._respond_to(text, heard.confidence)
        if command is None and self._understand(text).out_of_scope:  # "hello": just greet
            return interrupted + self._say(GREETING, Kind.GREETING, self._listen(Expect.DESCRIPTION))
        return interrupted + self._greet_first(self._respond_to(text, heard.confidence))

    # --- understanding an utterance -------------------------------------------------------

    def _respond_to(self, text: str, confidence: float) -> list[Action]:
        session = self._session
        unsure = confidence < self._min_confidence
        command = find_command(text)
        if command is None and (leading := leading_command(text)) is not None:
            found = self._understand(text)
            command = None if found.topics or found.locations or found.warnings else leading
        session.waiting = command == Command.WAIT
        if session.state == State.CONFIRMING:
            answer, rest = yes_or_no(text)
            if answer is not None:
                return self._confirmed(rest) if answer else self._rejected(rest, confidence)
            if command is None:  # said it again instead of answering
                session.pending = None
                session.state = State.FOLLOW_UP if session.context else State.READY
        if command is not None:
            if unsure and command in _CONFIRM_WHEN_UNSURE:
                return self._ask_confirm(_Pending(text, command))
            return self._command(command)
        if session.state == State.READY and yes_or_no(text) in ((True, ""), (False, "")):
            return self._stray_answer(yes_or_no(text)[0])
        if session.state == State.FOLLOW_UP:
            if unsure:
                return self._ask_confirm(_Pending(text))
            return self._answer(self._understand(self._combine(text)))
        match = self._understand(text)
        known = bool(match.topics or match.locations or match.warnings)
        if match.warnings:  # a warning sign is never held back behind a read-back, however unsure
            return self._describe(match)
        if unsure or (word_count(text) <= 2 and not known):
            return self._ask_confirm(_Pending(text))
        return self._describe(match)

    def _stray_answer(self, yes: bool) -> list[Action]:
        """A yes or no with no question pending (say, to "Is there anything else?")."""
        sentences = (("Go ahead: tell me where it hurts and what it feels like.",) if yes else
                     ("All right. Tell me about another symptom when you like, or say goodbye to finish.",))
        return self._say(sentences, Kind.PROMPT, self._listen(Expect.DESCRIPTION))

    def _describe(self, match: Match) -> list[Action]:
        """Answer a first description, or ask one question about it when it is vague."""
        follow_up = self._follow_up(match)
        if follow_up is None:
            return self._answer(match)
        session = self._session
        session.state, session.context, session.follow_up = State.FOLLOW_UP, match.text, follow_up
        return self._say((follow_up.question,), Kind.QUESTION, self._listen(Expect.DESCRIPTION))

    def _combine(self, answer: str) -> str:
        session = self._session
        follow_up = session.follow_up or FollowUp("")
        return follow_up.combine(session.context, answer)

    @staticmethod
    def _follow_up(match: Match) -> FollowUp | None:
        if match.out_of_scope or match.warnings:
            return None  # warning signs are never held back behind a question
        top = match.topics[0] if match.topics else None
        if top is None:
            return KNEE_QUESTION if match.locations == ("knee",) else None
        if top.score >= NAMED_TOPIC_SCORE:
            return None
        if not match.locations:
            return WHERE_QUESTION
        if len(match.topics) > 1 and match.topics[1].score >= CLOSE_SCORES * top.score:
            return WORSE_QUESTION
        return None

    def _answer(self, match: Match) -> list[Action]:
        session = self._session
        session.state, session.context, session.follow_up, session.pending = State.READY, "", None, None
        reply = self._respond(match)
        session.last_reply = reply
        session.more_said = False
        if not match.out_of_scope and not (match.topics or match.warnings):
            # The reply says what was understood and gives examples; expect a fresh description.
            return self._say(reply.sentences, Kind.NO_MATCH, self._listen(Expect.DESCRIPTION))
        return self._say(reply.sentences, Kind.ANSWER, self._listen(Expect.ANYTHING))

    # --- read-backs ----------------------------------------------------------------------

    @staticmethod
    def _read_back(pending: _Pending | None) -> str:
        return f"I heard: {pending.text}. Is that right?" if pending else "Is that right?"

    def _ask_confirm(self, pending: _Pending) -> list[Action]:
        session = self._session
        session.pending = pending
        session.state = State.CONFIRMING
        return self._say((self._read_back(pending),), Kind.CONFIRM, self._listen(Expect.YES_NO))

    def _confirmed(self, rest: str) -> list[Action]:
        session = self._session
        pending, session.pending = session.pending, None
        session.state = State.FOLLOW_UP if session.context else State.READY
        if pending is None:
            return self._prompt_again()
        if pending.command is not None:
            return self._command(pending.command)
        text = f"{pending.text} {rest}".strip()
        if session.context:
            return self._answer(self._understand(self._combine(text)))
        return self._describe(self._understand(text))

    def _rejected(self, rest: str, confidence: float) -> list[Action]:
        session = self._session
        session.pending = None
        session.state = State.FOLLOW_UP if session.context else State.READY
        if rest:
            return self._respond_to(rest, confidence)
        return self._prompt_again()

    def _prompt_again(self) -> list[Action]:
        return self._say(("Sorry. Please say it again.",), Kind.PROMPT, self._listen(Expect.DESCRIPTION))

    # --- commands ------------------------------------------------------------------------

    def _command(self, command: Command) -> list[Action]:
        session = self._session
        if command == Command.STOP:
            return [StopSpeaking(), self._listen_here()]
        if command == Command.REPEAT:
            said = session.last_said or Say(GREETING, Kind.GREETING)
            return self._say(said.sentences, said.kind, self._listen_here())
        if command in _SETTING_WORDS:
            return self._change_voice(command)
        if command == Command.MORE:
            return self._more()
        if command == Command.WARNINGS:
            return self._say(self._warning_signs + self._pending_question(), Kind.WARNINGS, self._listen_here())
        if command == Command.HELP:
            return self._say(HELP + self._pending_question(), Kind.HELP, self._listen_here())
        if command == Command.START_OVER:
            fresh = self._new_session(rate=session.rate, volume=session.volume)
            fresh.state, fresh.present = State.READY, True
            self._session = fresh
            return self._say(("Let's start again.",) + GREETING, Kind.GREETING, self._listen(Expect.DESCRIPTION))
        if command == Command.WAIT:
            return self._say(("Take your time.",), Kind.SETTING,
                             Listen(self._listen_here().expect, self.timing.wait_listen))
        return self._farewell()

    def _change_voice(self, command: Command) -> list[Action]:
        session, limits = self._session, self.limits
        rate, volume = session.rate, session.volume
        if command == Command.SLOWER:
            rate = max(limits.min_rate, rate - limits.rate_step)
        elif command == Command.FASTER:
            rate = min(limits.max_rate, rate + limits.rate_step)
        elif command == Command.LOUDER:
            volume = round(min(limits.max_volume, volume + limits.volume_step), 2)
        else:
            volume = round(max(limits.min_volume, volume - limits.volume_step), 2)
        changed, at_limit = _SETTING_WORDS[command]
        if (rate, volume) == (session.rate, session.volume):
            return self._say((at_limit,) + self._pending_question(), Kind.SETTING, self._listen_here())
        session.rate, session.volume = rate, volume
        return [self.voice, *self._say((changed,) + self._pending_question(), Kind.SETTING, self._listen_here())]

    def _more(self) -> list[Action]:
        session = self._session
        reply = session.last_reply
        if reply is None:
            sentences: tuple[str, ...] = ("Tell me about your pain first: where it hurts and what it feels like.",)
        elif not reply.more or session.more_said:
            sentences = ("That's all I have on that. You can ask: when should I see a doctor?",)
        else:
            session.more_said = True
            sentences = reply.more
        return self._say(sentences + self._pending_question(), Kind.MORE, self._listen_here())

    def _farewell(self) -> list[Action]:
        goodbye = ("Goodbye. Take care.",)
        if not self.kiosk:
            self._session.state = State.ENDED
            return self._say(goodbye, Kind.GOODBYE, Exit())
        self._session = self._new_session()
        return self._say(goodbye, Kind.GOODBYE, ForgetPerson(), self.voice,
                         self._listen(Expect.DESCRIPTION, quiet=True))

    # --- helpers -------------------------------------------------------------------------

    def _new_session(self, rate: int | None = None, volume: float | None = None) -> _Session:
        limits = self.limits
        return _Session(rate=limits.rate if rate is None else rate, volume=limits.volume if volume is None else volume)

    def _pending_question(self) -> tuple[str, ...]:
        """The question still waiting for an answer, asked again after a side request."""
        session = self._session
        if session.state == State.CONFIRMING:
            return (self._read_back(session.pending),)
        if session.state == State.FOLLOW_UP and session.last_said and session.last_said.kind == Kind.QUESTION:
            return session.last_said.sentences
        return ()

    def _listen_here(self) -> Listen:
        """Listen the way the current state needs (a yes/no answer is short)."""
        state = self._session.state
        if state == State.CONFIRMING:
            return self._listen(Expect.YES_NO)
        return self._listen(Expect.DESCRIPTION if state == State.FOLLOW_UP else Expect.ANYTHING)

    def _listen(self, expect: Expect, quiet: bool = False) -> Listen:
        return Listen(expect, self.timing.quiet_listen if quiet else self.timing.listen)

    def _say(self, sentences: Sequence[str], kind: Kind | str, *after: Action) -> list[Action]:
        kind = Kind(kind)
        say = Say(tuple(sentences), kind.value)
        if kind in _REPLAYABLE:
            self._session.last_said = say
        self._after_speech = after
        return [say]

    @staticmethod
    def _greet_first(actions: list[Action]) -> list[Action]:
        """A new person spoke to an idle kiosk: greet, then answer what they said in the same breath."""
        return [Say(GREETING + a.sentences, a.kind) if isinstance(a, Say) and GREETING[0] not in a.sentences else a
                for a in actions]

