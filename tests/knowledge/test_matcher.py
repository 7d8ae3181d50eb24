"""The matcher on lay language, negation, several warnings and out-of-scope speech."""
import pytest

from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from bundled import KB, match


def topics(text: str) -> list[str]:
    return [t.id for t in match(text).topics]


@pytest.mark.parametrize("text, topic", [
    ("my knee cap aches going down stairs", "patellofemoral_pain"),
    ("I think I tore my menisc us", "meniscus_tear"),
    ("the a c l in my left knee is torn", "ligament_injury"),
    ("wear and tear in my knees", "osteoarthritis"),
    ("pain just below my kneecap since i started jumping", "patellar_tendonitis"),
    ("ive been limping for days", "altered_gait"),
    ("my hamstrings feel tight and overworked", "muscle_imbalance"),
    ("pain on the inner side of my knee", "bursitis"),
    ("why does my whole leg hurt", "overview"),
])
def test_lay_language_and_synonyms(text, topic):
    assert topic in topics(text)[:3]


@pytest.mark.parametrize("text, location", [
    ("the back of my leg above the knee hurts", "thigh"),
    ("my heel is sore", "foot"),
    ("pain in the arch of my foot", "foot"),
    ("my upper leg aches", "thigh"),
    ("my calves are tight", "calf"),
    ("ache in my groin", "hip"),
    ("my lower back hurts", "lower_back"),
    ("it hurts behind my knee", "knee"),
])
def test_everyday_location_names(text, location):
    assert location in match(text).locations


@pytest.mark.parametrize("text, places", [
    ("the ankle and my left knee", {"ankle", "knee"}),  # the knee puts the ankle named with it in the body
    ("i love to walk but my two tired feet", {"foot"}),  # "my" three words before the place
])
def test_a_place_in_the_body_puts_the_places_named_with_it_there(text, places):
    assert places <= set(match(text).locations)


def test_a_place_word_alone_is_not_a_place_in_the_body():
    assert match("we walked to the foot of the hill").locations == ()


@pytest.mark.parametrize("text", [
    "no swelling",
    "it isn't warm",
    "not numb at all",
    "i can still walk",
    "i can put weight on it fine",
    "there is no redness and no numbness",
    "a hot water bottle helps my knee",
    "i can't walk without limping",
])
def test_negated_or_harmless_phrases_raise_nothing(text):
    assert match(text + " and my knee aches").warnings == ()


@pytest.mark.parametrize("text,raised", [
    ("i have had a fever and a cough for three days", False), ("i have a fever and my throat hurts", False),
    ("my knee hurts and i have a fever", True), ("my leg is sore and i feel feverish", True)])
def test_a_fever_is_a_sign_only_with_pain(text, raised):
    found = match(text)
    assert ("swelling_redness_warmth" in found.warnings) == raised
    assert found.out_of_scope != raised


@pytest.mark.parametrize("text,raised", [
    ("my kneecap aches after sitting for a long time", False), ("my knee has ached for a long time", True),
    ("my knee has hurt for months and sitting for a long time makes it worse", True)])
def test_how_long_an_activity_lasts_is_not_how_long_the_pain_has(text, raised):
    assert ("persistent_pain" in match(text).warnings) == raised


@pytest.mark.parametrize("text", ["i have a cough that won't go away", "i have had a rash for weeks",
                                  "i have been tired for months now"])
def test_how_long_another_complaint_lasts_is_not_about_the_leg(text):
    assert match(text).out_of_scope


@pytest.mark.parametrize("text,raised", [
    ("it won't go away", "persistent_pain"), ("ive rested it for ages and its still no better", "persistent_pain"),
    ("i have a cough and my knee has hurt for weeks", "persistent_pain"),
    ("i can't walk on it. no cough", "cannot_bear_weight")])
def test_a_sign_beside_no_other_complaint_or_beside_the_leg_still_counts(text, raised):
    assert raised in match(text).warnings


@pytest.mark.parametrize("text,topic", [
    ("my knee aches when i go up the stairs", "patellofemoral_pain"),
    ("it hurts when i sit down and the pain goes down into my calf", "referred_pain"),
    ("the pain goes up my leg", "referred_pain")])
def test_going_up_or_down_stairs_is_an_activity_not_pain_that_travels(text, topic):
    assert match(text).topics[0].id == topic


@pytest.mark.parametrize("text,raised", [
    ("i feel hot and feverish", False), ("i am hot all the time", False),
    ("my knee feels hot", True), ("my knee is warm and i feel hot", True)])
def test_feeling_hot_all_over_is_not_a_warm_knee(text, raised):
    assert ("swelling_redness_warmth" in match(text).warnings) == raised


def test_negation_scope_ends_at_but():
    assert match("no swelling but my knee is red and hot").warnings == ("swelling_redness_warmth",)


def test_negated_sign_beside_a_real_one():
    found = match("no numbness but i can't put any weight on my leg")
    assert found.warnings == ("cannot_bear_weight",) and found.negated_warnings == ("numbness_tingling_weakness",)


@pytest.mark.parametrize("text", ["my foot does not numb", "it isn't warm and my knee aches", "my leg is not numb"])
def test_a_sign_named_with_a_not_is_reported_apart_and_never_raised(text):
    found = match(text)
    assert found.negated_warnings and not found.warnings


def test_several_warnings_at_once_urgent_first():
    result = match("my knee is swollen, it looks deformed and my foot is numb")
    assert set(result.warnings) == {"swelling_redness_warmth", "deformity", "numbness_tingling_weakness"}
    assert result.warnings[-1] == "swelling_redness_warmth"


def test_severe_pain_needs_an_injury():
    assert match("sudden severe pain after i twisted my knee").warnings == ("severe_pain_after_injury",)
    assert "severe_pain_after_injury" not in match("severe pain in my knee in the morning").warnings


@pytest.mark.parametrize("text", ["how is the traffic today", "my shoulder is stiff", "play some music",
                                  "arthritis in my fingers", "my dog hurt his leg", "break a leg", ""])
def test_out_of_scope(text):
    result = match(text)
    assert result.out_of_scope and result.topics == ()


def test_typed_text_with_punctuation_and_case():
    result = match("Knee pain -- and my FOOT hurts after long walks!!")
    assert {"knee", "foot"} <= set(result.locations) and "altered_gait" in topics("Knee pain, my foot hurts after long walks.")[:3]


def test_scores_explain_themselves():
    best = match("my kneecap aches when i climb stairs").topics[0]
    assert best.id == "patellofemoral_pain" and best.score > 0 and best.why


def test_a_matcher_is_compiled_once_and_pure():
    """Two matchers of equal packs agree; a pack compares by value, so nothing depends on identity."""
    assert load_knowledge() == KB
    text = "my knee hurts and the pain goes down into my calf"
    assert Matcher(load_knowledge()).match(text) == match(text)


def test_deterministic_and_long_input_is_bounded():
    text = "my knee hurts " * 3000
    assert match(text) == match(text)
    assert "knee" in match(text).locations
