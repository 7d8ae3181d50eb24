"""Property-based tests (hypothesis) of the matcher and the dialogue.

Any text gives a well-formed result and never an exception; a warning sign found in a sentence
is still found with harmless words around it; negating an unrelated symptom does not remove it.
The sentences with warning signs are the typed evaluation cases whose signs the matcher finds
today, so the properties test robustness, not recall.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.evaluation import load_cases
from knowledge.model import Match, TopicScore
from knowledge.reply import compose_reply
from voice.app import build_dialogue
from voice.settings import Settings
from voice.conversation.events import (Exit, ForgetPerson, Heard, Idle, Listen, NoInput, Say, SetVoice, SpeechDone,
                                       Start, StopKey, StopSpeaking)
from paths import CASES as CASES_DIR
from bundled import KB, match
TOPICS = {t.id for t in KB.topics}
LOCATIONS = {loc.id for loc in KB.locations}
WARNINGS = {w.id for w in KB.warnings}
CASES = load_cases(CASES_DIR / "typed_cases.yaml")
WITH_WARNINGS = [(c.say, set(c.warnings)) for c in CASES
                 if c.warnings and set(c.warnings) <= set(match(c.say).warnings)]
PHRASES = sorted({p for t in KB.topics for p in t.phrases} | {p for loc in KB.locations for p in loc.phrases}
                 | {p for w in KB.warnings for p in w.phrases})
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words that say nothing about a symptom: fillers, times, politeness, people.
HARMLESS = ["well", "um", "uh", "so", "okay", "yesterday", "honestly", "please", "actually",
            "basically", "this morning", "last night", "you know", "i think", "to be honest", "doctor",
            "hello", "thank you", "right", "anyway", "my friend said", "at work", "at home"]
# Symptoms no warning sign is about, said in the negative.
UNRELATED_NEGATIONS = ["no clicking", "no grinding", "not stiff", "no fever", "it does not click",
                       "there is no popping sound", "i do not have a rash", "without any creaking",
                       "never had gout", "no cough"]
JOINS = [". ", ", ", "; ", " but ", " and "]

texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.sampled_from(PHRASES + HARMLESS + ["no", "not", "but", "never", ",", ".", "can't"]),
             max_size=40).map(" ".join),
)


def well_formed(result: Match, text: str) -> None:
    assert result.text == text
    assert isinstance(result.topics, tuple) and all(isinstance(t, TopicScore) for t in result.topics)
    assert {t.id for t in result.topics} <= TOPICS and len({t.id for t in result.topics}) == len(result.topics)
    assert all(t.score >= 0 for t in result.topics)
    assert [t.score for t in result.topics] == sorted((t.score for t in result.topics), reverse=True)
    assert set(result.locations) <= LOCATIONS and len(set(result.locations)) == len(result.locations)
    assert set(result.warnings) <= WARNINGS and len(set(result.warnings)) == len(result.warnings)
    assert isinstance(result.out_of_scope, bool)
    if result.out_of_scope:
        assert not (result.topics or result.locations or result.warnings)


@FUZZ
@given(texts)
def test_any_text_gives_a_well_formed_match(text):
    well_formed(match(text), text)


@FUZZ
@given(texts)
def test_any_text_gets_a_reply(text):
    reply = compose_reply(match(text), KB)
    assert reply.sentences and all(isinstance(s, str) and s.strip() for s in reply.sentences)


@FUZZ
@given(st.sampled_from(WITH_WARNINGS), st.lists(st.sampled_from(HARMLESS), max_size=3),
       st.lists(st.sampled_from(HARMLESS), max_size=3))
def test_a_warning_survives_harmless_words_around_it(case, before, after):
    sentence, warnings = case
    text = " ".join([*before, sentence, *after])
    assert warnings <= set(match(text).warnings), text


@FUZZ
@given(st.sampled_from(WITH_WARNINGS), st.sampled_from(UNRELATED_NEGATIONS), st.sampled_from(JOINS),
       st.booleans())
def test_negating_an_unrelated_symptom_keeps_the_warning(case, negation, join, negation_first):
    sentence, warnings = case
    text = join.join([negation, sentence] if negation_first else [sentence, negation])
    assert warnings <= set(match(text).warnings), text


def test_today_after_a_hot_knee_keeps_the_warning():
    assert "swelling_redness_warmth" in match("i can walk on it but my knee is really hot today").warnings


@pytest.mark.parametrize("text, warning", [
    ("no clicking and numbness on the outside of my calf", "numbness_tingling_weakness"),
    ("no fever and swollen bursa on my knee", "swelling_redness_warmth"),
])
def test_negation_does_not_run_on_through_and(text, warning):
    assert warning in match(text).warnings


# --- the dialogue -----------------------------------------------------------------------------

ACTIONS = (Say, StopSpeaking, SetVoice, Listen, ForgetPerson, Exit)
events = st.one_of(
    st.builds(Heard, texts, st.floats(min_value=0.0, max_value=1.0)),
    st.builds(Heard, st.sampled_from(["yes", "no", "repeat", "tell me more", "slower", "louder", "wait", "help",
                                      "start again", "stop", "goodbye", "warning signs", "no that's wrong"]),
              st.floats(min_value=0.0, max_value=1.0)),
    st.just(NoInput()), st.just(SpeechDone()), st.just(StopKey()),
    st.builds(Idle, st.floats(min_value=0.0, max_value=100_000.0)),
)


def contract_holds(actions: list) -> None:
    """The loop's contract (voice/dialogue.py docstring): a Say comes last; otherwise Listen/Exit last or nothing.

    What is said is spoken and captioned, so it never carries control or format characters (a typed
    escape sequence would otherwise reach the synthesiser and the kiosk's screen).
    """
    assert isinstance(actions, list) and all(isinstance(a, ACTIONS) for a in actions), actions
    says = [i for i, a in enumerate(actions) if isinstance(a, Say)]
    if says:
        assert says == [len(actions) - 1], actions
        assert all(isinstance(s, str) and s.strip() for s in actions[-1].sentences), actions
        assert not any(unicodedata.category(c) in ("Cc", "Cf") for s in actions[-1].sentences for c in s), actions
    elif actions and not isinstance(actions[0], StopSpeaking):
        assert isinstance(actions[-1], (Listen, Exit)), actions


@FUZZ
@given(st.booleans(), st.lists(events, max_size=25))
def test_any_events_give_well_formed_actions(kiosk, script):
    dialogue = build_dialogue(KB, Settings(kiosk=kiosk, idle_timeout=30.0), understand=match)
    contract_holds(dialogue.handle(Start()))
    for event in script:
        contract_holds(dialogue.handle(event))
