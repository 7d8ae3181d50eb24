"""The knowledge base's entries and the match result, as plain immutable values.

The pack's schema is these dataclasses: the loader reads field names, types and defaults from
them (a field without a default is required) and the extra rules from `rule(...)` metadata.
"""
from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field
from typing import Any


def rule(default: Any = MISSING, *, is_id: bool = False, one_of: tuple[str, ...] = (), refers_to: str = "",
         contains: tuple[str, ...] = ()) -> Any:
    """A field with a check beyond its type: an id, one of some values, the id of another
    entry (`refers_to` names the section), or text (each phrase of a list) that must contain placeholders."""
    metadata = {"is_id": is_id, "one_of": one_of, "refers_to": refers_to, "contains": contains}
    return field(metadata=metadata) if default is MISSING else field(default=default, metadata=metadata)


@dataclass(frozen=True, kw_only=True)
class Topic:
    """A condition, a mechanism or the overview: something the assistant can explain."""

    id: str = rule(is_id=True)
    kind: str = rule(one_of=("condition", "mechanism", "overview"))
    title: str
    summary: str
    more: str
    phrases: tuple[str, ...]
    locations: tuple[str, ...] = rule((), refers_to="locations")
    cues: tuple[str, ...] = ()
    source: str
    not_when: tuple[str, ...] = ()  # phrases that contain a phrase of this entry but mean something else


@dataclass(frozen=True, kw_only=True)
class Location:
    """A part of the body where trouble from the home location can be felt."""

    id: str = rule(is_id=True)
    title: str
    phrases: tuple[str, ...]
    summary: str
    source: str
    not_when: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class WarningSign:
    """A sign that needs a professional; its advice is spoken before anything else."""

    id: str = rule(is_id=True)
    title: str
    phrases: tuple[str, ...]
    advice: str
    urgency: str = rule(one_of=("urgent", "soon"))
    source: str
    together: tuple[tuple[str, ...], ...] = ()  # raised when one phrase of every group is heard
    not_when: tuple[str, ...] = ()  # phrases that look like the sign but are not ("hot water bottle")
    ask: str = ""  # the sign said back in a question ("you can't put weight on your leg"), second person
    short: str = ""  # its name in a spoken list of choices ("unable to stand"); the title when empty
    # False when its phrases say how long, not what ("for weeks", "won't go away"): a cough lasts too,
    # so beside another body part or complaint the sign does not put speech in scope.
    on_its_own: bool = True


@dataclass(frozen=True, kw_only=True)
class FollowUpQuestion:
    """One question about a vague description; the dialogue picks it by id ("home", "where", "worse")."""

    id: str = rule(is_id=True)
    question: str
    anchor: str = ""  # completes a bare answer ("in front" -> "... in front of my knee")
    choices: tuple[str, ...] = ()  # the answers it offers (spoken words), for a narrow recogniser grammar


@dataclass(frozen=True, kw_only=True)
class Emergency:
    """Something that needs emergency help or a crisis line now, whatever the pack is about."""

    id: str = rule(is_id=True)
    kind: str = rule(one_of=("emergency", "crisis"))
    phrases: tuple[str, ...]
    answer: str = rule("", contains=("{number}",))  # said instead of the domain's answer for its kind
    # Said back when only another guess of the recogniser held it ("Did you say you have pain in your
    # chest?"), second person; else that guess's own words, often garbled.
    ask: str = ""
    not_when: tuple[str, ...] = ()  # phrases that contain one of `phrases` but are not an emergency
    # How people say one of `phrases` ("i want to {}"), for the built-in recogniser's language model.
    frames: tuple[str, ...] = rule((), contains=("{}",))


