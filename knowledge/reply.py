"""Turn a match into what the assistant says: a pure function, no I/O.

Warning signs come first, urgent ones with plain words to get help now; then one or two short
explanations; then the notice that this is information, not a diagnosis, and an offer of more.
Sentences are kept separate so speech can start on the first while the rest is synthesised.
"""
from __future__ import annotations

import re

from knowledge.model import HOME_LOCATION, KnowledgeBase, Match, Reply

SCOPE = ("I can explain how knee problems can cause pain in other parts of the leg, "
         "and when to see a professional.")
EXAMPLE = "For example, say: my knee hurts and the pain goes down into my calf."
OFFER_MORE = "Say more to hear more, or tell me where else it hurts."
URGENT_LEAD = "Important: what you describe needs medical attention."
SECOND_TOPIC_SHARE = 0.75  # a second explanation is given only when it scores close to the first

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def compose_reply(match: Match, kb: KnowledgeBase) -> Reply:
    """The spoken answer to `match`."""
    if match.out_of_scope:
        return Reply(("That doesn't sound like a knee or leg problem.", SCOPE, EXAMPLE))
    signs = [kb.warning(w) for w in match.warnings]
    sentences: list[str] = [URGENT_LEAD] if any(s.urgency == "urgent" for s in signs) else []
    for sign in signs:
        sentences += split_sentences(sign.advice)
    explained, more = _explanations(match, kb)
    if not explained and not match.warnings:
        return Reply((f"I heard: {match.text.strip()}.", "I couldn't match that to a knee or leg problem.",
                      EXAMPLE, "Or say: pain below my kneecap after jumping."))
    sentences += explained
    sentences.append(kb.notice)
    if more:
        sentences.append(OFFER_MORE)
    return Reply(tuple(sentences), tuple(more), match.warnings)


def warnings_overview(kb: KnowledgeBase) -> Reply:
    """All warning signs, for "when should I see a doctor"."""
    titles = [w.title.lower() for w in kb.warnings]
    listing = ", ".join(titles[:-1]) + f", or {titles[-1]}"
    return Reply(("See a healthcare professional if you have any of these:", f"{listing}.",
                  "With sudden severe pain after an injury, or if you cannot put weight on the leg, get help now.",
                  kb.notice))


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def _explanations(match: Match, kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """One or two short explanations, and the longer texts kept for "more"."""
    if not match.topics:
        return [], []
    top = kb.topic(match.topics[0].id)
    spoken = split_sentences(top.summary)
    more = split_sentences(top.more)
    elsewhere = [kb.location(loc) for loc in match.locations if loc != HOME_LOCATION]
    if elsewhere and top.kind != "condition":
        spoken = [f"About {elsewhere[0].title}:"] + split_sentences(elsewhere[0].summary) + spoken
    elif len(match.topics) > 1 and match.topics[1].score >= SECOND_TOPIC_SHARE * match.topics[0].score:
        second = kb.topic(match.topics[1].id)
        spoken += split_sentences(second.summary)
        more += split_sentences(second.more)
    for location in elsewhere[1:]:
        more += [f"About {location.title}:"] + split_sentences(location.summary)
    return spoken, more
