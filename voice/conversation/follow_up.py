"""One question about a vague description, and how its answer is read together with it.

A description that names only the knee, or a topic but no place (the pack's general overview
counts as none, however plainly it was named: "my leg hurts" says nothing of where), or two topics
that score alike, gets one question; whatever the answer, the conversation then goes on to an
explanation. A description that already holds one of the question's answers ("it hurts all over my
leg") is not asked it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.model import FollowUpQuestion, Match
from voice.conversation.commands import normalise

CLOSE_SCORES = 0.8  # the runner-up has at least this share of the top score
NAMED_TOPIC_SCORE = 3.0  # a topic phrase was said outright: no need to ask

# Which question serves which vagueness, by the question's id in the pack.
HOME = "home"  # only the home location was named: where in it?
WHERE = "where"  # a topic but no place
WORSE = "worse"  # two topics score alike: what makes it worse?


@dataclass(frozen=True)
class FollowUp:
    """A question; `anchor` completes a bare answer ("in front" -> "in front of my knee")."""

    id: str
    question: str
    anchor: str = ""
    choices: tuple[str, ...] = ()

    def read(self, previous: Match, answer: str, own: Match) -> str:
        """The answer with the description it answers, unless it is a new description of another place.

        `own` is the answer understood on its own: naming only places the first description did not
        ("my shin aches when I run" after a question about the knee) makes it a new description.
        """
        if previous.locations and own.locations and not set(own.locations) & set(previous.locations):
            return answer
        return self.combine(previous.text, answer)

    def answered_in(self, text: str) -> bool:
        """Whether `text` already holds one of the answers the question offers."""
        said = f" {normalise(text)} "
        return any(f" {normalise(choice)} " in said for choice in self.choices)

    def combine(self, previous: str, answer: str) -> str:
        """What to understand: the first description and the answer together."""
        noun = self.anchor.split()[-1] if self.anchor else ""
        named = noun and any(word.startswith(noun) for word in normalise(answer).split())
        return " ".join(part for part in (previous, answer, "" if named else self.anchor) if part)


def choose(match: Match, follow_ups: Sequence[FollowUpQuestion | FollowUp], home: str,
           general: str = "") -> FollowUp | None:
    """The question to ask about `match` (from the pack's `follow_ups`), or None when it can be answered
    as it is. `general`: the id of the pack's overview, which a place makes specific."""
    if match.out_of_scope or match.warnings:
        return None  # warning signs are never held back behind a question
    top = match.topics[0] if match.topics else None
    if top is None:
        wanted = HOME if match.locations == (home,) else ""
    elif top.score >= NAMED_TOPIC_SCORE and top.id != general:
        wanted = ""
    elif not match.locations:
        wanted = WHERE
    elif len(match.topics) > 1 and match.topics[1].score >= CLOSE_SCORES * top.score:
        wanted = WORSE
    else:
        wanted = ""
    question = next((f for f in follow_ups if f.id == wanted), None) if wanted else None
    return None if question is None else FollowUp(question.id, question.question, question.anchor, tuple(question.choices))
