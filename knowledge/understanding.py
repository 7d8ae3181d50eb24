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
other guesses do not agree about what it is about is reported as not understood. A generic language
model heard the same audio too (a guess marked `generic`): it rarely invents leg words but often
hears what was really said ("my chest", "my face"), so where it does not bear out the domain model's
reading of the area, an unsure reading is not understood, and signs it holds are confirmed, not
advised (signs in its flipped words or other guesses are still asked about). Where the generic model
heard another part of the body instead, the reading is not understood and its signs are dropped.
An emergency in any other guess, the generic model's included, is asked about before all of that.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from knowledge.model import Match
from knowledge.text import BREAK, tokens

# Below this recogniser confidence a transcript needs its other guesses to agree with it.
MIN_CONFIDENCE = 0.7
# Below this, a transcript that raises no sign is not trusted, even when its guesses agree (the domain
# language model bends them all alike), and reading it back would only invite a "yes" to words never
# said. On real laptop recordings (PocketSphinx) it lifted other complaints handled from 59% to 73% and
# cost 1 of 14 knee complaints (those go on to guided questions). A sign asked about does not lift it (nor a
# reading the generic model does not bear out): other complaints handled 87.3% -> 91.5%, warning recall,
# false alarms and confirm rate unchanged, 2 more of the 14 unsure (their signs are still asked about).
MIN_TRUSTED = 0.4
# Share of the other guesses that must agree with the best one about what it is about.
MIN_AGREEMENT = 0.5
MAX_ALTERNATIVES = 8  # PocketSphinx's top 8 held the right words in every checked miss
# Share of the other guesses that must hold a sign the best one lacks before it is asked about:
# on real laptop recordings, mostly of other complaints, a sign in 1 or 2 of 8 guesses was noise
# (confirm rate 14% of warning-free utterances); a misheard "can't walk" was in 6 of 8.
MIN_SUPPORT = 0.3
# Below this confidence a reading of the area the generic model does not share is not trusted; below
# OTHER_PART_CONFIDENCE when the generic model heard another body part. On real laptop recordings
# (PocketSphinx with its N-best list) 0.6, and 0.9 with another part dropping the signs too, took
# other complaints handled from 71% to 87% and false alarms from 9.4% to 3.1%, at a confirm rate of
# 12% instead of 9%, warning recall kept, and 4 of 14 leg complaints unsure instead of 1; on espeak
# voices, whose words the generic model hardly hears, unsure leg complaints rose from 8% to 36%.
BENT_CONFIDENCE = 0.6
OTHER_PART_CONFIDENCE = 0.9
# Other guesses that must all lack a sign of a reading not trusted before the sign is dropped unasked.
MIN_WITNESSES = 4
MIN_EMERGENCY_READINGS = 2  # other readings that must raise the same emergency before it is asked about
MAX_CONFIRM_WORDS = 14  # a question longer than this is not a short yes/no question

# Words recognisers flip, each with its opposite; a word followed by "not" is flipped by dropping it.
_FLIP_TO_NEGATIVE = frozenset("can could do does did is are was were will would".split())
_FLIP_SWAP = {"no": "now", "now": "no"}
# Said almost only after a negation ("i can't put any weight"): heard without one, the negation was likely lost
# (at the live microphone with the room echo, "can't" went missing entirely in 2 of 4 runs).
_NEGATIVE_POLARITY = frozenset({"any"})
_NEGATIVE = frozenset("not no never nothing without hardly barely".split())
_CLAUSE_ENDS = frozenset("and but so because although though while".split())
_SECOND_PERSON = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
                  "im": "you are", "ive": "you have"}
_CONTRACT = {"can": "can't", "do": "don't", "does": "doesn't", "did": "didn't", "is": "isn't", "are": "aren't",
             "was": "wasn't", "were": "weren't", "will": "won't", "could": "couldn't", "would": "wouldn't"}


class Guess(Protocol):
    """Another transcript of the same utterance (the recogniser's `Alternative`); `generic` when a
    generic language model heard it, as a check on the domain model."""

    text: str
    score: float
    generic: bool


@dataclass(frozen=True)
class Understanding:
    """What one utterance was understood to say.

    `match`: the reading to answer. `confirm`: warning signs (or an emergency) found only in another
    reading, to ask about before advising; `confirm_words` is that reading's clause in the second person
    ("you can't put any weight on your leg") and `confirm_match` the reading to answer on "yes";
    `confirm_heard`: that reading is the best guess (or it with a flipped word), not another guess.
    `unsure`: spoken and barely heard, or not confidently heard while the other guesses disagree about
    what it is about: not understood (never explained; with `confirm`, not even when the answer is "no").
    """

    match: Match
    confirm: tuple[str, ...] = ()
    confirm_words: str = ""
    confirm_match: Match | None = None
    confirm_heard: bool = True
    unsure: bool = False
    agreement: float | None = None  # share of other guesses that agree; None without any


