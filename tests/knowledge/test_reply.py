"""Replies: warning advice first, a notice always, short sentences for speech."""
from dataclasses import replace

import pytest

from knowledge.reply import (MAX_FIRST_ANSWER_WORDS, OFFER_MORE, URGENT_LEAD, compose_reply, split_sentences,
                            warnings_overview, word_count)
from knowledge.model import TopicScore
from voice.conversation.commands import Command, find_command
from bundled import KB, match, reply_to


def test_warning_advice_comes_first_and_urgent_is_clear():
    reply = reply_to("my knee hurts down into my calf and i can't put weight on it")
    assert reply.sentences[0] == URGENT_LEAD
    assert reply.sentences[1].startswith("Not being able to put weight")
    assert reply.warning_ids == ("cannot_bear_weight",)
    assert KB.notice in reply.sentences


def test_explanation_notice_and_offer_of_more():
    reply = reply_to("pain below the kneecap after jumping")
    assert "tendon" in reply.sentences[0].lower()
    assert KB.notice in reply.sentences and reply.more
    assert all(len(s.split()) <= 40 for s in reply.sentences)


def test_soon_sign_has_no_urgent_lead():
    reply = reply_to("my knee has been swollen")
    assert reply.sentences[0] != URGENT_LEAD and "swelling" in reply.sentences[0].lower()


@pytest.mark.parametrize("text,topic", [("my knee puffs up after every game since i tore my meniscus", "meniscus_tear"),
                                        ("my knee has hurt for months and the cartilage is worn", "osteoarthritis")])
def test_a_sign_that_is_not_urgent_comes_with_one_explanation_within_the_first_answer(text, topic):
    reply = reply_to(text)
    assert reply.warning_ids and KB.warning(reply.warning_ids[0]).urgency != "urgent"
    assert split_sentences(KB.topic(topic).summary)[0] in reply.sentences
    assert word_count(list(reply.sentences)) <= MAX_FIRST_ANSWER_WORDS


def test_out_of_scope_says_what_is_covered():
    reply = reply_to("what is the weather like")
    assert "knee" in reply.text and "For example" in reply.text and not reply.warning_ids


def test_out_of_scope_says_whom_to_call_if_it_is_urgent():
    """What was taken for another subject may be an emergency misheard: the number follows the setting."""
    reply = compose_reply(match("what is the weather like"), KB, emergency_number="911")
    assert reply.sentences[1] == "If it is urgent, call 911."
    assert "If it is urgent, call your local emergency number." in reply_to("tell me a joke").sentences


def test_no_match_says_what_was_heard_and_gives_two_examples():
    reply = reply_to("my knee")
    assert reply.sentences[0] == "I heard: my knee."
    assert sum("say:" in s for s in reply.sentences) == 2


def test_location_is_explained():
    assert "calf" in reply_to("an ache in my calf").text.lower()


def test_the_knee_is_explained_as_a_place_only_when_no_more_than_the_overview_applies():
    """Every topic explains the knee; with only the general overview, the knee is the one thing named."""
    overview = next(t.id for t in KB.topics if t.kind == "overview")
    vague = replace(match("my knee hurts"), topics=(TopicScore(overview, 0.0),))
    assert "About the knee:" in compose_reply(vague, KB).sentences
    assert "About the knee:" not in reply_to("pain below the kneecap after jumping").sentences


def test_warnings_overview_lists_every_sign():
    text = warnings_overview(KB).text.lower()
    assert all(w.title.lower() in text for w in KB.warnings)


# --- short first answers: about 20 s at the default rate, the rest on "tell me more" ----------

def _descriptions() -> list[str]:
    import yaml
    from paths import AUDIO
    cases = yaml.safe_load((AUDIO / "cases.yaml").read_text())["cases"]
    return sorted({c["say"] for c in cases if c.get("topics") or c.get("warnings")})


@pytest.mark.parametrize("text", _descriptions())
def test_first_answers_are_short(text):
    """FIRST_ANSWER_WORDS is a budget a place the person named may overrun by a few words, never more."""
    reply = reply_to(text)
    assert word_count(list(reply.sentences)) <= MAX_FIRST_ANSWER_WORDS, reply.text
    assert KB.notice in reply.sentences


@pytest.mark.parametrize("text", _descriptions())
def test_a_question_ends_the_first_answer_instead_of_the_offer_and_counts_in_it(text):
    """The safety check follows an explanation; after a sign's advice, the question whether another
    sign heard only maybe was said. An urgent sign's advice stands alone (the dialogue asks after it)."""
    found = match(text)
    question = "Did you say you can't put any weight on your leg?" if found.warnings else KB.domain.safety_question
    reply = compose_reply(found, KB, question=question)
    assert word_count(list(reply.sentences)) <= MAX_FIRST_ANSWER_WORDS, reply.text
    if reply.sentences[0] != URGENT_LEAD:
        assert reply.sentences[-2:] == (KB.notice, question)
    else:
        assert question not in reply.sentences


def test_an_urgent_sign_stands_alone_with_what_to_do():
    reply = reply_to("my knee hurts down into my calf and i can't put weight on it")
    assert reply.sentences == (URGENT_LEAD, *split_sentences(KB.warning("cannot_bear_weight").advice), KB.notice)
    assert any("calf" in s for s in reply.more)  # the explanation waits for "tell me more"


def test_every_place_said_is_explained():
    reply = reply_to("my hip and thigh ache")
    assert "About the hip:" in reply.sentences and "About the thigh:" in reply.sentences


def test_one_offer_of_more_in_the_words_of_the_command():
    assert "tell me more" in OFFER_MORE and find_command("tell me more") == Command.MORE
    reply = reply_to("my kneecap hurts when i climb stairs")
    assert reply.sentences[-1] == OFFER_MORE and reply.more


def test_nothing_is_lost_between_the_first_answer_and_more():
    reply = reply_to("the muscles in my thigh are tight and tired")
    summary = split_sentences(KB.location("thigh").summary) + split_sentences(KB.topic("muscle_imbalance").summary)
    assert set(summary) <= set(reply.sentences) | set(reply.more)
