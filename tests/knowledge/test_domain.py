"""The knowledge pack owns its domain: another pack (wrist pain) gets its own greeting, scope,
follow-ups, emergencies and replies, and no knee text leaks into any of them."""
import re
from dataclasses import fields

import pytest

from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from knowledge.model import FollowUpQuestion
from knowledge.reply import compose_reply, emergency_reply, warnings_overview
from knowledge.text import pronounce
from paths import TESTS

WRIST = load_knowledge(TESTS / "knowledge" / "packs" / "wrist")
KNEE_WORDS = re.compile(r"\b(knee|knees|kneecap|leg|legs|calf|shin|thigh)\b", re.IGNORECASE)

WRIST_SAYINGS = ["my wrist hurts when i type", "my arm aches", "i fell on my wrist and it is agony",
                 "my fingers tingle and it spreads into my hand", "tell me a joke", "my wrist",
                 "i want to kill myself", "my chest hurts", "is this an emergency", "numb all the time"]


def test_the_second_pack_has_its_own_domain():
    domain = WRIST.domain
    assert domain.home_location == "wrist" and {f.id for f in domain.follow_ups} == {"home", "where", "worse"}
    assert "wrist" in domain.greeting and domain.pronunciations == {"TFCC": "T F C C"}


def test_no_knee_text_in_what_the_pack_says():
    domain = WRIST.domain
    texts = [getattr(domain, f.name) for f in fields(domain) if isinstance(getattr(domain, f.name), str)]
    texts += [text for q in domain.follow_ups for text in (q.question, q.anchor, *q.choices)]
    assert texts and not [t for t in texts if KNEE_WORDS.search(t)]


@pytest.mark.parametrize("text", WRIST_SAYINGS)
def test_no_knee_text_in_replies(text):
    reply = compose_reply(Matcher(WRIST).match(text), WRIST)
    spoken = " ".join(reply.sentences + reply.more)
    assert spoken and not KNEE_WORDS.search(spoken), spoken
    assert not KNEE_WORDS.search(warnings_overview(WRIST).text)


def test_the_matcher_reads_scope_from_the_pack():
    matcher = Matcher(WRIST)
    assert matcher.match("my knee hurts").out_of_scope  # the wrist pack's other body parts
    assert not matcher.match("my arm aches").out_of_scope  # its area word
    assert matcher.match("i fell on my wrist").locations == ("wrist",)


def test_follow_up_questions_carry_what_the_dialogue_needs():
    knee = load_knowledge().domain
    home = next(q for q in knee.follow_ups if q.id == "home")
    assert isinstance(home, FollowUpQuestion) and home.anchor == "of my knee" and "not sure" in home.choices
    assert all(q.question.endswith("?") and q.choices for q in knee.follow_ups)


def test_pronunciations_apply_to_speech_only():
    knee = load_knowledge()
    assert pronounce("Injuries to the ACL or the MCL.", knee.domain.pronunciations) == \
        "Injuries to the A C L or the M C L."
    assert pronounce("MACL ACLS", knee.domain.pronunciations) == "MACL ACLS"  # whole words only
    ligament = " ".join(compose_reply(Matcher(knee).match("i tore my acl"), knee).sentences)
    assert "ACL" in ligament and "A C L" not in ligament  # the captions' text


def test_emergency_wording_fills_the_settings():
    reply = emergency_reply(WRIST, "self_harm", "112", "a crisis line on 116 123")
    assert reply.sentences[0].startswith("Please call 112 now") and "116 123" in reply.text
    assert "{" not in emergency_reply(WRIST, "asks_if_emergency").text


def test_the_dialogue_speaks_the_packs_words():
    """Built as the assistant builds it, the conversation over the wrist pack never says knee."""
    from voice.app import build_dialogue
    from voice.conversation.events import Heard, Say, SpeechDone, Start

    dialogue = build_dialogue(WRIST)
    said = []
    for event in [Start(), SpeechDone(), Heard("my wrist is sore"), SpeechDone(), Heard("thumb side"), SpeechDone(),
                  Heard("help"), SpeechDone(), Heard("tell me more"), SpeechDone(), Heard("when should i see a doctor"),
                  SpeechDone(), Heard("my chest hurts"), SpeechDone(), Heard("tell me a joke")]:
        said += [s for action in dialogue.handle(event) if isinstance(action, Say) for s in action.sentences]
    assert WRIST.domain.greeting in said and WRIST.domain.follow_ups[0].question in said
    assert not [s for s in said if KNEE_WORDS.search(s)], said
