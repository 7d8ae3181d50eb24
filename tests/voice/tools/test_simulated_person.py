"""The simulated person's rules (FORMAT.md, "Sessions"), what the evaluation hears in the assistant's
sentences, and the sessions file's one-line errors: with the real knowledge base and matcher."""
from __future__ import annotations

from dataclasses import replace

import pytest

from knowledge.evaluation import CasesError
from knowledge.model import Match, TopicScore
from knowledge.reply import compose_reply
from voice.conversation.events import Expect, Kind, Listen
from voice.tools.assistant_said import AssistantListener
from voice.tools.sessions_file import SessionCase, Truth, holds_sessions, load_sessions
from voice.tools.simulated_person import Asked, SimulatedPerson, place_words, warning_words

from bundled import KB, match
DESCRIBE = Listen(Expect.DESCRIPTION, 8.0)
YES_NO = Listen(Expect.YES_NO, 8.0)
CHOICE = Listen(Expect.CHOICE, 8.0)


def person(says="my knee hurts", locations=("knee",), warnings=(), topics=(), out_of_scope=False):
    case = SessionCase("p", says, Truth(tuple(locations), tuple(warnings), tuple(topics), out_of_scope))
    return SimulatedPerson(case, KB, match)


def greeted(someone: SimulatedPerson) -> str:
    return someone.reply(Asked(("Tell me where it hurts.",), Kind.GREETING.value, DESCRIBE, False))


def test_first_says_their_description_then_goodbye_after_an_answer():
    someone = person("my calf aches")
    assert greeted(someone) == "my calf aches"
    assert someone.reply(Asked(("Calf pain ...",), Kind.ANSWER.value, Listen(Expect.ANYTHING, 8.0), True)) == "goodbye"


def test_yes_no_about_a_warning_sign_follows_the_truth():
    swollen, calm = person(warnings=("swelling_redness_warmth",)), person()
    for someone in (swollen, calm):
        greeted(someone)
    check = Asked(("Did you say your knee is swollen?",), Kind.CHECK.value, YES_NO, False, ("swelling_redness_warmth",))
    assert swollen.reply(check) == "yes"
    assert calm.reply(check) == "no"


def test_a_question_about_several_signs_is_yes_when_any_is_true():
    someone = person(warnings=("numbness_tingling_weakness",))
    greeted(someone)
    every = tuple(sign.id for sign in KB.warnings)
    safety = Asked(("Knee pain often ...", "Do you have any of these: ...?"), Kind.ANSWER.value, YES_NO, True, every)
    assert someone.reply(safety) == "yes"
    assert someone.reply(Asked(("Please say yes or no.", "Do you have any of these: ...?"), Kind.PROMPT.value,
                               YES_NO, False)) == "yes"


def test_a_yes_no_question_that_names_nothing_is_read_from_its_words():
    someone = person(warnings=("cannot_bear_weight",))
    greeted(someone)
    assert someone.reply(Asked(("Can you not put weight on your leg?",), "question", YES_NO, False)) == "yes"
    assert someone.reply(Asked(("Would you like to hear more?",), "question", YES_NO, False)) == "no thank you"


def test_a_read_back_is_yes_only_when_it_keeps_every_place_and_sign_said():
    someone = person("my knee hurts and my calf is swollen", locations=("knee", "calf"))
    greeted(someone)
    kept = "my knee hurts and my calf is swollen"
    lost = "my knee hurts and my golf is swollen"
    assert someone.reply(Asked((f"I heard: {kept}. Is that right?",), Kind.CONFIRM.value, YES_NO, False)) == "yes"
    assert someone.reply(Asked((f"I heard: {lost}. Is that right?",), Kind.CONFIRM.value, YES_NO, False)) == "no"


def test_asked_where_names_the_first_true_place_or_does_not_know():
    someone, nowhere = person(locations=("lower_back", "knee")), person(locations=())
    for who in (someone, nowhere):
        greeted(who)
    places = tuple(location.id for location in KB.locations)
    asked = Asked(("Where does it hurt most: the knee, the calf, the thigh or the hip?",), Kind.WHERE.value,
                  CHOICE, False, places)
    assert someone.reply(asked) == "my lower back"
    assert nowhere.reply(asked) == "i don't know"
    assert place_words("calf", KB) == "my calf"
    follow_up = Asked(("Where in your leg do you feel it?",), Kind.QUESTION.value, DESCRIBE, False)
    assert someone.reply(follow_up) == "my lower back"


