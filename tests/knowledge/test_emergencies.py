"""Emergencies and crisis are recognised from the pack's phrases, wherever they are said, with
negation handled as for warning signs, and answered with what to do now."""
import pytest

from knowledge.reply import DEFAULT_EMERGENCY_NUMBER, compose_reply
from bundled import KB, match


@pytest.mark.parametrize("text, emergency", [
    ("i want to kill myself", "self_harm"),
    ("sometimes i think about ending my life", "self_harm"),
    ("i keep hurting myself", "self_harm"),
    ("i can't breathe and my chest hurts", "chest_pain"),
    ("I have chest pain", "chest_pain"),
    ("i'm struggling to breathe", "breathing"),
    ("my knee is bleeding heavily after the fall", "bleeding"),
    ("the cut won't stop bleeding", "bleeding"),
    ("is this an emergency", "asks_if_emergency"),
    ("should I go to the hospital?", "asks_if_emergency"),
    ("do i need an ambulance", "asks_if_emergency"),
])
def test_emergencies_are_recognised(text, emergency):
    assert match(text).emergency == emergency


@pytest.mark.parametrize("text", [
    "i don't want to die", "no chest pain but my knee hurts", "my knee hurts", "i can breathe fine",
    "i went to hospital last year for my knee", "the pain is killing me", "tell me a joke",
    "i'm not bleeding at all",
])
def test_no_emergency_where_there_is_none(text):
    assert match(text).emergency is None


def test_an_emergency_is_answered_first_and_plainly():
    reply = compose_reply(match("i can't breathe and my knee is swollen"), KB)
    assert reply.sentences[0] == "This may be an emergency." and DEFAULT_EMERGENCY_NUMBER in reply.text
    assert "knee or leg problem" not in reply.text


def test_crisis_names_the_crisis_line_when_the_setting_gives_one():
    assert "988" not in compose_reply(match("i want to kill myself"), KB).text
    reply = compose_reply(match("i want to kill myself"), KB, emergency_number="911", crisis_line="988")
    assert "call 911 now" in reply.text and "988" in reply.text


def test_the_emergency_still_leaves_the_rest_of_the_match():
    found = match("my knee is bleeding heavily")
    assert found.emergency == "bleeding" and found.locations == ("knee",)