def understand(text: str, match: Callable[[str], Match], *, confidence: float = 1.0,
               alternatives: Sequence[Guess] = (), typed: bool = False,
               min_confidence: float = MIN_CONFIDENCE) -> Understanding:
    """What `text` (and, when spoken, its other guesses) says, and what must be confirmed first."""
    best = match(text)
    if typed or best.emergency:  # a typed line is what the person meant; an emergency is never held back
        return Understanding(best)
    generic = next((g.text for g in alternatives if g.generic), None)
    others = [g.text for g in alternatives if not g.generic and g.text.strip()][:MAX_ALTERNATIVES]
    seen: dict[str, Match] = {text: best}
    usual = _understood(text, best, confidence, generic, others, seen, match, min_confidence)
    emergency = _emergency_elsewhere(best, [*others, *([generic] if generic else [])], seen, match)
    if emergency is None:
        return usual
    reading, found = emergency
    return Understanding(usual.match, (found.emergency,), _confirm_words(reading, (found.emergency,), match), found,
                         confirm_heard=False, unsure=usual.unsure)


def _understood(text: str, best: Match, confidence: float, generic: str | None, others: list[str],
                seen: dict[str, Match], match: Callable[[str], Match], min_confidence: float) -> Understanding:
    """What the guesses say when none of the others raises an emergency."""
    other_matches = [seen[t] if t in seen else seen.setdefault(t, match(t)) for t in others]
    other_words = [_words(t) for t in others]
    checked = match(generic) if generic is not None and not best.out_of_scope else None
    bent = checked is not None and _bent(best, checked, confidence)
    if bent and checked.other_part:  # what was said is about another part of the body
        return Understanding(replace(best, warnings=()), unsure=True)
    # Not trusted whatever else is found: a sign asked about first does not make the rest understood.
    untrusted = not best.out_of_scope and (bent or confidence < MIN_TRUSTED)
    if best.warnings and untrusted and _unheld(best.warnings, other_matches):
        return Understanding(replace(best, warnings=()), unsure=True)
    if best.warnings and (bent or not _heard_clearly(best, other_matches, confidence, min_confidence)):
        words = _confirm_words(text, best.warnings, match)
        return Understanding(replace(best, warnings=()), best.warnings, words, best, unsure=untrusted)
    for reading, evidence in flipped(text):
        found = match(reading)
        new = _new_signs(best, found)
        # Asked only when the recogniser considered it: another guess holds the flipped word, or holds
        # the sign in other words ("now it looks out of shape" heard "... don't looks out of shape",
        # with "... end up it looks out of shape" among the guesses).
        if new and (not others or any(_contains(words, evidence) for words in other_words)
                    or any(set(new) & set(_new_signs(best, m)) for m in other_matches)):
            return Understanding(best, new, _confirm_words(reading, new, match), found, unsure=untrusted)
    for sign in _supported_signs(best, other_matches):
        reading, found = next((t, m) for t, m in zip(others, other_matches) if sign in _new_signs(best, m))
        new = _new_signs(best, found)
        return Understanding(best, new, _confirm_words(reading, new, match), found, confirm_heard=False,
                             unsure=untrusted)
    agreement = _agreement(best, other_matches) if other_matches else None
    unsure = not best.warnings and (untrusted or (
        not best.out_of_scope and agreement is not None and agreement < MIN_AGREEMENT and confidence < min_confidence))
    return Understanding(best, unsure=unsure, agreement=agreement)


