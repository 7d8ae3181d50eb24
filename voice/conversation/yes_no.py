"""Answers to the dialogue's yes/no questions: a read-back, a warning sign that may be misheard, the safety check.

"yes" does what the question offered; "no" goes on with what was heard; words that are neither,
and say nothing new, get the question once more and then a safe default (a possible warning sign
is advised rather than dropped), so an unclear reply never loops.
"""
from __future__ import annotations

from dataclasses import replace

from knowledge.model import Match
from knowledge.reply import OFFER_MORE
from voice.conversation.commands import Command
from voice.conversation.events import Action, Expect, Kind
from voice.conversation.guided import Guided
from voice.conversation.session import Pending, Question, State
from voice.conversation.utterance import Kind as Said
from voice.conversation.utterance import Utterance

_SIGNS = (Question.SIGN, Question.ALSO_SIGN)  # questions about a warning sign that may have been said


class YesNo(Guided):
    """The handler of the CONFIRMING state; the `Dialogue` supplies the others."""

    def _respond_to(self, utterance: Utterance) -> list[Action]:
        raise NotImplementedError

    def _describe(self, found: Match) -> list[Action]:
        raise NotImplementedError

    def _not_understood(self, places: tuple[str, ...] = ()) -> list[Action]:
        raise NotImplementedError

    def _on_yes_no(self, utterance: Utterance) -> list[Action]:
        session = self._session
        pending = session.pending
        if utterance.kind == Said.ANSWER and utterance.yes and pending is not None and \
                pending.question in (*_SIGNS, Question.SAFETY):
            session.on_the_leg = True  # a yes to a sign (a place is marked where it is chosen, `_place_chosen`)
        if pending is not None and pending.takes_not_sure and utterance.kind != Said.ANSWER and \
                self._not_sure(utterance.text):
            utterance = replace(utterance, kind=Said.ANSWER, yes=False, rest="")
        if pending is not None and utterance.kind != Said.ANSWER and not utterance.known:
            if session.unclear_answers == 0:  # neither an answer nor something new: ask once more
                session.unclear_answers += 1
                return self._ask_again(pending)
            if pending.question == Question.SAFETY:  # twice unclear: say what to do if they have one, go on
                return self._safety_unclear(pending)
            # Twice unclear: a possible warning sign is advised rather than dropped; a read-back failed.
            utterance = replace(utterance, kind=Said.ANSWER, yes=pending.question in _SIGNS, rest="")
        session.pending = None
        session.state = State.FOLLOW_UP if session.context is not None else State.READY
        if utterance.kind != Said.ANSWER or pending is None:  # said something else instead: take it afresh
            return self._respond_to(utterance)
        if pending.question == Question.READ_BACK:
            return self._read_back_answered(pending, utterance)
        if pending.question == Question.PLACE:  # "no": the list of places
            if utterance.yes:
                return self._place_chosen(pending.place)
            if utterance.rest:  # "no, my calf"
                return self._respond_to(self._reclassify(utterance.rest, utterance))
            if pending.unclear_before is not None:  # the list was asked: its answer was not heard clearly
                session.state, session.unclear_answers = State.GUIDED, pending.unclear_before
                return self._place_unclear()
            return self._ask_where()
        if pending.question == Question.MORE:  # "no": the command missed may have been "goodbye"
            if utterance.yes:
                return self._command(Command.MORE)
            return self._ask(Pending(Question.FINISH, self._prompts.finish_question), Kind.CHECK)
        if pending.question == Question.FINISH:
            if utterance.yes:
                return self._command(Command.GOODBYE)
            return self._say((self._prompts.stray_no,), Kind.PROMPT, self._listen(Expect.ANYTHING))
        if pending.question in _SIGNS:  # a "no" rules out the signs asked about, not the others
            if utterance.yes:
                return self._answer(pending.match)
            session.denied.update(pending.signs)
            if utterance.rest:  # "no, my calf hurts"
                return self._respond_to(self._reclassify(utterance.rest, utterance))
            if pending.question == Question.ALSO_SIGN:  # what was heard clearly has been answered
                return self._nothing_else()
            return self._describe(pending.otherwise) if pending.otherwise else self._not_understood()
        if utterance.yes:  # the safety check
            return self._ask_which_sign(pending.match)
        if pending.match is not None:
            return self._answer(pending.match)
        return self._nothing_else()

    def _nothing_else(self) -> list[Action]:
        """After a "no" to a sign asked about: go on, offering more of the answer before it, else anything else."""
        rest = self._offer_more() or (self._prompts.anything_else,)
        return self._say((self._prompts.safety_no, *rest), Kind.PROMPT, self._listen(Expect.ANYTHING))

    def _offer_more(self) -> tuple[str, ...]:
        """The offer the safety check took the place of, when the answer before it left more to say."""
        reply = self._session.last_reply
        return (OFFER_MORE,) if reply is not None and reply.more else ()

    def _safety_unclear(self, pending: Pending) -> list[Action]:
        session = self._session
        session.pending, session.state = None, State.READY
        said = (self._prompts.safety_unclear,)
        if pending.match is not None:
            return self._said_first(said, self._answer(pending.match))
        said += self._offer_more()
        return self._say(said, Kind.PROMPT, self._listen(Expect.ANYTHING))

    def _ask_again(self, pending: Pending) -> list[Action]:
        said = self._session.last_said
        steps = self._prompts.yes_no_prompts.get(self._keyboard)
        sentences = tuple(s.format(question=pending.sentence, example=self._domain.example) for s in steps[0])
        kind = Kind.CONFIRM if pending.question == Question.READ_BACK else Kind.CHECK
        return self._say(sentences, kind, self._listen_here(), about=said.about if said else ())

    def _read_back_answered(self, pending: Pending, utterance: Utterance) -> list[Action]:
        session = self._session
        if not utterance.yes:
            if utterance.rest:
                session.failures, session.heard_places = session.failures + 1, ()
                return self._respond_to(self._reclassify(utterance.rest, utterance))
            guided = self._failed()
            if guided is not None:
                return guided
            return self._say((self._prompts.say_again,), Kind.PROMPT, self._listen(Expect.DESCRIPTION))
        if pending.command is not None:
            return self._command(pending.command)
        found = pending.match
        if utterance.rest or found is None:
            found = self._understand(self._reading()(f"{pending.text} {utterance.rest}".strip()))
        if session.context is not None:
            return self._answer(self._with_fallback(found))
        return self._describe(found)