@dataclass(frozen=True, kw_only=True)
class Domain:
    """What the pack covers and everything the assistant says that is not an explanation."""

    name: str  # "knee and leg"
    home_location: str = rule(refers_to="locations")  # where every problem starts; other places are "elsewhere"
    greeting: str
    example: str
    scope: str  # the sentence saying what the assistant covers
    out_of_scope: str  # said before `scope` when speech is about something else
    # Said after `out_of_scope`: speech taken for another subject may be an emergency misheard.
    if_urgent: str = rule("", contains=("{number}",))
    no_match: str  # said when speech is about the area but matches nothing
    second_example: str  # offered after `example` when nothing matched
    notice: str  # "not a diagnosis", after every explanation
    area_words: tuple[str, ...]  # the whole area ("leg"): about the person only in context ("my leg")
    other_body_parts: tuple[str, ...]  # naming one, with nothing about the area, is out of scope
    # Complaints that are not about the area ("cough", "rash"): beside one, a sign that is not
    # `on_its_own` ("for weeks") says nothing of the leg.
    other_complaints: tuple[str, ...] = ()
    follow_ups: tuple[FollowUpQuestion, ...]
    safety_question: str  # one yes/no question covering all warning signs, worded from them
    emergency_answer: str = rule(contains=("{number}",))
    crisis_answer: str = rule(contains=("{number}",))
    crisis_line_answer: str = rule(contains=("{crisis_line}",))  # added when a crisis line is set
    emergencies: tuple[Emergency, ...]
    pronunciations: dict[str, str] = field(default_factory=dict, hash=False)  # spoken forms ("ACL": "A C L")


@dataclass(frozen=True, kw_only=True)
class SentenceTemplate:
    """One way of talking about the area: `{slot}`s are filled from the speech section's slots."""

    template: str
    weight: float = 1.0  # how often it is drawn relative to the others


_SLOT = re.compile(r"{(\w+)}")
_WORD = re.compile(r"[a-z][a-z']*")
_CMU_PHONES = frozenset("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V "
                        "W Y Z ZH".split())


@dataclass(frozen=True, kw_only=True)
class Speech:
    """How people talk about the pack's area, for the built-in recogniser's language model."""

    templates: tuple[SentenceTemplate, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)  # "" makes a part optional
    frames: tuple[str, ...] = ()  # a pack phrase said in context: "{} in my knee"
    phones: dict[str, str] = field(default_factory=dict, hash=False)  # "bursa": "B ER S AH", where cmudict lacks it

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for what the types cannot say: every slot used is defined, every frame
        has {}, every pronunciation is lower-case word -> CMU phones."""
        used = {name for text in (*(t.template for t in self.templates), *(v for vs in self.slots.values() for v in vs))
                for name in _SLOT.findall(text)}
        found = [("slots", f"'{{{name}}}' is used but not defined") for name in sorted(used - set(self.slots))]
        found += [("frames", f"{frame!r} has no {{}} for the phrase") for frame in self.frames if "{}" not in frame]
        return found + [("phones", f"{word}: {phones!r} is not a lower-case word and CMU phones")
                        for word, phones in self.phones.items()
                        if not _WORD.fullmatch(word) or not set(phones.split()) <= _CMU_PHONES]


@dataclass(frozen=True, kw_only=True)
class KnowledgeBase:
    """Everything the assistant knows; each field is a section of the pack's YAML files."""

    topics: tuple[Topic, ...]
    locations: tuple[Location, ...]
    warnings: tuple[WarningSign, ...]
    domain: Domain
    speech: Speech = field(default_factory=lambda: Speech(templates=()))  # none: generic words only

    @property
    def notice(self) -> str:
        return self.domain.notice

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)

    def location(self, location_id: str) -> Location:
        return next(loc for loc in self.locations if loc.id == location_id)

    def warning(self, warning_id: str) -> WarningSign:
        return next(w for w in self.warnings if w.id == warning_id)

    def emergency(self, emergency_id: str) -> Emergency:
        return next(e for e in self.domain.emergencies if e.id == emergency_id)


@dataclass(frozen=True)
class TopicScore:
    """A ranked topic and the phrases that earned its score (the "why")."""

    id: str
    score: float
    why: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """What the matcher found in one utterance."""

    text: str
    topics: tuple[TopicScore, ...] = ()
    locations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    out_of_scope: bool = False
    about_area: bool = False  # mentions the pack's area at all, even without a topic
    emergency: str | None = None  # an Emergency id: call for help now, whatever else was said
    other_part: bool = False  # names a body part outside the area (the pack's other_body_parts)
    says_what: bool = False  # names a symptom, a topic's cue or a warning sign, not only a place
    negated_warnings: tuple[str, ...] = ()  # signs named only with a "no" or "not" ("no swelling"): not raised


@dataclass(frozen=True)
class Reply:
    """What the assistant says, as separate sentences so synthesis can start on the first."""

    sentences: tuple[str, ...]
    more: tuple[str, ...] = ()
    warning_ids: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return " ".join(self.sentences)
