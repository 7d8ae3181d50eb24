"""What every state of the dialogue shares: speaking and listening, the pending question, commands.

`Turns` keeps the bookkeeping of whose turn it is (what follows the current speech, how to
listen in this state) and carries out the spoken commands, which work the same in every state
and ask a pending question again afterwards.
"""
from __future__ import annotations

from collections.abc import Sequence

from knowledge.model import Domain
from knowledge.understanding import MIN_TRUSTED
from voice.conversation.commands import Command
from voice.conversation.events import (Action, Exit, Expect, ForgetPerson, Heard, Kind, Listen, Say, SetVoice,
                                       StopSpeaking)
from voice.conversation.prompts import Prompts
from voice.conversation.session import Pending, Question, Session, State, Timing, VoiceLimits
from voice.conversation.utterance import Utterance

FEW_WORDS = 2  # at most this many words that name nothing are not read back (see Dialogue._not_caught)
MAX_READ_BACK_WORDS = 12  # a read-back longer than this is not a quick check ("I heard: ... Is that right?")
YES_NO = ("yes", "no")  # the answers a yes/no question offers the recogniser

# Commands that could throw away the conversation are read back when confidence is low and the
# recogniser's next guess does not name them too (hibari-tts's "goodbye", heard "good bye" at 0.07
# with "goodbye" next, was read back at the end of all 18 sessions of a sessions eval).
_CONFIRM_WHEN_UNSURE = {Command.GOODBYE, Command.START_OVER}  # below MIN_TRUSTED: a short word is often heard
# at 0.4-0.7 by PocketSphinx, and reading back every goodbye cost a turn at the end of each conversation
_REPLAYABLE = {Kind.GREETING, Kind.ANSWER, Kind.MORE, Kind.WARNINGS, Kind.CONFIRM, Kind.CHECK, Kind.QUESTION,
               Kind.WHERE, Kind.WHICH, Kind.EMERGENCY, Kind.NOT_SURE, Kind.NO_MATCH, Kind.PROMPT, Kind.HELP}
_VOICE_COMMANDS = {Command.SLOWER: "slower", Command.FASTER: "faster", Command.LOUDER: "louder",
                   Command.QUIETER: "quieter"}


