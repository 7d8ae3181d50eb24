"""A simulated person with a fixed truth, answering what the assistant asks (FORMAT.md, "Sessions").

The rules are the same for every session so scores compare: yes/no from the truth, the first
true place in everyday words when asked where, the first true warning sign described when asked
which, their own description again when asked for detail, their last words again when asked to
repeat or re-prompted, and "goodbye" once the assistant has answered (advice, an explanation, or
its out-of-scope answer); asked whether they would like to finish, "yes" once they owe or said that goodbye.

What a question is about is read from the dialogue's `Say.kind` and `Say.about`, the `Listen`
that follows it, and, for a question that names nothing, the knowledge base's reading of its words.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from knowledge.model import KnowledgeBase, Match
from knowledge.text import words
from voice.conversation.events import Expect, Kind, Listen
from voice.conversation.prompts import load_prompts
from voice.tools.sessions_file import SessionCase

GOODBYE = "goodbye"
YES, NO = "yes", "no"
NO_THANKS = "no thank you"
DONT_KNOW = "i don't know"
NONE_OF_THEM = "none of them"
WHERE_WORDS = frozenset({"where", "which part", "what part"})


@dataclass(frozen=True)
class Asked:
    """What the assistant said since the person last spoke, and how it then listened."""

    sentences: tuple[str, ...]
    kind: str  # the Kind of the last Say
    listen: Listen
    answered: bool  # in these sentences the assistant gave advice, an explanation, its out-of-scope or emergency answer
    about: tuple[str, ...] = ()  # the ids the question asks about (`Say.about`)


class SimulatedPerson:
    """Answers one session's questions from its truth; `reply` gives the words to speak next."""

    def __init__(self, case: SessionCase, kb: KnowledgeBase, understand: Callable[[str], Match]):
        self.case = case
        self._kb = kb
        self._understand = understand
        self._last_words = ""  # the last thing said that was not a yes or no: what "say it again" asks for
        self._last_answer = ""  # the last yes or no
        self._owe_goodbye = False
        self._finish_question = load_prompts().finish_question

    def reply(self, asked: Asked) -> str:
        self._owe_goodbye = self._owe_goodbye or asked.answered
        said = self._choose(asked)
        if asked.listen.expect == Expect.YES_NO:
            self._last_answer = said
        else:
            self._last_words = said
        if said == GOODBYE:
            self._owe_goodbye = False
        return said

    def _choose(self, asked: Asked) -> str:
        if not self._last_words:
            return self.case.says
        truth, kind, expect = self.case.truth, asked.kind, asked.listen.expect
        question = _question(asked.sentences)
        if expect == Expect.YES_NO:
            if kind == Kind.CONFIRM.value:
                return self._read_back(question or " ".join(asked.sentences))
            if asked.about:  # a warning sign, the safety check, or places: yes when any of them is true
                return YES if set(asked.about) & set(truth.warnings + truth.locations) else NO
            if kind == Kind.PROMPT.value and self._last_answer:  # the same question asked again
                return self._last_answer
            if question == self._finish_question:  # they were trying to say goodbye
                return YES if self._owe_goodbye or self._last_words == GOODBYE else NO
            return self._yes_no(question) if question else self._last_answer or NO
        if kind == Kind.WHICH.value:
            return warning_words(truth.warnings[0], self._kb) if truth.warnings else NONE_OF_THEM
        if kind == Kind.WHERE.value:
            return place_words(truth.locations[0], self._kb) if truth.locations else DONT_KNOW
        if question is not None and (expect == Expect.CHOICE or kind == Kind.QUESTION.value):
            return self._choice(question, expect == Expect.CHOICE)
        if self._owe_goodbye:
            return GOODBYE
        return self._last_words  # a re-prompt, or a request to say it again

    def _read_back(self, question: str) -> str:
        """Yes when what was read back keeps every place and warning sign of what they said."""
        meant = self._understand(self._last_words)
        read = self._understand(question)
        kept = set(meant.locations) <= set(read.locations) and set(meant.warnings) <= set(read.warnings)
        return YES if kept else NO

    def _yes_no(self, question: str) -> str:
        """A yes/no question with nothing to say what it is about: read its words."""
        truth = self.case.truth
        about = self._understand(question)
        if about.warnings:
            return YES if set(about.warnings) & set(truth.warnings) else NO
        if about.locations:
            return YES if set(about.locations) & set(truth.locations) else NO
        return NO_THANKS

    def _choice(self, question: str, asked_choice: bool) -> str:
        """A follow-up question: a place when it asks where, else their description again."""
        truth = self.case.truth
        about = self._understand(question)
        plain = f" {' '.join(words(question))} "
        if (asked_choice and about.locations) or any(f" {word} " in plain for word in WHERE_WORDS):
            return place_words(truth.locations[0], self._kb) if truth.locations else DONT_KNOW
        return self.case.says


def _question(sentences: tuple[str, ...]) -> str | None:
    """The question among the sentences: the last one that asks."""
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return asking[-1] if asking else None


def place_words(location_id: str, kb: KnowledgeBase) -> str:
    """A place as a person names it: "my calf", from the knowledge base's title ("the calf")."""
    titles = {location.id: location.title for location in kb.locations}
    title = titles.get(location_id, location_id.replace("_", " ")).lower()
    return "my " + title.removeprefix("the ").strip()


def warning_words(warning_id: str, kb: KnowledgeBase) -> str:
    """A warning sign as a person describes it (data/person_words.yaml), else the sign's own title."""
    described = _person_words().get(warning_id)
    if described:
        return described
    titles = {sign.id: sign.title for sign in kb.warnings}
    return titles.get(warning_id, warning_id.replace("_", " ")).lower()


@cache
def _person_words() -> dict[str, str]:
    text = resources.files("voice.tools").joinpath("data/person_words.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["warnings"])