def flipped(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """`text` with each word recognisers flip (can/can't, now/no, is/isn't, ...) flipped in turn.

    Each reading comes with the words that show a recogniser considered it ("can not", "now").
    "no" is flipped only where a clause starts ("no the pain is ..."): inside one it negates
    ("there is no swelling"), which is how people rule a sign out. A clause with "any" and no
    negation gets one before the word ahead of it ("put any weight" -> "can not put any weight"):
    the word itself is the evidence.
    """
    words = _words(text)
    readings = []
    for at, word in enumerate(words):
        if word in _FLIP_SWAP and (word != "no" or at == 0 or words[at - 1] == BREAK or words[at - 1] in _CLAUSE_ENDS):
            swapped = _FLIP_SWAP[word]
            readings.append((words[:at] + [swapped] + words[at + 1:], (swapped,)))
        elif word in _FLIP_TO_NEGATIVE:
            if at + 1 < len(words) and words[at + 1] == "not":
                readings.append((words[:at + 1] + words[at + 2:], (word, *words[at + 2:at + 3])))
            else:
                readings.append((words[:at + 1] + ["not"] + words[at + 1:], (word, "not")))
        elif word in _NEGATIVE_POLARITY and at > 0 and not _negated_or_flippable(words, at):
            subject = ["i"] if _clause_start(words, at) == at - 1 else []  # "and put any weight": "and i can not put"
            readings.append((words[:at - 1] + subject + ["can", "not"] + words[at - 1:], ()))
    return [(_text(r), evidence) for r, evidence in readings]


def _clause_start(words: list[str], at: int) -> int:
    return max((i + 1 for i in range(at) if words[i] == BREAK or words[i] in _CLAUSE_ENDS), default=0)


def _negated_or_flippable(words: list[str], at: int) -> bool:
    """The clause before `at` holds a negation, or a word flipped on its own ("can", "is")."""
    return any(w in _NEGATIVE or w in _FLIP_TO_NEGATIVE for w in words[_clause_start(words, at):at])


def _bent(best: Match, generic: Match, confidence: float) -> bool:
    """The domain model's reading of the area is not borne out by the generic model's.

    The domain model bent 54 of 118 real recordings of other complaints into leg words, the generic
    model 1; it misses most real ones too, so its silence about the area counts only when the domain
    reading was not heard confidently.
    """
    if not generic.out_of_scope and (set(best.locations) & set(generic.locations) or not best.locations):
        return False
    return confidence < (OTHER_PART_CONFIDENCE if generic.other_part else BENT_CONFIDENCE)


def _emergency_elsewhere(best: Match, readings: list[str], seen: dict[str, Match],
                         match: Callable[[str], Match]) -> tuple[str, Match] | None:
    """The first other reading (an N-best guess or the generic model's) that raises an emergency the
    best one lacks, when another reading raises it too. Unlike a warning sign, two guesses of nine
    are enough to ask: missing "i can't breathe and my chest hurts" (heard "i can sleep and my just
    hurts", with chest pain in 2 of 8 guesses and trouble breathing in one and in the generic
    model's) costs far more than one yes/no question; a single stray guess asked about crisis words
    in "my wrist hurts when i type"."""
    raised: dict[str, list[tuple[str, Match]]] = {}
    for reading in readings:
        found = seen[reading] if reading in seen else seen.setdefault(reading, match(reading))
        if found.emergency and found.emergency != best.emergency:
            raised.setdefault(found.emergency, []).append((reading, found))
    return next((held[0] for held in raised.values() if len(held) >= MIN_EMERGENCY_READINGS), None)


def _heard_clearly(best: Match, others: list[Match], confidence: float, min_confidence: float) -> bool:
    """Signs in the best guess are clear unless it was unsure and the other guesses do not hold any of them.

    On real laptop recordings of other complaints, the language model's knee words raised signs
    that no other guess held (7 of 17 false alarms); every true sign was held by 5 or more of 8.
    """
    if not others or confidence >= min_confidence:
        return True
    return any(sign in _supported(best.warnings, others) for sign in best.warnings)


def _unheld(signs: tuple[str, ...], others: list[Match]) -> bool:
    """None of enough other guesses holds any of the signs: in a reading not trusted, a slip of the
    language model, not worth a question (the safety check still asks about every sign). On real
    laptop recordings, 3 of 14 questions on warning-free utterances were such signs; no true sign was."""
    return len(others) >= MIN_WITNESSES and not any(set(signs) & set(found.warnings) for found in others)


def _supported(signs: tuple[str, ...], others: list[Match]) -> set[str]:
    needed = max(1.0, MIN_SUPPORT * len(others))
    return {sign for sign in signs if sum(sign in found.warnings for found in others) >= needed}


def _new_signs(best: Match, found: Match) -> tuple[str, ...]:
    """Warning signs, and an emergency, that `found` raises and the best guess does not."""
    signs = tuple(w for w in found.warnings if w not in best.warnings)
    return (found.emergency, *signs) if found.emergency and found.emergency != best.emergency else signs


def _supported_signs(best: Match, others: list[Match]) -> list[str]:
    """Signs not in the best guess that enough other guesses hold (one stray guess is noise)."""
    counts: dict[str, int] = {}
    for found in others:
        for sign in _new_signs(best, found):
            counts[sign] = counts.get(sign, 0) + 1
    needed = max(1.0, MIN_SUPPORT * len(others))
    return [sign for sign, count in counts.items() if count >= needed]


def _contains(words: list[str], wanted: tuple[str, ...]) -> bool:
    size = len(wanted)
    return any(tuple(words[i:i + size]) == wanted for i in range(len(words) - size + 1))


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
    saying = [c for c in clauses if set(signs) <= _raised(match(_text(c)))]
    chosen = min(saying, key=len) if saying else [w for w in _words(reading) if w != BREAK]
    return second_person(_text(chosen[:MAX_CONFIRM_WORDS]))


def _raised(found: Match) -> set[str]:
    return set(found.warnings) | ({found.emergency} if found.emergency else set())


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
