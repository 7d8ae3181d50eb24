"""What the assistant told the person, read from its spoken sentences against the knowledge base.

The evaluation must not rely on hooks in the dialogue, so it listens the way a person would:
a warning sign counts as advised when a sentence of that sign's advice was spoken, a topic or
place as explained when a sentence of its summary was (answers may be cut short, so any one
sentence that belongs to that entry alone is enough). The out-of-scope answer is recognised by
the sentence `compose_reply` opens it with.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.model import KnowledgeBase, Match
from knowledge.reply import compose_reply, split_sentences


@dataclass(frozen=True)
class Said:
    """What one Say of the assistant amounted to."""

    warnings: tuple[str, ...] = ()  # ids whose advice was spoken
    topics: tuple[str, ...] = ()  # ids whose summary was spoken
    locations: tuple[str, ...] = ()  # ids whose summary was spoken
    out_of_scope: bool = False  # the "not a knee or leg problem" answer

    @property
    def answered(self) -> bool:
        """An answer of substance (the emergency answer is known by its `Say.kind`): then the person says goodbye."""
        return bool(self.warnings or self.topics or self.locations or self.out_of_scope)


class AssistantListener:
    """Recognises the knowledge base's texts in what the assistant says."""

    def __init__(self, kb: KnowledgeBase):
        entries: list[tuple[str, str, str]] = []
        for sign in kb.warnings:
            entries += [("warning", sign.id, s) for s in split_sentences(sign.advice)]
        for topic in kb.topics:
            entries += [("topic", topic.id, s) for s in split_sentences(topic.summary)]
        for location in kb.locations:
            entries += [("location", location.id, s) for s in split_sentences(location.summary)]
        owners: dict[str, set[tuple[str, str]]] = {}
        for kind, entry_id, sentence in entries:
            owners.setdefault(_plain(sentence), set()).add((kind, entry_id))
        # A sentence two entries share says nothing about which one was explained.
        self._sentences = {sentence: next(iter(owner)) for sentence, owner in owners.items() if len(owner) == 1}
        self._out_of_scope = _plain(compose_reply(Match(text="", out_of_scope=True), kb).sentences[0])

    def hear(self, sentences: Iterable[str]) -> Said:
        spoken = " ".join(_plain(s) for s in sentences)
        found: dict[str, list[str]] = {"warning": [], "topic": [], "location": []}
        for sentence, (kind, entry_id) in self._sentences.items():
            if sentence in spoken and entry_id not in found[kind]:
                found[kind].append(entry_id)
        return Said(tuple(found["warning"]), tuple(found["topic"]), tuple(found["location"]),
                    self._out_of_scope in spoken)


def _plain(text: str) -> str:
    return " ".join(text.lower().split())
