"""The knowledge base's entries and the match result, as plain immutable values."""
from __future__ import annotations

from dataclasses import dataclass, field

HOME_LOCATION = "knee"  # where every problem in this knowledge base starts; other places are "elsewhere"


@dataclass(frozen=True)
class Topic:
    """A condition, a mechanism or the overview: something the assistant can explain."""

    id: str
    kind: str  # "condition" | "mechanism" | "overview"
    title: str
    summary: str
    more: str
    phrases: tuple[str, ...]
    locations: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    source: str = ""
    not_when: tuple[str, ...] = ()  # phrases that contain a phrase of this entry but mean something else


@dataclass(frozen=True)
class Location:
    """A part of the leg where knee trouble can be felt."""

    id: str
    title: str
    phrases: tuple[str, ...]
    summary: str
    source: str = ""
    not_when: tuple[str, ...] = ()


@dataclass(frozen=True)
class WarningSign:
    """A sign that needs a professional; its advice is spoken before anything else."""

    id: str
    title: str
    phrases: tuple[str, ...]
    advice: str
    urgency: str  # "urgent" | "soon"
    source: str = ""
    together: tuple[tuple[str, ...], ...] = ()  # raised when one phrase of every group is heard
    not_when: tuple[str, ...] = ()  # phrases that look like the sign but are not ("hot water bottle")


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the assistant knows."""

    topics: tuple[Topic, ...]
    locations: tuple[Location, ...]
    warnings: tuple[WarningSign, ...]
    notice: str = "This is general information, not a diagnosis."

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)

    def location(self, location_id: str) -> Location:
        return next(loc for loc in self.locations if loc.id == location_id)

    def warning(self, warning_id: str) -> WarningSign:
        return next(w for w in self.warnings if w.id == warning_id)


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
    about_legs: bool = False  # mentions the knee or leg at all, even without a topic


@dataclass(frozen=True)
class Reply:
    """What the assistant says, as separate sentences so synthesis can start on the first."""

    sentences: tuple[str, ...]
    more: tuple[str, ...] = ()
    warning_ids: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        return " ".join(self.sentences)
