"""Turn a match into what the assistant says: a pure function, no I/O.

The first answer is short, about 20 seconds at the default rate, because the people this is for
cannot press a key to skip and must wait for the end to speak again (answers of 120 to 140 words,
30 to 50 s, were measured before). An emergency gets only what to do now. Otherwise a warning
sign's advice comes first; an urgent one stands alone with what to do; else one explanation of the
places said follows, then the notice and the offer of more, or instead of the offer the question the
dialogue asks next (its safety check, or whether a sign heard only maybe was said: one question at a
time, and it counts in the budget, since a person hears it as part of the same answer). Everything
else waits for "tell me more". Sentences are kept separate so speech can start on the first while
the rest is synthesised.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.model import KnowledgeBase, Match, Reply, WarningSign

DEFAULT_EMERGENCY_NUMBER = "your local emergency number"
OFFER_MORE = "Say tell me more to hear more."  # the README's "tell me more" command, one wording everywhere
URGENT_LEAD = "Important: what you describe needs medical attention."
FIRST_ANSWER_WORDS = 50  # about 20 s at 160 words a minute, notice and offer (or question) included
MAX_FIRST_ANSWER_WORDS = 55  # the most a place named may stretch it to (the longest place sentence is 28 words)
MAX_PLACES = 2  # places explained in the first answer; further ones wait for "tell me more"
SECOND_TOPIC_SHARE = 0.75  # a second explanation is given only when it scores close to the first

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def compose_reply(match: Match, kb: KnowledgeBase, emergency_number: str = DEFAULT_EMERGENCY_NUMBER,
                  crisis_line: str = "", question: str = "") -> Reply:
    """The spoken answer to `match`; a `question` ends an explanation in place of the offer of more."""
    domain = kb.domain
    if match.emergency:
        return emergency_reply(kb, match.emergency, emergency_number, crisis_line)
    if match.out_of_scope:
        urgent = [domain.if_urgent.format(number=emergency_number)] if domain.if_urgent else []
        return Reply((domain.out_of_scope, *urgent, domain.scope, f"For example, say: {domain.example}"))
    signs = [kb.warning(w) for w in match.warnings]
    blocks = _explanations(match, kb)
    if not blocks and not signs:
        return Reply((f"I heard: {match.text.strip()}.", domain.no_match,
                      f"For example, say: {domain.example}", f"Or say: {domain.second_example}"))
    urgent = bool(signs) and signs[0].urgency == "urgent"  # its advice stands alone
    ask = bool(question) and not urgent
    closing = [question] if ask else [] if urgent else [OFFER_MORE]
    first, more = _first_answer(signs, blocks, word_count([kb.notice, *closing]))
    sentences = first + [kb.notice] + (closing if ask or more else [])
    return Reply(tuple(sentences), tuple(more), match.warnings)


def emergency_reply(kb: KnowledgeBase, emergency_id: str, emergency_number: str = DEFAULT_EMERGENCY_NUMBER,
                    crisis_line: str = "") -> Reply:
    """What to do now, in the pack's words, with the number (and crisis line) from the settings."""
    domain = kb.domain
    emergency = kb.emergency(emergency_id)
    wording = emergency.answer or (domain.crisis_answer if emergency.kind == "crisis" else domain.emergency_answer)
    sentences = split_sentences(wording.format(number=emergency_number))
    if emergency.kind == "crisis" and crisis_line:
        sentences += split_sentences(domain.crisis_line_answer.format(crisis_line=crisis_line))
    return Reply(tuple(sentences))


def warnings_overview(kb: KnowledgeBase) -> Reply:
    """All warning signs, for "when should I see a doctor": the urgent ones first, as the pack names them."""
    urgent = [w.title.lower() for w in kb.warnings if w.urgency == "urgent"]
    soon = [w.title.lower() for w in kb.warnings if w.urgency != "urgent"]
    sentences = [f"Get medical help now if you have any of these: {_listing(urgent)}."] if urgent else []
    sentences += [f"See a healthcare professional soon if you have any of these: {_listing(soon)}."] if soon else []
    return Reply(tuple(sentences) + (kb.notice,))


