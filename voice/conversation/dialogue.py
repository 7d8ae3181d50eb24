"""The conversation as a pure state machine: events in, actions out, no I/O.

The loop feeds events (what was heard, timeouts, key presses, the end of speech) and performs
the actions it gets back. Each utterance is classified once (`utterance.classify`), then handled
by the handler of the current state; what is said comes from the prompts file and the pack.

Contract with the loop:
- `handle(event)` returns a list of actions to perform in order. A `Say` is always the last
  action of its list; once it has been spoken (or cut), send `SpeechDone()` and perform what
  that returns (usually a `Listen`). A list without a `Say` ends with `Listen` or `Exit`, or is
  empty: nothing to do, carry on as before.
- `StopKey()` (or anything heard during speech) returns `StopSpeaking()` first, then what was
  to follow the speech; a `SpeechDone()` after that returns nothing. Send `SpeechCut(started)`
  just before what was heard during speech: a yes or no said before the question at the end of
  the speech began to play is not an answer to it.
- `Idle(seconds)`: seconds since the person last spoke; send it now and then while listening.
  In kiosk mode it may return a goodbye: abandon the current listen and perform it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from knowledge.model import Domain, KnowledgeBase, Match, Reply
from knowledge.understanding import MIN_CONFIDENCE, Understanding
from voice.conversation import follow_up
from voice.conversation.commands import SHORT_REQUEST_WORDS, Command, normalise
from voice.conversation.events import (Action, Event, Exit, Expect, Heard, Idle, Kind, Listen, NoInput, SpeechCut,
                                       SpeechDone, Start, StopKey, StopSpeaking)
from voice.conversation.prompts import Prompts, load_prompts
from voice.conversation.session import Pending, Question, Session, State, Timing, VoiceLimits
from voice.conversation.turns import FEW_WORDS
from voice.conversation.yes_no import YesNo
from voice.conversation.utterance import Kind as Said
from voice.conversation.utterance import Utterance, classify, printable

__all__ = ["Dialogue", "State", "Timing", "VoiceLimits", "printable"]


class Respond(Protocol):
    """The answer to a match; given a `question`, the answer ends with it instead of the offer of more."""

    def __call__(self, found: Match, question: str = "") -> Reply: ...


class Dialogue(YesNo):
    """The conversation for one assistant; see the module docstring for the contract with the loop.

    `kb` gives the pack's words (`kb.domain`), and the places and warning signs for the guided
    questions and the safety check; without it (a unit test's fake knowledge) `domain` gives the
    words and there are no guided questions. `keyboard` words prompts for typing; `speech=False`
    says what voice commands mean when nothing is spoken. `respond` answers emergencies too.
    """

    def __init__(
        self,
        understand: Callable[[str], Match],
        respond: Respond,
        *,
        warning_signs: Sequence[str],
        kb: KnowledgeBase | None = None,
        domain: Domain | None = None,
        kiosk: bool = False,
        keyboard: bool = False,
        speech: bool = True,
        min_confidence: float = MIN_CONFIDENCE,
        limits: VoiceLimits = VoiceLimits(),
        timing: Timing = Timing(),
        prompts: Prompts | None = None,
    ):
        words = kb.domain if kb is not None else domain
        if words is None:
            raise TypeError("Dialogue needs the knowledge base (kb=) or its domain (domain=)")
        super().__init__(prompts or load_prompts(), words, limits, timing, keyboard=keyboard, speech=speech)
        self._understand = understand
        self._respond = respond
        self._kb = kb
        self.kiosk = kiosk
        self._min_confidence = min_confidence
        self._warning_signs = tuple(warning_signs)

    # --- events -------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Action]:
        if isinstance(event, Start):
            return self._start()
        if isinstance(event, SpeechDone):
            return self._speech_done()
        if isinstance(event, SpeechCut):
            self._cut_started = event.started
            return []
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
        return [self.voice, *self._say(self.greeting, Kind.GREETING, self._listen(Expect.DESCRIPTION))]

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
            return self._answer(self._with_fallback(session.context or Match("")))
        if session.state == State.GUIDED:  # silence names no place: as a place not heard, never "not a leg problem"
            return self._place_unclear()
        if session.state == State.WHICH_SIGN:
            return self._sign_named(None)
        session.no_inputs += 1
        if session.no_inputs > 3:
            return [self._listen_here(quiet=True)]
        number = session.no_inputs - 1
        confirming = session.state == State.CONFIRMING
        question = session.pending.sentence if confirming and session.pending else ""
        steps = (self._prompts.yes_no_prompts if confirming else self._prompts.after_answer_prompts
                 if session.last_reply else self._prompts.describe_prompts).get(self._keyboard)
        sentences = tuple(s.format(question=question, example=self._domain.example)
                          for s in steps[min(number, len(steps) - 1)])
        return self._say(tuple(s for s in sentences if s), Kind.PROMPT, self._listen_here(quiet=number == 2))

    def joins(self, heard: Heard) -> bool:
        """Whether `heard` will be taken as the rest of the description the reply answers (its
        caption then says so)."""
        return heard.continues and self.speaking and self._replying_to is not None

    def _heard(self, heard: Heard) -> list[Action]:
        if self.joins(heard) and self._replying_to:
            return self._carried_on(*self._replying_to, heard)
        before = self._session.copy()
        session = self._session
        utterance = classify(heard, self._listen_here().expect, self._understand, reading=self._reading(),
                             min_confidence=self._min_confidence)
        # Only a description can stop mid-sentence: a yes, a no or a command is whole, and what follows
        # it is a turn of its own ("no", then 1.5 s later "and my calf feels tight too", seen live).
        self._replying_to = (heard, before) if utterance.kind == Said.DESCRIPTION and not heard.typed else None
        if utterance.kind == Said.EMPTY:  # over speech: a voice with no words made out just stops it
            return self._interrupt() if self.speaking else self._no_input()
        interrupted: list[Action] = []
        if self.speaking:
            unasked = utterance.kind == Said.ANSWER and self._question_unheard()
            interrupted = self._interrupt()
            if utterance.command == Command.STOP or unasked or self._unclear_request(utterance) or \
                    any(isinstance(a, Exit) for a in interrupted):
                return interrupted
            interrupted = [a for a in interrupted if not isinstance(a, Listen)]
        if session.state == State.ENDED:
            return interrupted
        session.present = True
        session.no_inputs = 0
        session.waiting = utterance.command == Command.WAIT
        if session.state == State.AWAITING_PERSON:
            return interrupted + self._on_arrival(utterance)
        return interrupted + self._respond_to(utterance)

    def _carried_on(self, first: Heard, before: Session, rest: Heard) -> list[Action]:
        """The person had only paused mid-sentence, and went on over the reply to its first part:
        answer the whole instead, as if that reply had never begun.

        A pause after a word the recogniser misheard ends the turn ("pain below the | kneecap",
        heard "pain the limit"): the bench's paused fixtures were cut off in 2 to 4 of 42 runs, and
        the rest of the sentence was then answered on its own.
        """
        self._session, self._after_speech, self._cut_started = before, None, None
        return [StopSpeaking(), *self._heard(first.joined(rest))]

    def _unclear_request(self, utterance: Utterance) -> bool:
        """A few words said over the answer that name nothing for sure: taken as "stop", then listen.

        What people say over an answer is mostly a command, and through the room echo the embedded
        recogniser heard "stop" as another word ("now", "um", "i") in 5 of 6 live runs; reading
        that word back or answering it as out of scope talked on at someone who asked for quiet.
        Warning signs, emergencies and anything understood are still the person's turn.
        """
        understood = utterance.understanding
        if utterance.kind != Said.DESCRIPTION or utterance.typed or understood is None or \
                utterance.words > SHORT_REQUEST_WORDS or understood.match.warnings or understood.confirm:
            return False
        return understood.unsure or not utterance.known or (
            utterance.confidence < self._min_confidence and understood.agreement is None)

    # --- one handler per state ---------------------------------------------------------------

    def _respond_to(self, utterance: Utterance) -> list[Action]:
        if utterance.kind == Said.COMMAND:
            return self._on_command(utterance)
        if utterance.kind == Said.EMERGENCY:
            return self._emergency(utterance.match)
        handlers = {State.READY: self._on_ready, State.CONFIRMING: self._on_yes_no, State.FOLLOW_UP: self._on_follow_up,
                    State.GUIDED: self._on_place, State.WHICH_SIGN: self._on_sign}
        return handlers[self._session.state](utterance)

    def _on_arrival(self, utterance: Utterance) -> list[Action]:
        """A new person spoke to an idle kiosk: greet them, and answer what they said in the same breath."""
        self._session.state = State.READY
        if utterance.command in (Command.STOP, Command.GOODBYE) or utterance.kind == Said.EMERGENCY:
            return self._respond_to(utterance)
        if utterance.kind in (Said.POLITENESS, Said.ANSWER) or (
                utterance.kind == Said.DESCRIPTION and utterance.match.out_of_scope):
            return self._say(self.greeting, Kind.GREETING, self._listen(Expect.DESCRIPTION))
        return self._greet_first(self._respond_to(utterance))

    def _on_ready(self, utterance: Utterance) -> list[Action]:
        if utterance.kind == Said.ANSWER:  # a yes or no with no question pending ("Is there anything else?")
            sentence = self._prompts.stray_yes if utterance.yes else self._prompts.stray_no
            return self._say((sentence,), Kind.PROMPT, self._listen(Expect.DESCRIPTION))
        if utterance.kind == Said.POLITENESS:
            if self._session.last_reply is None:
                return self._say((self._prompts.hello,) + self.greeting, Kind.GREETING, self._listen(Expect.DESCRIPTION))
            return self._say((self._prompts.polite,), Kind.PROMPT, self._listen(Expect.ANYTHING))
        return self._description(utterance, self._describe)

    def _on_follow_up(self, utterance: Utterance) -> list[Action]:
        """Any reply to the follow-up question continues: what it adds is read with the description.

        A spoken reply that is none of the answers offered and was barely heard adds nothing, as
        silence would: live, a mumbled "um hmm" came out "buttocks" and got the hip's explanation.
        A sign in it is still advised or asked about.
        """
        if utterance.kind == Said.DESCRIPTION and not self._barely_heard_answer(utterance):
            return self._description(utterance, lambda found: self._answer(self._with_fallback(found)), read_back=False)
        return self._answer(self._with_fallback(self._session.context or Match("")))

    def _barely_heard_answer(self, utterance: Utterance) -> bool:
        understood = utterance.understanding
        if utterance.typed or understood is None or understood.match.warnings or understood.confirm or \
                self._offered(utterance.text):
            return False
        return understood.unsure or (utterance.confidence < self._min_confidence and understood.agreement is None)

    def _offered(self, text: str) -> bool:
        """The words are one of the answers the question offered the recogniser, word for word."""
        return normalise(text) in {normalise(choice) for choice in self._choices()}

    def _on_place(self, utterance: Utterance) -> list[Action]:
        """Guided: the answer to "where does it hurt most" (a sign said with it is advised at once).

        A barely heard answer picks no place: "I don't know" misheard must not pick one. When it is
        word for word one of the answers offered to the recogniser ("my thigh"), that place is asked
        about ("Is the pain in the thigh?"): live, "my thigh" heard as exactly that, but barely, got
        "Sorry, I didn't catch the place" and the list again. Loose words that name a place ("vital
        sole" for "i don't know") are not asked about. "Not sure"
        gets what the assistant covers; another answer heard clearly ("everywhere") the safety check
        and the overview; one not heard clearly the question once more first.
        """
        understood = utterance.understanding
        found = understood.match if understood and not understood.unsure else Match(utterance.text)
        if found.warnings:
            return self._answer(found)
        if found.locations:
            return self._place_chosen(found.locations[0])
        if self._not_sure(utterance.text):
            return self._place_chosen(None)
        if utterance.typed or (understood and not understood.unsure and utterance.confidence >= self._min_confidence):
            return self._checked_then(self._with_fallback(Match(utterance.text, about_area=True)))  # "everywhere"
        named = understood.match.locations if self._offered(utterance.text) and understood and not understood.match.warnings else ()
        if len(named) == 1 and self._kb is not None:
            sentence = self._prompts.place_check.format(place=self._kb.location(named[0]).title)
            pending = Pending(Question.PLACE, sentence, place=named[0], unclear_before=self._session.unclear_answers)
            return self._ask(pending, Kind.CHECK, about=named)
        return self._place_unclear()

    def _on_sign(self, utterance: Utterance) -> list[Action]:
        """They said yes to the safety check: a sign their answer names at all is the one they have.

        A sign named with a "not", or held only by another guess or a flipped word, is advised, not
        asked about: they have already said yes, and the overview of all the signs, kept for an
        answer that names none, does not say which applies. The "not" is the recogniser's ("my foot
        has gone numb" heard "my foot does not numb" in all 9 of its guesses, tune sessions).
        """
        understood = utterance.understanding
        if understood is None:
            return self._sign_named(None)
        known = set(self._warning_ids)  # what the other readings hold may be an emergency, asked about elsewhere
        named = (*understood.match.warnings, *understood.confirm, *understood.match.negated_warnings)
        signs = tuple(dict.fromkeys(s for s in named if s in known))
        if signs:
            return self._sign_named(replace(understood.match, warnings=signs))
        if self._session.explain_next is None:
            self._session.explain_next = self._described(utterance)
        return self._sign_named(None)

    def _described(self, utterance: Utterance) -> Match | None:
        """What an answer naming no sign describes in its own words, when heard clearly: explained after
        the signs' advice. "What about my calf", said live to "Which one is it?", got the signs and
        nothing about the calf. Words that only name the pack's home place ("the knee um") add nothing
        to the answer just given."""
        understood = utterance.understanding
        if understood is None or understood.unsure or not (utterance.typed or utterance.confidence >= self._min_confidence):
            return None
        found = self._understand(utterance.text)
        home = self._domain.home_location
        if found.out_of_scope or not found.topics or not (found.says_what or set(found.locations) - {home}):
            return None
        return found

    # --- descriptions -----------------------------------------------------------------------

    def _description(self, utterance: Utterance, answer: Callable[[Match], list[Action]],
                     read_back: bool = True) -> list[Action]:
        """Advise a warning sign at once, confirm one that may be misheard, else answer (or read back when unsure)."""
        understood = utterance.understanding
        assert understood is not None
        found = understood.match
        # A sign they said no to is not asked about again: the reading that raised it comes back with
        # each answer to a follow-up question, and was asked about round and round.
        asked = tuple(sign for sign in understood.confirm if sign not in self._session.denied)
        if found.warnings:  # a warning sign is never held back behind a question, however unsure
            if set(asked) - set(found.warnings) and not self._urgent(found):
                return self._answer(found, also=understood)
            return answer(found)
        if asked:
            words = self._prompts.confirm_sign.format(words=self._sign_words(understood, asked))
            otherwise = None if understood.unsure else found  # "no": what was said was not understood
            return self._ask(Pending(Question.SIGN, words, match=understood.confirm_match, otherwise=otherwise,
                                     signs=asked), Kind.CHECK, about=asked)
        if read_back and not utterance.typed and not utterance.known and self._missed_command(utterance):
            return self._not_caught()
        if understood.unsure and read_back:
            return self._not_understood(found.locations)
        if read_back and not utterance.typed and utterance.confidence < self._min_confidence and understood.agreement is None:
            return self._ask(Pending(Question.READ_BACK, self._read_back(utterance.text), text=utterance.text,
                                     match=found), Kind.CONFIRM)
        if found.out_of_scope and read_back and not utterance.typed and utterance.confidence < self._min_confidence:
            # Not heard clearly, it may be a leg complaint misheard: live, an espeak voice's "my hip aches
            # since i started limping", said 8 times, was heard 8 ways ("my good i think i got it really")
            # and told "That doesn't sound like a knee or leg problem" 6 times: a dead end. From someone
            # who has said yes to a place or a sign it is not taken for another subject at all: a Scottish
            # voice said yes to the safety check, was not understood at "which one", said it again and
            # was told its leg was not a leg problem (tune sessions).
            if self._session.on_the_leg:
                return self._not_understood(found.locations)
            guided = self._failed()
            if guided is not None:
                return guided
        return answer(found)

    def _describe(self, found: Match) -> list[Action]:
        """Answer a first description, or ask one question about it when it is vague (one it already
        answers is not asked: the answer is read as the question's would be)."""
        overview = self._overview
        question = follow_up.choose(found, self._domain.follow_ups, self._domain.home_location,
                                    general=overview.id if overview else "")
        if question is None:
            return self._answer(found)
        if question.answered_in(found.text):
            return self._answer(self._with_fallback(found))
        session = self._session
        session.state, session.context, session.follow_up = State.FOLLOW_UP, found, question
        return self._say((question.question,), Kind.QUESTION, self._listen_here())

    def _answer(self, found: Match, also: Understanding | None = None) -> list[Action]:
        """Explain `found`; `also`: another reading with a sign that may have been said, asked about after."""
        if found.emergency:
            return self._emergency(found)
        session = self._session
        session.state, session.context, session.follow_up, session.pending = State.READY, None, None, None
        if not found.out_of_scope and not (found.topics or found.warnings):
            guided = self._failed(found.locations)
            if guided is not None:
                return guided
        if found.warnings:
            session.safety_done = True
        # A sign heard only in another reading is asked about after the advice for those heard clearly
        # ("swollen ... i can put any weight": the recogniser often drops the "'t"); else the safety
        # check closes the first explanation. Either takes the place of the offer of more.
        pending = self._also_said(found, also) if also is not None else None
        safety = self._safety_question if found.topics and not session.safety_done else ""
        question = pending.sentence if pending else safety
        excerpt = replace(found, text=self._excerpt(found.text))
        reply = self._respond(excerpt, question=question) if question else self._respond(excerpt)
        session.last_reply, session.more_said = reply, False
        if not found.out_of_scope and not (found.topics or found.warnings):
            # The reply says what was understood and gives examples; expect a fresh description.
            return self._say(reply.sentences, Kind.NO_MATCH, self._listen(Expect.DESCRIPTION))
        if found.topics:
            session.failures = 0
        if question:  # asked even by a `respond` that left it out: the check is never lost
            session.safety_done = True
            before = reply.sentences[:-1] if reply.sentences[-1:] == (question,) else reply.sentences
            return self._ask(pending or Pending(Question.SAFETY, question), Kind.ANSWER, before=before,
                             about=pending.signs if pending else self._warning_ids)
        return self._say(reply.sentences, Kind.ANSWER, self._listen(Expect.ANYTHING))

    def _urgent(self, found: Match) -> bool:
        """Its advice already says to get medical attention: no other sign would change what to do."""
        return self._kb is not None and any(self._kb.warning(w).urgency == "urgent" for w in found.warnings)

    def _also_said(self, found: Match, also: Understanding) -> Pending:
        """The question about the signs only `also` has; "yes" advises those alone (the others were)."""
        reading = also.confirm_match or found
        signs = tuple(w for w in reading.warnings if w not in found.warnings)
        return Pending(Question.ALSO_SIGN, self._prompts.confirm_sign.format(words=self._sign_words(also, signs)),
                       match=replace(reading, warnings=signs),
                       signs=tuple(sign for sign in also.confirm if sign not in self._session.denied))

    def _sign_words(self, understood: Understanding, signs: tuple[str, ...]) -> str:
        """What a question about possible signs says back: the words heard, unless the reading is not
        trusted or is another guess's; then the pack's words for the signs. On real recordings of other
        complaints, the untrusted readings asked about read back as "you have sunday with audience when
        you landed the tingling night": a question nobody can answer. Live, "my shin hurts when i run"
        was heard "tingling or on", and another guess's "tingling or my iran" was asked back as "Did you
        say tingling or your iran?": words the person neither said nor saw in the caption. An emergency
        too: "i have a crushing pain in my chest" (a Lancashire voice, tune sessions) was asked back as
        "Did you say your thigh muscles gave pain in your chest?", and a person who hears that says no."""
        words = understood.confirm_words
        if self._kb is None or (understood.confirm_heard and not understood.unsure):
            return words
        known = {item.id: item.ask for item in (*self._kb.warnings, *self._kb.domain.emergencies) if item.ask}
        asks = [known[s] for s in signs if s in known]
        return self._prompts.spoken_list(asks) if asks and len(asks) == len(signs) else words

    def _emergency(self, found: Match) -> list[Action]:
        session = self._session
        session.state, session.context, session.follow_up, session.pending = State.READY, None, None, None
        session.safety_done = True
        reply = self._respond(found)
        session.last_reply, session.more_said = reply, False
        return self._say(reply.sentences, Kind.EMERGENCY, self._listen(Expect.ANYTHING))

    def _missed_command(self, utterance: Utterance) -> bool:
        """Words that name nothing and may be a command the recogniser missed (see `_not_caught`): a word
        or two, or after an answer as many words as a command has when not heard clearly. Live, an
        English voice's "tell me more" after an answer was heard "you are", then "do you are": not heard
        clearly, it was taken for a description and got "Please say it again ..., for example: My knee
        hurts"."""
        if utterance.words <= FEW_WORDS:
            return True
        understood = utterance.understanding
        return self._session.last_reply is not None and utterance.words <= SHORT_REQUEST_WORDS and \
            understood is not None and (understood.unsure or utterance.confidence < self._min_confidence)

    def _not_caught(self) -> list[Action]:
        """Words that may be a missed command (`_missed_command`). Read back ("I heard: lie. Is that
        right?"), they only invited a "yes" that led to the out-of-scope answer: for a spoken "goodbye"
        heard as "lie" (tune sessions, espeak's en-us+f3) round and round until the session's turn limit.
        After an answer they are most likely a command the recogniser missed, so the commands are
        offered, and twice in a row a yes or no it hears where it did not hear the command: whether
        to hear more when the answer had more to say (which it ends by offering), else whether to
        finish. Before an answer, a description was due."""
        session = self._session
        if session.last_reply is None:
            return self._not_understood()
        if session.last_said is not None and session.last_said.sentences == (self._prompts.not_caught,):
            pending = Pending(Question.MORE, self._prompts.more_question) if session.more_left else \
                Pending(Question.FINISH, self._prompts.finish_question)
            return self._ask(pending, Kind.CHECK, before=(self._prompts.not_caught_again,))
        return self._say((self._prompts.not_caught,), Kind.NOT_SURE, self._listen(Expect.ANYTHING))

    def _not_understood(self, places: tuple[str, ...] = ()) -> list[Action]:
        """`places`: the location ids an unsure reading of it named (see `_ask_where`)."""
        guided = self._failed(places)
        if guided is not None:
            return guided
        sentence = self._prompts.not_sure.format(example=self._domain.example)
        return self._say((sentence,), Kind.NOT_SURE, self._listen(Expect.DESCRIPTION))
