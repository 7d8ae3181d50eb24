"""Replies: warning advice first, a notice always, short sentences for speech."""
from knowledge.reply import URGENT_LEAD, warnings_overview
from bundled import KB, reply_to


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


def test_out_of_scope_says_what_is_covered():
    reply = reply_to("what is the weather like")
    assert "knee" in reply.text and "For example" in reply.text and not reply.warning_ids


def test_no_match_says_what_was_heard_and_gives_two_examples():
    reply = reply_to("my knee")
    assert reply.sentences[0] == "I heard: my knee."
    assert sum("say:" in s for s in reply.sentences) == 2


def test_location_is_explained():
    assert "calf" in reply_to("an ache in my calf").text.lower()


def test_warnings_overview_lists_every_sign():
    text = warnings_overview(KB).text.lower()
    assert all(w.title.lower() in text for w in KB.warnings)
