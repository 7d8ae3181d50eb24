"""Classify one utterance, once: a command, a yes/no answer, politeness, a description, an emergency.

The dialogue's handlers then only decide what to do with a typed `Utterance` in their state;
none of them looks at the words again.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from knowledge.model import Match
from knowledge.understanding import Understanding, understand
from voice.conversation.commands import (SHORT_REQUEST_WORDS, Command, answer_to_question, find_command, is_polite,
                                         leading_command, word_count, yes_or_no)
from voice.conversation.events import Expect, Heard


class Kind(str, Enum):
    EMPTY = "empty"  # nothing but whitespace or control characters
    COMMAND = "command"
    ANSWER = "answer"  # yes or no (with a correction after it, when a yes/no question was asked)
    POLITENESS = "politeness"  # thanks, a greeting, an acknowledgement
    DESCRIPTION = "description"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Utterance:
    kind: Kind
    text: str = ""  # printable
    typed: bool = False
    confidence: float = 1.0
    command: Command | None = None
    yes: bool | None = None  # ANSWER: True for yes, False for no
    rest: str = ""  # ANSWER: what followed it ("no, pain in my calf")
    understanding: Understanding | None = None  # DESCRIPTION and EMERGENCY
    agreed: bool = False  # COMMAND: the recogniser's next guess (the narrow one's, when it heard one) names it too

    @property
    def match(self) -> Match:
        assert self.understanding is not None, self.kind
        return self.understanding.match

    @property
    def known(self) -> bool:
        """The description names something the knowledge base knows (a topic, a place or a sign)."""
        found = self.understanding.match if self.understanding else None
        return bool(found and (found.topics or found.locations or found.warnings))

    @property
    def words(self) -> int:
        return word_count(self.text)


def printable(text: str) -> str:
    """Text without control or format characters, whitespace runs made single spaces.

    What was heard is read back aloud and captioned, so a typed escape sequence or a stray
    NUL must reach neither the synthesiser nor the kiosk's screen.
    """
    kept = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(kept.split())


def classify(heard: Heard, expect: Expect, match: Callable[[str], Match], *,
             reading: Callable[[str], str] = lambda text: text, min_confidence: float | None = None) -> Utterance:
    """What `heard` is, given what the dialogue expects next.

    `reading` turns the words into the description to understand (a follow-up answer is read
    together with the description it is about). A yes or no followed by more words is an answer
    only when a yes/no question is pending; otherwise the whole is a description ("no, my leg hurts").
    """
    text = printable(heard.text)
    base = dict(text=text, typed=heard.typed, confidence=heard.confidence)
    if not text:
        return Utterance(Kind.EMPTY, **base)
    command = find_command(text)
    if command is not None:
        others = [a for a in heard.alternatives if not a.generic][:1]
        agreed = any(find_command(a.text) == command for a in others)
        return Utterance(Kind.COMMAND, command=command, agreed=agreed, **base)
    yes, rest = answer_to_question(text) if expect == Expect.YES_NO else yes_or_no(text)
    if expect == Expect.YES_NO and yes is not None:
        return Utterance(Kind.ANSWER, yes=yes, rest=rest, **base)
    if is_polite(text):
        return Utterance(Kind.POLITENESS, **base)
    if expect == Expect.YES_NO:
        yes = _answered_in_guesses(heard)
        if yes is not None:
            return Utterance(Kind.ANSWER, yes=yes, **base)
    if yes is not None and not rest:
        return Utterance(Kind.ANSWER, yes=yes, **base)
    options = {} if min_confidence is None else {"min_confidence": min_confidence}
    read = reading(text)
    # A generic model's guess checks the words heard, not a reading that adds the context to them.
    guesses = heard.alternatives if read == text else tuple(a for a in heard.alternatives if not a.generic)
    understood = understand(read, match, confidence=heard.confidence, typed=heard.typed,
                            alternatives=guesses, **options)
    padded = leading_command(text)
    said = understood.match if padded is None or reading(text) == text else match(text)
    if padded is not None and not (said.topics or said.locations or said.warnings):
        return Utterance(Kind.COMMAND, command=padded, **base)  # "repeat off": the recogniser padded a command
    kind = Kind.EMERGENCY if understood.match.emergency else Kind.DESCRIPTION
    return Utterance(kind, understanding=understood, **base)


def _answered_in_guesses(heard: Heard) -> bool | None:
    """A short reply at a yes/no question that the recogniser's other guesses hold as a whole answer,
    all the same way: a Scottish voice's "no" was heard "sole", with "no" fourth of its guesses.
    Across 7 voices at 3 rates, yes/no replies read right 149 -> 156 of 168, none the wrong way; of
    175 short replies that are not answers, 1 more was read as one. A guess that only begins with
    a yes or no does not count: "a sharp pain" had "no sharp pain" among its guesses."""
    if word_count(heard.text) > SHORT_REQUEST_WORDS:
        return None
    read = {answer_to_question(a.text) for a in heard.alternatives if not a.generic}
    polarity = {yes for yes, rest in read if yes is not None and not rest}
    return polarity.pop() if len(polarity) == 1 else None