def test_asked_which_sign_describes_the_first_true_one_in_everyday_words():
    someone, calm = person(warnings=("cannot_bear_weight",)), person()
    for who in (someone, calm):
        greeted(who)
    which = Asked(("Which one is it: swelling, numbness, ...?",), Kind.WHICH.value, CHOICE, False,
                  tuple(sign.id for sign in KB.warnings))
    said = someone.reply(which)
    assert said == warning_words("cannot_bear_weight", KB)
    assert match(said).warnings == ("cannot_bear_weight",)
    assert calm.reply(which) == "none of them"


def test_an_emergency_answer_or_a_safety_no_is_followed_by_goodbye():
    someone = person()
    greeted(someone)
    every = tuple(sign.id for sign in KB.warnings)
    assert someone.reply(Asked(("Knee pain ...", "Any of these?"), Kind.ANSWER.value, YES_NO, True, every)) == "no"
    assert someone.reply(Asked(("Good.",), Kind.PROMPT.value, Listen(Expect.ANYTHING, 8.0), False)) == "goodbye"


def test_asked_whether_to_finish_says_yes_only_once_it_owes_a_goodbye():
    from voice.conversation.prompts import load_prompts

    finish = Asked(("Sorry, I still didn't catch that.", load_prompts().finish_question), Kind.CHECK.value, YES_NO, False)
    someone = person()
    greeted(someone)
    assert someone.reply(finish) == "no"
    assert someone.reply(Asked(("Knee pain ...",), Kind.ANSWER.value, Listen(Expect.ANYTHING, 8.0), True)) == "goodbye"
    assert someone.reply(finish) == "yes"  # their goodbye was not heard


def test_asked_for_detail_says_the_description_again_and_a_re_prompt_gets_the_last_words():
    someone = person("it aches when i climb stairs")
    greeted(someone)
    worse = Asked(("What makes it worse: walking, stairs, kneeling, or sport?",), Kind.QUESTION.value, DESCRIBE, False)
    assert someone.reply(worse) == "it aches when i climb stairs"
    someone.reply(Asked(("I heard: it aches. Is that right?",), Kind.CONFIRM.value, YES_NO, False))
    again = Asked(("Sorry. Please say it again.",), Kind.PROMPT.value, DESCRIBE, False)
    assert someone.reply(again) == "it aches when i climb stairs"


def test_every_warning_sign_the_person_can_name_is_one_the_matcher_finds():
    for sign in KB.warnings:
        assert sign.id in match(warning_words(sign.id, KB)).warnings, sign.id


def test_listener_hears_advice_summaries_and_the_out_of_scope_answer():
    listener = AssistantListener(KB)
    found = Match("x", topics=(TopicScore("referred_pain", 3.0),), locations=("knee", "calf"),
                  warnings=("cannot_bear_weight",))
    said = listener.hear(compose_reply(found, KB).sentences)
    assert said.warnings == ("cannot_bear_weight",) and said.answered  # an urgent sign's advice stands alone
    explained = listener.hear(compose_reply(replace(found, warnings=()), KB).sentences)
    assert "referred_pain" in explained.topics and explained.locations == ("calf",) and explained.answered
    outside = listener.hear(compose_reply(Match("a cough", out_of_scope=True), KB).sentences)
    assert outside.out_of_scope and outside.answered and not (outside.topics or outside.warnings)
    assert not listener.hear(("Where in your leg do you feel it?",)).answered


def test_sessions_file_errors_name_the_session_and_key(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nsessions:\n  - id: a\n    says: my knee\n    truth: {warnings: swelling}\n")
    with pytest.raises(CasesError, match=r"session 1 \(a\): 'truth.warnings' must be a list"):
        load_sessions(path)
    path.write_text("version: 1\nsessions:\n  - id: a\n    says: my knee\n    truth: {}\n    mood: sad\n")
    with pytest.raises(CasesError, match="unknown key"):
        load_sessions(path)
    assert holds_sessions(path)
    path.write_text("version: 1\ncases: []\n")
    assert not holds_sessions(path)
