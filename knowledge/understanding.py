"""Decide what was understood from a recogniser's guesses, not from its best guess alone.

A pure function over the best transcript, its confidence and the recogniser's other guesses.
Recognisers lose warning signs in two ways that are cheap to see: the right words are in one of
their other guesses ("i can't put any weight" heard as "i can put any weight", with the right
words in PocketSphinx's own top 8), or the sense hinges on a short word they flip (can / can't,
now / no, is / isn't, do / don't). Both are found generically: every other guess, and the
transcript with each such word flipped, is matched again; a sign found only there is confirmed
with a short yes/no question instead of being advised or dropped. A sign in the best transcript
is advised at once, however unsure the recogniser was.

A domain language model also bends unrelated speech into knee words ("tell me a joke" heard as
"the knee on to walk"); such guesses rarely agree with each other, so an unsure transcript whose
other guesses do not agree about what it is about is reported as not understood.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from knowledge.model import Match
from knowledge.text import BREAK, tokens

# Below this recogniser confidence a transcript needs its other guesses to agree with it.
MIN_CONFIDENCE = 0.7
# Share of the other guesses that must agree with the best one about what it is about.
MIN_AGREEMENT = 0.5
MAX_ALTERNATIVES = 8  # PocketSphinx's top 8 held the right words in every checked miss
MAX_CONFIRM_WORDS = 14  # a question longer than this is not a short yes/no question

# Words recognisers flip, each with its opposite; a word followed by "not" is flipped by dropping it.
_FLIP_TO_NEGATIVE = frozenset("can could do does did is are was were will would".split())
_FLIP_SWAP = {"no": "now", "now": "no"}
_CLAUSE_ENDS = frozenset("and but so because although though while".split())
_SECOND_PERSON = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
                  "im": "you are", "ive": "you have"}
_CONTRACT = {"can": "can't", "do": "don't", "does": "doesn't", "did": "didn't", "is": "isn't", "are": "aren't",
             "was": "wasn't", "were": "weren't", "will": "won't", "could": "couldn't", "would": "wouldn't"}


class Guess(Protocol):
    """Another transcript of the same utterance (the recogniser's `Alternative`)."""

    text: str
    score: float


@dataclass(frozen=True)
class Understanding:
    """What one utterance was understood to say.

    `match`: the reading to answer. `confirm`: warning signs found only in another reading, to
    ask about before advising; `confirm_words` is that reading's clause in the second person
    ("you can't put any weight on your leg") and `confirm_match` the reading to answer on "yes".
    `unsure`: spoken, not confidently heard, and the other guesses disagree: not understood.
    """

    match: Match
    confirm: tuple[str, ...] = ()
    confirm_words: str = ""
    confirm_match: Match | None = None
    unsure: bool = False
    agreement: float | None = None  # share of other guesses that agree; None without any


def understand(text: str, match: Callable[[str], Match], *, confidence: float = 1.0,
               alternatives: Sequence[Guess] = (), typed: bool = False,
               min_confidence: float = MIN_CONFIDENCE) -> Understanding:
    """What `text` (and, when spoken, its other guesses) says, and what must be confirmed first."""
    best = match(text)
    if typed:  # a typed line is exactly what the person meant
        return Understanding(best)
    others = _other_texts(text, alternatives)
    other_matches = [match(t) for t in others]
    for reading, found in [(t, match(t)) for t in flipped(text)] + list(zip(others, other_matches)):
        new = tuple(w for w in found.warnings if w not in best.warnings)
        if new:
            return Understanding(best, new, _confirm_words(reading, new, match), found)
    agreement = _agreement(best, other_matches) if other_matches else None
    unsure = (not best.out_of_scope and not best.warnings and agreement is not None
              and agreement < MIN_AGREEMENT and confidence < min_confidence)
    return Understanding(best, unsure=unsure, agreement=agreement)


def flipped(text: str) -> list[str]:
    """`text` with each word recognisers flip (can/can't, now/no, is/isn't, ...) flipped in turn."""
    words = _words(text)
    readings = []
    for at, word in enumerate(words):
        if word in _FLIP_SWAP:
            readings.append(words[:at] + [_FLIP_SWAP[word]] + words[at + 1:])
        elif word in _FLIP_TO_NEGATIVE:
            if at + 1 < len(words) and words[at + 1] == "not":
                readings.append(words[:at + 1] + words[at + 2:])
            else:
                readings.append(words[:at + 1] + ["not"] + words[at + 1:])
    return [_text(r) for r in readings]


def second_person(clause: str) -> str:
    """'i can not put weight on my leg' -> "you can't put weight on your leg"."""
    words = [_SECOND_PERSON.get(w, w) for w in clause.split()]
    spoken: list[str] = []
    for word in words:
        if word == "not" and spoken and spoken[-1] in _CONTRACT:
            spoken[-1] = _CONTRACT[spoken[-1]]
        else:
            spoken.append(word)
    return " ".join(spoken)


def _other_texts(text: str, alternatives: Sequence[Guess]) -> list[str]:
    seen = {" ".join(_words(text))}
    others = []
    for guess in alternatives[:MAX_ALTERNATIVES]:
        key = " ".join(_words(guess.text))
        if key and key not in seen:
            seen.add(key)
            others.append(guess.text)
    return others


def _agreement(best: Match, others: list[Match]) -> float:
    """Share of other guesses about the same thing: a shared place, or the same leading topic."""
    if best.out_of_scope:
        return sum(m.out_of_scope for m in others) / len(others)
    places = set(best.locations)
    leading = {t.id for t in best.topics[:2]}
    agree = [not m.out_of_scope and bool(places & set(m.locations) or leading & {t.id for t in m.topics[:2]})
             for m in others]
    return sum(agree) / len(others)


def _confirm_words(reading: str, signs: tuple[str, ...], match: Callable[[str], Match]) -> str:
    """The shortest clause of `reading` that still says the signs, in the second person."""
    clauses = _clauses(_words(reading))
    saying = [c for c in clauses if set(signs) <= set(match(_text(c)).warnings)]
    chosen = min(saying, key=len) if saying else [w for w in _words(reading) if w != BREAK]
    return second_person(_text(chosen[:MAX_CONFIRM_WORDS]))


def _clauses(words: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for word in words:
        if word == BREAK or word in _CLAUSE_ENDS:
            clauses.append([])
        else:
            clauses[-1].append(word)
    return [c for c in clauses if c]


def _words(text: str) -> list[str]:
    return tokens(text)


def _text(words: list[str]) -> str:
    return " ".join("," if w == BREAK else w for w in words).replace(" ,", ",").strip(", ")
