"""Match what a person said against the knowledge base: compiled once, then pure, no I/O.

`Matcher(kb)` stems every phrase of the knowledge base once into an index keyed by its first
word (building it is the slow part: about 17 ms at the 95th percentile when it was done on the
first person's turn). An utterance is stemmed the same way, phrases are found with small gaps allowed ("pain below
the kneecap" matches "pain below my kneecap"), negated ones are dropped ("no swelling"),
and what is left scores topics, names locations and raises warning signs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from knowledge.model import KnowledgeBase, Match, Topic, TopicScore
from knowledge.text import BREAK, stem, tokens, words

MAX_GAP = 2  # words allowed between two words of a phrase; exceptions ("hot water bottle") must be exact
MAX_TOKENS = 400  # longer input is cut: nobody describes a symptom in more words
NEGATION_SCOPE = 5

def _stems(words: str) -> set[str]:
    return {stem(w) for w in words.split()}


_NEGATIONS = _stems("no not never without none nor neither nothing")
_PSEUDO_NEGATIONS = {(stem(a), stem(b)) for a, b in (
    ("not", "sure"), ("not", "certain"), ("no", "idea"), ("not", "only"), ("not", "just"),
    ("no", "doubt"), ("not", "know"), ("no", "matter"))}
_ABILITY = _stems("can could")
_SCOPE_ENDS = _stems("but however though although yet except apart besides just only still because since "
                     "so while which who whereas instead")

# The pack's area words ("leg") are about a person only in context: "my leg", "left leg", "leg hurts"
# (not "table leg").
_POSSESSIVES = _stems("my his her their your our both left right whole entire lower upper bad sore injured")
_AREA_AFTER = _stems("hurt hurts pain ache aches sore numb weak swollen cramp cramps feel feels")
_ANIMALS = _stems("dog dogs puppy cat cats kitten horse pony pet rabbit cow cows chicken lamb sheep goat pig paw")
# A warning word with nobody it happens to ("weak wifi signal") is not about a person.
_PERSONAL = _stems("i me my it its he she his her their we our pain painful hurt hurts ache aching sore agony "
                   "walk stand weight")
# Words that make a place name ("calf", "feet", "hip") mean the body rather than a cow or a mile.
_SYMPTOMS = _stems("twinge twinges splints hurt hurts hurting pain painful ache aches aching sore swollen swelling numb tingling stiff tight "
                   "weak injured injury twisted sprained cramp cramps throbbing burning bruised pulled strained tender "
                   "agony killing feel feels felt")
_MINE = "my"
_REWRITES = (("back of", "behind"), ("at the back", "behind"))

_PHRASE_WEIGHT = (3.0, 1.0)  # first and each further topic phrase
_CUE_WEIGHT = (1.0, 0.5)
_AFFINITY = {"mechanism": 0.6, "condition": 0.4, "overview": 0.2}
_MECHANISMS_WITH_OVERVIEW = 0.5  # a vague "why does my leg hurt" is answered by the mechanisms too


@dataclass(frozen=True)
class _Phrase:
    stems: tuple[str, ...]
    role: str  # "topic", "cue", "location", "warning", "group", "emergency", "other_part" or "exception"
    owner: str
    text: str
    group: int = 0
    negative: bool = False  # the phrase itself says "not" ("can not walk"), so it owns that negation


@dataclass(frozen=True)
class _Hit:
    phrase: _Phrase
    positions: tuple[int, ...]


@dataclass
class _Index:
    by_first: dict[str, list[_Phrase]]
    vocabulary: frozenset[str]  # unstemmed words, used to join split compounds ("knee cap")
    group_counts: dict[str, int]
    topics: dict[str, tuple[int, Topic]]  # id -> (rank order, topic)
    topics_at: dict[str, list[str]]  # location id -> topics that list it
    mechanisms: frozenset[str]
    area_words: frozenset[str]  # stems


class Matcher:
    """The knowledge base compiled for matching; `match` is a pure function of the text."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._index = _build_index(kb)

    def match(self, text: str) -> Match:
        """What `text` is about: ranked topics, pain locations, warning signs, an emergency, and whether
        it is in scope."""
        kb, index = self.kb, self._index
        said = _join_compounds(_rewrite(tokens(text)[:MAX_TOKENS]), index.vocabulary)
        stems = [stem(w) if w != BREAK else BREAK for w in said]
        found = _find(stems, index)
        other_part = any(h.phrase.role == "other_part" for h in found)
        hits = _drop_exceptions(_drop_negated(found, stems))
        emergency = _first(hits, "emergency", [e.id for e in kb.domain.emergencies])

        bodily = any(s in _SYMPTOMS for s in stems) or any(h.phrase.role in ("warning", "group", "topic") for h in hits)
        home = kb.domain.home_location
        places = [h for h in hits if h.phrase.role == "location"]
        placed = any(bodily or _possessed(stems, h.positions[0]) or h.phrase.owner == home for h in places)
        location_hits = places if placed else []
        locations = _ordered({h.phrase.owner for h in location_hits}, [loc.id for loc in kb.locations])
        warnings = _warnings(hits, index, kb)
        negated = [w for w in _warnings(_drop_exceptions(found), index, kb) if w not in warnings]
        area_positions = [i for i, s in enumerate(stems) if s in index.area_words and _area_in_context(stems, i)]
        about_area = bool(locations or area_positions)
        names_topic = any(h.phrase.role == "topic" for h in hits)
        symptom = any(s in _SYMPTOMS for s in stems)
        personal = any(s in _PERSONAL for s in stems)
        hinted = symptom and any(h.phrase.role == "cue" for h in hits)
        mentions = [h.positions[0] for h in location_hits] + area_positions
        animal = any(s in _ANIMALS for s in stems) and (
            not any(_MINE in stems[max(0, p - 2):p] for p in mentions)
            or any(_ANIMALS & set(stems[max(0, p - 2):p]) for p in mentions))
        elsewhere = other_part or any(h.phrase.role == "other_complaint" for h in hits)
        telling = [w for w in warnings if kb.warning(w).on_its_own or not elsewhere]
        if animal or (not about_area and (other_part or not (names_topic or hinted or (telling and personal)))):
            return Match(text=text, out_of_scope=True, emergency=emergency, other_part=other_part)
        return Match(text=text, topics=_score_topics(hits, locations, index, home), locations=tuple(locations),
                     warnings=tuple(warnings), about_area=about_area or names_topic, emergency=emergency,
                     other_part=other_part,
                     says_what=symptom or bool(warnings) or _names_what(hits), negated_warnings=tuple(negated))


