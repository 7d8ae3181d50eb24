"""Guided questions for when open recognition fails, the one safety check, and how answers are read.

After two utterances in a row that could not be understood, the person is asked where it hurts
from a short list of places (answers a narrow grammar can hear), then the safety check, then the
explanation for that place. The safety check is the pack's one yes/no question that covers every
warning sign, asked once and only when nothing said so far raised or ruled them out; "yes" asks
which sign, and that sign's advice is given. An answer to any question is read with what it
answers (a follow-up answer with its description, a place as "pain in <place>").
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from knowledge.model import KnowledgeBase, Match, Topic, TopicScore
from knowledge.text import words
from knowledge.understanding import Understanding
from voice.conversation.events import Action, Expect, Heard, Kind, Say
from voice.conversation.follow_up import HOME, WHERE
from voice.conversation.session import Pending, Question, State
from voice.conversation.turns import Turns
from voice.conversation.utterance import Utterance, classify


class Guided(Turns):
    """The guided path and the safety check; the `Dialogue` supplies understanding and answers."""

    _kb: KnowledgeBase | None
    _understand: Callable[[str], Match]

    def _answer(self, found: Match, also: Understanding | None = None) -> list[Action]:
        raise NotImplementedError

    def _failed(self, places: tuple[str, ...] = ()) -> list[Action] | None:
        """One more utterance in a row that could not be understood (`places`: the location ids its
        reading named): the guided questions after the second, else None to say so as usual."""
        session = self._session
        session.failures += 1
        session.heard_places = places if session.failures == 1 else tuple(p for p in session.heard_places if p in places)
        return self._ask_where() if session.failures >= 2 and self._kb is not None else None

    def _ask_where(self) -> list[Action]:
        """Open recognition failed twice: ask where it hurts, as a yes/no question when those tries all
        named one place, else from a short list; both are answers the recogniser can hear.

        A place misheard words name twice is likely what was said ("my hip aches since i started
        limping" heard with "removing" for "limping", twice, and not trusted), and a yes or no is
        what the recogniser hears best, where "my hip" was heard "my gait". Words bent into a place
        from speech about something else rarely name the same one twice, and get a "no".
        """
        session = self._session
        heard = session.heard_places
        session.state, session.context, session.follow_up, session.pending = State.GUIDED, None, None, None
        session.failures = session.unclear_answers = 0
        session.heard_places = ()
        if len(heard) == 1 and self._kb is not None:
            sentence = self._prompts.place_check.format(place=self._kb.location(heard[0]).title)
            return self._ask(Pending(Question.PLACE, sentence, place=heard[0]), Kind.CHECK, about=heard)
        sentence = self._prompts.guided_where.format(places=self._prompts.spoken_list(self._places()))
        return self._say((sentence,), Kind.WHERE, self._listen_here(), about=self._location_ids)

    def _place_unclear(self) -> list[Action]:
        """An answer not heard clearly that names no place: the question once more, then the safety
        check alone (its "no" explains nothing: what was said is still unknown), or when it was asked,
        a request to describe it again.

        By then the recogniser has failed three times. The out-of-scope answer given here before
        skipped the safety check, the one question it hears best (yes or no), for a person it could
        not hear ("i twisted my knee and the pain is unbearable", tune sessions, a Scottish voice),
        and told people who had said "my knee" twice that it did not sound like a leg problem; the
        overview would answer misheard complaints of other kinds with knee words.
        """
        session = self._session
        if session.unclear_answers == 0:
            session.unclear_answers += 1
            sentence = self._prompts.where_again.format(places=self._prompts.spoken_list(self._places()))
            return self._say((sentence,), Kind.WHERE, self._listen_here(), about=self._location_ids)
        session.state, session.failures = State.READY, 0
        if not session.safety_done and self._safety_question:
            session.safety_done = True
            return self._ask(Pending(Question.SAFETY, self._safety_question), Kind.CHECK, about=self._warning_ids)
        return self._say((self._prompts.no_place.format(example=self._domain.example),), Kind.PROMPT,
                         self._listen(Expect.DESCRIPTION))

    def _not_sure(self, text: str) -> bool:
        """The words hold one of the answers that say they do not know ("not sure", "i don't know")."""
        said = f" {' '.join(words(text))} "
        return any(f" {' '.join(words(answer))} " in said for answer in self._prompts.not_sure_answers)

    def _place_chosen(self, place: str | None) -> list[Action]:
        """Then the safety check (once), then the explanation for that place.

        No place named ("I don't know"): what the assistant covers, as for a complaint elsewhere,
        since a knee explanation would be a guess.
        """
        assert self._kb is not None
        if place is None:
            return self._answer(Match("", out_of_scope=True))
        self._session.on_the_leg = True
        title = self._kb.location(place).title
        return self._checked_then(self._with_fallback(self._understand(self._prompts.place_reading.format(place=title))))

    def _checked_then(self, explanation: Match) -> list[Action]:
        """The safety check, when it is still due, before the explanation; else the explanation."""
        self._session.state = State.READY
        if self._session.safety_done or not self._safety_question:
            return self._answer(explanation)
        self._session.safety_done = True
        return self._ask(Pending(Question.SAFETY, self._safety_question, match=explanation), Kind.CHECK,
                         about=self._warning_ids)

    def _ask_which_sign(self, explanation: Match | None) -> list[Action]:
        session = self._session
        session.state, session.explain_next = State.WHICH_SIGN, explanation
        signs = self._sign_names()
        sentence = self._prompts.which_sign.format(signs=self._prompts.spoken_list(signs))
        return self._say((sentence,), Kind.WHICH, self._listen_here(), about=self._warning_ids)

    def _sign_named(self, found: Match | None) -> list[Action]:
        """The sign they named is advised (with the explanation due); none understood: all the signs' advice,
        then the explanation they came for."""
        session = self._session
        explanation, session.explain_next = session.explain_next, None
        session.state = State.READY
        if found is None:
            if explanation is None:
                return self._say(self._warning_signs, Kind.WARNINGS, self._listen(Expect.ANYTHING))
            actions = self._answer(explanation)  # its disclaimer is said once, at its end
            said = next((a.sentences for a in actions if isinstance(a, Say)), ())
            return self._said_first(tuple(s for s in self._warning_signs if s not in said), actions)
        if explanation is not None:
            found = replace(explanation, warnings=found.warnings)
        return self._answer(found)

    def _choices(self) -> tuple[str, ...]:
        follow_up = self._session.follow_up
        if self._session.state == State.FOLLOW_UP and follow_up is not None:
            # Asked where in the knee or the leg, people also name another place ("my thigh").
            asked = super()._choices()
            places = self._place_answers() if asked and follow_up.id in (HOME, WHERE) else ()
            return tuple(dict.fromkeys((*asked, *places)))
        if self._session.state == State.GUIDED:
            return tuple(dict.fromkeys(self._places() + self._place_answers())) + self._prompts.not_sure_answers
        if self._session.state == State.WHICH_SIGN and self._kb is not None:
            titles = tuple(w.title.lower() for w in self._kb.warnings)
            return tuple(dict.fromkeys(self._sign_names() + titles)) + self._prompts.not_sure_answers
        return ()

    def _sign_names(self) -> tuple[str, ...]:
        """The signs as the "which one" question lists them: short names (a 25-word question instead of 38)."""
        return tuple((w.short or w.title).lower() for w in self._kb.warnings) if self._kb is not None else ()

    def _places(self) -> tuple[str, ...]:
        return tuple(loc.title for loc in self._kb.locations) if self._kb is not None else ()

    def _place_answers(self) -> tuple[str, ...]:
        """Each place as people name it when asked where ("my calf"), from its first phrase: the
        narrow recogniser hears only whole answers it was offered, and "my calf" offered only as
        "the calf" came out as other words (tune voices: 8 -> 13 of 18 places heard)."""
        names = (loc.phrases[0] for loc in self._kb.locations) if self._kb is not None else ()
        return tuple(frame.format(place=name) for name in names for frame in self._prompts.place_answers)

    @property
    def _location_ids(self) -> tuple[str, ...]:
        return tuple(loc.id for loc in self._kb.locations) if self._kb is not None else ()

    @property
    def _warning_ids(self) -> tuple[str, ...]:
        return tuple(w.id for w in self._kb.warnings) if self._kb is not None else ()

    @property
    def _safety_question(self) -> str:
        return self._domain.safety_question if self._kb is not None else ""

    # --- reading what was said ------------------------------------------------------------------

    def _reading(self) -> Callable[[str], str]:
        """How an utterance is read: a follow-up answer together with the description it is about."""
        session = self._session
        if session.context is not None and session.follow_up is not None:
            question, context = session.follow_up, session.context
            return lambda text: question.read(context, text, self._understand(text))
        if session.state == State.GUIDED:
            return lambda text: self._prompts.place_reading.format(place=text)
        if session.state == State.WHICH_SIGN and self._kb is not None:
            home = self._kb.location(self._domain.home_location).title
            return lambda text: self._prompts.sign_reading.format(text=text, place=home)
        return lambda text: text

    def _reclassify(self, text: str, heard: Utterance) -> Utterance:
        """The words after a "no" ("no, pain in my calf"), classified as a fresh utterance."""
        return classify(Heard(text, heard.confidence, typed=heard.typed), self._listen_here().expect,
                        self._understand, reading=self._reading(), min_confidence=self._min_confidence)

    def _with_fallback(self, found: Match) -> Match:
        """No dead ends: a description in scope with nothing to explain gets the pack's overview."""
        overview = self._overview
        if overview is None or found.out_of_scope or found.topics or found.warnings:
            return found
        return replace(found, topics=(TopicScore(overview.id, 0.0),))

    @property
    def _overview(self) -> Topic | None:
        """The pack's general explanation of how knee problems cause leg pain, if it has one."""
        return next((t for t in self._kb.topics if t.kind == "overview"), None) if self._kb is not None else None