def _listing(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else "; ".join(titles[:-1]) + f"; or {titles[-1]}"


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def word_count(sentences: list[str]) -> int:
    return sum(len(s.split()) for s in sentences)


def _first_answer(signs: list[WarningSign], blocks: list[_Block], closing: int) -> tuple[list[str], list[str]]:
    """(what is said first, what waits for "tell me more"): the content around `closing` words of
    notice and offer or question, within FIRST_ANSWER_WORDS."""
    first: list[str] = []
    more: list[str] = []
    if signs:
        lead = signs[0]
        first = ([URGENT_LEAD] if lead.urgency == "urgent" else []) + split_sentences(lead.advice)
        more = [s for sign in signs[1:] for s in split_sentences(sign.advice)]
        if lead.urgency == "urgent":  # alone with what to do
            return first, more + [s for block in blocks for s in block.sentences]
    # The first explanation is owed its first sentence (and a place its heading) however the budget
    # stands; each further place named, then each other explanation, gets as much while the answer
    # stays within MAX_FIRST_ANSWER_WORDS (what the person said is worth more than depth on one
    # thing: a place's sentence alone crowded out the topic that explains it); further sentences
    # follow in order within FIRST_ANSWER_WORDS.
    taken = [0] * len(blocks)

    def grown(number: int, size: int, limit: int) -> bool:
        """Whether block `number` may say its first `size` sentences within `limit` words in all."""
        sizes = taken[:number] + [size] + taken[number + 1:]
        return size <= len(blocks[number].sentences) and (
            word_count(first) + sum(word_count(b.sentences[:n]) for b, n in zip(blocks, sizes)) + closing <= limit)

    if blocks and not first:
        taken[0] = blocks[0].opening
    places = 0
    for number, block in enumerate(blocks):
        if not taken[number] and block.place and places < MAX_PLACES and not signs and grown(
                number, block.opening, MAX_FIRST_ANSWER_WORDS):
            taken[number] = block.opening
        places += block.place
    for number, block in enumerate(blocks):
        if not taken[number] and grown(number, block.opening, MAX_FIRST_ANSWER_WORDS):
            taken[number] = block.opening
    for number, block in enumerate(blocks):
        while taken[number] and grown(number, taken[number] + 1, FIRST_ANSWER_WORDS):
            taken[number] += 1
    for block, n in zip(blocks, taken):
        first += block.sentences[:n]
        more += block.sentences[n:]
    return first, more


@dataclass(frozen=True)
class _Block:
    """One explanation: a place ("About the hip:" and its summary) or a topic (summary, then more)."""

    sentences: list[str]
    place: bool = False

    @property
    def opening(self) -> int:
        """The fewest sentences it is said with: a place's heading never stands alone."""
        return 2 if self.place else 1


def _explanations(match: Match, kb: KnowledgeBase) -> list[_Block]:
    """Explanation blocks in the order they matter: the places said (each "About the hip:" and
    its sentences), then the best topic, and a second one when it scores close."""
    if not match.topics:
        return []
    ranked = list(match.topics)
    general = kb.topic(ranked[0].id).kind == "overview"
    # The home place is what every topic explains, so it is said only when nothing more specific
    # than the general overview was found ("my knee hurts", "not sure" where): then it is the one
    # thing the person named.
    home = "" if general else kb.domain.home_location
    places = [_Block([f"About {loc.title}:"] + split_sentences(loc.summary), place=True)
              for loc in map(kb.location, match.locations) if loc.id != home]
    if general and places and len(ranked) > 1:
        # A place said makes the overview's teaser ("three main ways", named only in its more) the
        # least of what applies: "my leg hurts" then "in my calf" got the calf and the teaser.
        ranked = ranked[1:] + ranked[:1]
    top = kb.topic(ranked[0].id)
    topics = [_Block(split_sentences(top.summary) + split_sentences(top.more))]
    if len(ranked) > 1 and ranked[1].score >= SECOND_TOPIC_SHARE * ranked[0].score:
        second = kb.topic(ranked[1].id)
        topics.append(_Block(split_sentences(second.summary) + split_sentences(second.more)))
    # A condition named outright is explained first; otherwise the places said come first.
    return topics + places if top.kind == "condition" else places + topics