def _names_what(hits: list[_Hit]) -> bool:
    """A topic or cue is named in words that are not just a place ("kneecap" is both a place and a cue)."""
    places = {p for h in hits if h.phrase.role == "location" for p in h.positions}
    return any(h.phrase.role in ("topic", "cue") and not places.issuperset(h.positions) for h in hits)


def _first(hits: list[_Hit], role: str, order: list[str]) -> str | None:
    """The first id, in the pack's order, of the entries `role` hits name."""
    named = {h.phrase.owner for h in hits if h.phrase.role == role}
    return next((i for i in order if i in named), None)


def _rewrite(words: list[str]) -> list[str]:
    """Say the same place one way ("back of my knee" and "at the back" are "behind")."""
    text = f" {' '.join(words)} "
    for said, meant in _REWRITES:
        text = text.replace(f" {said} ", f" {meant} ")
    return text.split()


def _area_in_context(stems: list[str], at: int) -> bool:
    return _possessed(stems, at) or bool(_AREA_AFTER & set(stems[at + 1:at + 3]))


def _possessed(stems: list[str], at: int) -> bool:
    """"my" or the like up to three words before: "my right big toe"."""
    return bool(_POSSESSIVES & set(stems[max(0, at - 3):at]))


def _build_index(kb: KnowledgeBase) -> _Index:
    phrases: list[_Phrase] = []
    for topic in kb.topics:
        phrases += [_compile(p, "topic", topic.id) for p in topic.phrases]
        phrases += [_compile(p, "cue", topic.id) for p in topic.cues]
        phrases += [_compile(p, "exception", topic.id) for p in topic.not_when]
    for location in kb.locations:
        phrases += [_compile(p, "location", location.id) for p in location.phrases]
        phrases += [_compile(p, "exception", location.id) for p in location.not_when]
    group_counts = {}
    for sign in kb.warnings:
        phrases += [_compile(p, "warning", sign.id) for p in sign.phrases]
        phrases += [_compile(p, "exception", sign.id) for p in sign.not_when]
        for number, group in enumerate(sign.together):
            phrases += [_compile(p, "group", sign.id, number) for p in group]
        group_counts[sign.id] = len(sign.together)
    for emergency in kb.domain.emergencies:
        phrases += [_compile(p, "emergency", emergency.id) for p in emergency.phrases]
        phrases += [_compile(p, "exception", emergency.id) for p in emergency.not_when]
    phrases += [_compile(p, "other_part", p) for p in kb.domain.other_body_parts]
    phrases += [_compile(p, "other_complaint", p) for p in kb.domain.other_complaints]
    by_first: dict[str, list[_Phrase]] = defaultdict(list)
    vocabulary = set()
    for phrase in phrases:
        if phrase.stems:
            by_first[phrase.stems[0]].append(phrase)
        vocabulary.update(w for w in tokens(phrase.text) if w != BREAK)
    topics_at: dict[str, list[str]] = defaultdict(list)
    for topic in kb.topics:
        for location in topic.locations:
            topics_at[location].append(topic.id)
    return _Index(dict(by_first), frozenset(vocabulary), group_counts,
                  {t.id: (n, t) for n, t in enumerate(kb.topics)}, dict(topics_at),
                  frozenset(t.id for t in kb.topics if t.kind == "mechanism"),
                  frozenset(stem(w) for phrase in kb.domain.area_words for w in words(phrase)))


def _compile(text: str, role: str, owner: str, group: int = 0) -> _Phrase:
    stems = tuple(stem(w) for w in _join_compounds(_rewrite(tokens(text)), frozenset()) if w != BREAK)
    return _Phrase(stems, role, owner, text, group, negative=any(s in _NEGATIONS for s in stems))