class Turns:
    """Shared machinery of the `Dialogue` (which adds understanding and the state handlers)."""

    kiosk: bool
    _min_confidence: float
    _warning_signs: tuple[str, ...]

    def __init__(self, prompts: Prompts, domain: Domain, limits: VoiceLimits, timing: Timing, *, keyboard: bool,
                 speech: bool):
        self._prompts = prompts
        self._domain = domain
        self.limits = limits
        self.timing = timing
        self._keyboard = keyboard
        self._speech = speech
        self._session = self._new_session()
        self._after_speech: tuple[Action, ...] | None = None
        self._speech_sentences = 0  # in the current speech
        self._cut_started: int | None = None  # its sentences begun when the person's voice cut it
        # While the reply to a spoken utterance plays: that utterance, and the session as it was before it.
        self._replying_to: tuple[Heard, Session] | None = None

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

    @property
    def greeting(self) -> tuple[str, ...]:
        return (self._domain.greeting,)

    # --- speaking and listening -------------------------------------------------------------

    def _speech_done(self) -> list[Action]:
        after, self._after_speech = self._after_speech, None
        self._replying_to = None
        return list(after or ())

    def _question_unheard(self) -> bool:
        """The person's voice cut the speech before its last sentence, the pending yes/no question,
        began to play: what they said is not an answer to it."""
        return self.speaking and self._session.state == State.CONFIRMING and \
            self._cut_started is not None and self._cut_started < self._speech_sentences

    def _interrupt(self) -> list[Action]:
        """Cut speech at once and go straight to what was to follow it."""
        after, self._after_speech = self._after_speech or (), None
        return [StopSpeaking(), *after]

    def _say(self, sentences: Sequence[str], kind: Kind | str, *after: Action, about: tuple[str, ...] = ()) -> list[Action]:
        kind = Kind(kind)
        say = Say(tuple(sentences), kind.value, about)
        if kind in _REPLAYABLE:
            self._session.last_said = say
        self._after_speech = after
        self._speech_sentences, self._cut_started = len(say.sentences), None
        return [say]

    def _ask(self, pending: Pending, kind: Kind, *, before: Sequence[str] = (), about: tuple[str, ...] = ()) -> list[Action]:
        """Ask a yes/no question (after `before`, when it ends an answer) and wait for the answer."""
        session = self._session
        session.pending, session.state, session.unclear_answers = pending, State.CONFIRMING, 0
        return self._say((*before, pending.sentence), kind, self._listen_here(), about=about)

    def _listen(self, expect: Expect, quiet: bool = False, answers: tuple[str, ...] = ()) -> Listen:
        return Listen(expect, self.timing.quiet_listen if quiet else self.timing.listen, answers)

    def _listen_here(self, quiet: bool = False) -> Listen:
        """Listen the way the current state needs: a yes/no answer is short, a choice offers its answers."""
        session = self._session
        if session.state == State.CONFIRMING:
            unsure = session.pending is not None and session.pending.takes_not_sure
            return self._listen(Expect.YES_NO, quiet, YES_NO + (self._prompts.not_sure_answers if unsure else ()))
        if session.state == State.FOLLOW_UP and session.follow_up is not None:
            choices = self._choices()
            return self._listen(Expect.CHOICE if choices else Expect.DESCRIPTION, quiet, choices)
        if session.state in (State.GUIDED, State.WHICH_SIGN):
            return self._listen(Expect.CHOICE, quiet, self._choices())
        return self._listen(Expect.ANYTHING, quiet)

    def _choices(self) -> tuple[str, ...]:
        """The answers the question waiting in this state offers the recogniser."""
        follow_up = self._session.follow_up
        return tuple(follow_up.choices) if self._session.state == State.FOLLOW_UP and follow_up is not None else ()

    def _pending_question(self) -> tuple[str, ...]:
        """The question still waiting for an answer, asked again after a side request."""
        session = self._session
        if session.state == State.CONFIRMING and session.pending:
            return (session.pending.sentence,)
        if session.state in (State.FOLLOW_UP, State.GUIDED, State.WHICH_SIGN) and session.last_said and \
                session.last_said.kind in (Kind.QUESTION, Kind.WHERE, Kind.WHICH):
            return session.last_said.sentences[-1:]
        return ()

    def _read_back(self, text: str) -> str:
        return self._prompts.read_back.format(text=self._excerpt(text))

    @staticmethod
    def _excerpt(text: str) -> str:
        """At most MAX_READ_BACK_WORDS words of what was heard: a pasted page is never read back whole."""
        words = text.split()
        return text if len(words) <= MAX_READ_BACK_WORDS else " ".join(words[:MAX_READ_BACK_WORDS]) + " ..."

    def _new_session(self, rate: int | None = None, volume: float | None = None) -> Session:
        limits = self.limits
        return Session(rate=limits.rate if rate is None else rate, volume=limits.volume if volume is None else volume)

    def _greet_first(self, actions: list[Action]) -> list[Action]:
        """Put the greeting before what is said (a new kiosk visitor's first words are answered at once)."""
        return self._said_first(self.greeting, actions)

    def _said_first(self, sentences: tuple[str, ...], actions: list[Action]) -> list[Action]:
        """`sentences` before what `actions` say, and in what "repeat" says again: at the virtual
        microphone, "repeat that" after the signs' advice and an explanation repeated the explanation alone."""
        said: list[Action] = []
        for action in actions:
            if isinstance(action, Say) and sentences[0] not in action.sentences:
                whole = Say(sentences + action.sentences, action.kind, action.about)
                if self._session.last_said == action:
                    self._session.last_said = whole
                self._speech_sentences = len(whole.sentences)
                action = whole
            said.append(action)
        return said

    # --- commands ------------------------------------------------------------------------

    def _on_command(self, utterance: Utterance) -> list[Action]:
        command = utterance.command
        assert command is not None
        if command in _CONFIRM_WHEN_UNSURE and not utterance.typed and utterance.confidence < MIN_TRUSTED \
                and not utterance.agreed:
            return self._ask(Pending(Question.READ_BACK, self._read_back(utterance.text), text=utterance.text,
                                     command=command), Kind.CONFIRM)
        return self._command(command)

    def _command(self, command: Command) -> list[Action]:
        session = self._session
        if command == Command.STOP:
            if not self._speech:
                return self._say((self._prompts.voice["stop"].muted,), Kind.SETTING, self._listen_here())
            return [StopSpeaking(), self._listen_here()]
        if command == Command.REPEAT:
            said = session.last_said or Say(self.greeting, Kind.GREETING.value)
            return self._say(said.sentences, said.kind, self._listen_here(), about=said.about)
        if command in _VOICE_COMMANDS:
            return self._change_voice(command)
        if command == Command.MORE:
            return self._more()
        if command == Command.WARNINGS:
            return self._say(self._warning_signs + self._pending_question(), Kind.WARNINGS, self._listen_here())
        if command == Command.HELP:
            sentences = tuple(s.format(example=self._domain.example) for s in self._prompts.help)
            return self._say(sentences + self._pending_question(), Kind.HELP, self._listen_here())
        if command == Command.START_OVER:
            fresh = self._new_session(rate=session.rate, volume=session.volume)
            fresh.state, fresh.present = State.READY, True
            self._session = fresh
            return self._say((self._prompts.start_again,) + self.greeting, Kind.GREETING,
                             self._listen(Expect.DESCRIPTION))
        if command == Command.WAIT:
            return self._say((self._prompts.wait,), Kind.SETTING,
                             Listen(self._listen_here().expect, self.timing.wait_listen, self._listen_here().answers))
        return self._farewell()

    def _change_voice(self, command: Command) -> list[Action]:
        session, limits = self._session, self.limits
        words = self._prompts.voice[_VOICE_COMMANDS[command]]
        if not self._speech:
            return self._say((words.muted,) + self._pending_question(), Kind.SETTING, self._listen_here())
        rate, volume = session.rate, session.volume
        if command == Command.SLOWER:
            rate = max(limits.min_rate, rate - limits.rate_step)
        elif command == Command.FASTER:
            rate = min(limits.max_rate, rate + limits.rate_step)
        elif command == Command.LOUDER:
            volume = round(min(limits.max_volume, volume + limits.volume_step), 2)
        else:
            volume = round(max(limits.min_volume, volume - limits.volume_step), 2)
        if (rate, volume) == (session.rate, session.volume):
            return self._say((words.at_limit,) + self._pending_question(), Kind.SETTING, self._listen_here())
        session.rate, session.volume = rate, volume
        return [self.voice, *self._say((words.changed,) + self._pending_question(), Kind.SETTING, self._listen_here())]

    def _more(self) -> list[Action]:
        session = self._session
        reply = session.last_reply
        if reply is None:
            sentences: tuple[str, ...] = (self._prompts.more_first,)
        elif not session.more_left:
            sentences = (self._prompts.more_none,)
        else:
            session.more_said = True
            sentences = reply.more
        return self._say(sentences + self._pending_question(), Kind.MORE, self._listen_here())

    def _farewell(self) -> list[Action]:
        goodbye = (self._prompts.goodbye,)
        if not self.kiosk:
            self._session.state = State.ENDED
            return self._say(goodbye, Kind.GOODBYE, Exit())
        self._session, self._replying_to = self._new_session(), None
        return self._say(goodbye, Kind.GOODBYE, ForgetPerson(), self.voice,
                         self._listen(Expect.DESCRIPTION, quiet=True))