def _join_compounds(words: list[str], vocabulary: frozenset[str]) -> list[str]:
    """Join words a recogniser split apart ("knee cap", "menisc us", "a c l") when the joined word is known."""
    joined: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2):
            parts = words[i:i + size]
            if len(parts) == size and BREAK not in parts and not _NEGATIONS & set(parts):
                candidate = "".join(parts)
                if candidate in vocabulary:
                    joined.append(candidate)
                    i += size
                    break
        else:
            joined.append(words[i])
            i += 1
    return joined


def _find(stems: list[str], index: _Index) -> list[_Hit]:
    hits = []
    for start, first in enumerate(stems):
        for phrase in index.by_first.get(first, ()):
            positions = _match_at(stems, start, phrase.stems, 0 if phrase.role == "exception" else MAX_GAP)
            if positions:
                hits.append(_Hit(phrase, positions))
    return hits


def _match_at(stems: list[str], start: int, wanted: tuple[str, ...], max_gap: int) -> tuple[int, ...] | None:
    positions = [start]
    at = start
    for word in wanted[1:]:
        for step in range(1, max_gap + 2):
            nxt = at + step
            if nxt >= len(stems) or stems[nxt] == BREAK:
                return None
            if stems[nxt] == word:
                at = nxt
                positions.append(at)
                break
        else:
            return None
    return tuple(positions)


def _drop_negated(hits: list[_Hit], stems: list[str]) -> list[_Hit]:
    """Remove hits inside the scope of a "no"/"not" that no positive phrase owns."""
    owned = {p for h in hits if h.phrase.negative for p in h.positions}
    negated: set[int] = set()
    for cue, word in enumerate(stems):
        if word not in _NEGATIONS or cue in owned:
            continue
        if cue + 1 < len(stems) and (word, stems[cue + 1]) in _PSEUDO_NEGATIONS:
            continue
        if cue > 0 and stems[cue - 1] in _ABILITY:  # "can't straighten it" is a symptom, not an absence
            continue
        for position in range(cue + 1, min(len(stems), cue + 1 + NEGATION_SCOPE)):
            current = stems[position]
            if current == BREAK or current in _SCOPE_ENDS:
                break
            if current == "and":  # "no clicking and numbness": when unsure, the sign is raised
                break
            negated.add(position)
    return [h for h in hits if h.phrase.negative or h.phrase.role == "location" or h.positions[0] not in negated]


def _drop_exceptions(hits: list[_Hit]) -> list[_Hit]:
    """Remove hits inside a phrase their entry lists as not meaning it ("hot water bottle", "upper back")."""
    covered = {(h.phrase.owner, p) for h in hits if h.phrase.role == "exception" for p in h.positions}
    return [h for h in hits if h.phrase.role != "exception"
            and not any((h.phrase.owner, p) in covered for p in h.positions)]


def _warnings(hits: list[_Hit], index: _Index, kb: KnowledgeBase) -> list[str]:
    raised = {h.phrase.owner for h in hits if h.phrase.role == "warning"}
    groups: dict[str, set[int]] = defaultdict(set)
    for hit in hits:
        if hit.phrase.role == "group":
            groups[hit.phrase.owner].add(hit.phrase.group)
    raised |= {owner for owner, found in groups.items() if len(found) == index.group_counts[owner]}
    order = sorted(kb.warnings, key=lambda w: (w.urgency != "urgent", kb.warnings.index(w)))
    return [w.id for w in order if w.id in raised]


def _score_topics(hits: list[_Hit], locations: list[str], index: _Index, home: str) -> tuple[TopicScore, ...]:
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for hit in hits:
        if hit.phrase.role in ("topic", "cue"):
            found[hit.phrase.owner][hit.phrase.role].add(hit.phrase.text)
    elsewhere = [loc for loc in locations if loc != home]
    candidates = set(found) | {t for loc in elsewhere for t in index.topics_at.get(loc, ())}
    overview_heard = any(index.topics[t][1].kind == "overview" for t in found)
    if overview_heard:
        candidates |= index.mechanisms
    scored = []
    for topic_id in candidates:
        order, topic = index.topics[topic_id]
        why = found.get(topic_id, {})
        score = _weigh(len(why.get("topic", ())), _PHRASE_WEIGHT) + _weigh(len(why.get("cue", ())), _CUE_WEIGHT)
        near = [loc for loc in elsewhere if loc in topic.locations]
        score += _AFFINITY.get(topic.kind, 0.0) * len(near)
        if overview_heard and topic_id in index.mechanisms:
            score += _MECHANISMS_WITH_OVERVIEW
        reasons = sorted(why.get("topic", set())) + sorted(why.get("cue", set())) + [f"location:{loc}" for loc in near]
        scored.append((-score, order, TopicScore(topic_id, round(score, 3), tuple(reasons))))
    return tuple(item[2] for item in sorted(scored))


def _weigh(count: int, weights: tuple[float, float]) -> float:
    return 0.0 if count == 0 else weights[0] + weights[1] * (count - 1)


def _ordered(ids: set[str], order: list[str]) -> list[str]:
    return [i for i in order if i in ids]
