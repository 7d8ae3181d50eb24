"""Spoken commands: whole-utterance matching, politeness, typed text, and descriptions left alone."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice.conversation.commands import _PHRASES, Command, find_command, normalise, spoken_phrases, word_count, yes_or_no

ALL_PHRASES = [(command, phrase) for command, phrases in _PHRASES.items() for phrase in phrases]


@pytest.mark.parametrize("command,phrase", ALL_PHRASES)
def test_every_phrase_is_its_command(command, phrase):
    assert find_command(phrase) == command


@pytest.mark.parametrize("command,phrase", ALL_PHRASES)
def test_politeness_and_typing_do_not_hide_a_command(command, phrase):
    typed = phrase[0].upper() + phrase[1:] + "?"
    assert find_command(typed) == command
    assert find_command(f"can you please {phrase} thank you") == command
    assert find_command(f"OK, {phrase}, please.") == command


@pytest.mark.parametrize("text,command", [
    ("Say that again?", Command.REPEAT), ("pardon", Command.REPEAT), ("What did you say?", Command.REPEAT),
    ("could you repeat that please", Command.REPEAT), ("Sorry?", Command.REPEAT),
    ("slower please", Command.SLOWER), ("Can you speak more slowly?", Command.SLOWER),
    ("you're talking too fast", Command.SLOWER), ("faster", Command.FASTER), ("speed up", Command.FASTER),
    ("louder", Command.LOUDER), ("I can't hear you", Command.LOUDER), ("speak up please", Command.LOUDER),
    ("quieter", Command.QUIETER), ("softer", Command.QUIETER), ("you're too loud", Command.QUIETER),
    ("tell me more", Command.MORE), ("more detail please", Command.MORE), ("More.", Command.MORE),
    ("when should i see a doctor", Command.WARNINGS), ("What are the warning signs?", Command.WARNINGS),
    ("what can i say", Command.HELP), ("Help!", Command.HELP),
    ("start again", Command.START_OVER), ("reset", Command.START_OVER), ("Let's start over.", Command.START_OVER),
    ("stop", Command.STOP), ("STOP!", Command.STOP), ("please stop talking", Command.STOP),
    ("give me a moment", Command.WAIT), ("hold on", Command.WAIT), ("Hang on a second", Command.WAIT),
    ("bye", Command.GOODBYE), ("Goodbye!", Command.GOODBYE), ("that's all", Command.GOODBYE),
    ("thats all", Command.GOODBYE), ("That\u2019s all, thank you.", Command.GOODBYE), ("exit", Command.GOODBYE),
    ("quit", Command.GOODBYE), ("I'm done", Command.GOODBYE),
])
def test_spoken_and_typed_variants(text, command):
    assert find_command(text) == command


@pytest.mark.parametrize("text", [
    "my knee hurts more when i walk", "it won't stop hurting", "it wont stop hurting", "the pain will not stop",
    "i can't stop limping", "stop hurting my knee", "more pain in my calf", "my calf hurts more than my knee",
    "help my knee hurts", "i need help with my knee", "it hurts again", "my knee hurts again today",
    "the pain gets louder at night", "i walk slower now", "wait my knee also swells",
    "what is wrong with my knee", "when i stop walking the pain goes", "pain when i quit running",
    "goodbye to running my knee is done", "my knee is finished", "quietly aching calf",
])
def test_descriptions_containing_command_words_are_not_commands(text):
    assert find_command(text) is None


_DESCRIBES = set("knee calf shin thigh hurts aches pain swollen".split())  # "repeat it" is a command, "repeat it hurts" not
_DESCRIPTION_WORDS = st.lists(st.sampled_from(
    "my knee calf shin thigh hurts aches pain swollen when i walk run climb stairs it the".split()),
    min_size=1, max_size=6).filter(lambda words: bool(_DESCRIBES & set(words))).map(" ".join)


@given(phrase=st.sampled_from([p for _, p in ALL_PHRASES]), description=_DESCRIPTION_WORDS,
       before=st.booleans())
def test_a_command_inside_a_description_never_fires(phrase, description, before):
    text = f"{description} {phrase}" if before else f"{phrase} {description}"
    assert find_command(text) is None


@given(phrase=st.sampled_from([p for _, p in ALL_PHRASES]),
       decorate=st.sampled_from(["{}", "{}.", "{}!", "  {}  ", "{}?", '"{}"', "{} ...", "Well, {}"]))
def test_case_and_punctuation_do_not_matter(phrase, decorate):
    assert find_command(decorate.format(phrase.upper())) == find_command(phrase)


@pytest.mark.parametrize("text", ["yes", "Yeah.", "yep", "correct", "That's right", "that is right",
                                  "yes please", "Yes, that's correct.", "exactly", "uh huh", "okay"])
def test_yes_variants(text):
    assert yes_or_no(text) == (True, "")


@pytest.mark.parametrize("text", ["no", "Nope.", "wrong", "no it's not", "That's wrong!", "not right",
                                  "no thank you", "nah"])
def test_no_variants(text):
    assert yes_or_no(text) == (False, "")


def test_a_correction_after_no_is_kept():
    assert yes_or_no("No, pain in my calf.") == (False, "pain in my calf")
    assert yes_or_no("yes and it swells") == (True, "and it swells")


@pytest.mark.parametrize("text", ["my right knee hurts", "sure it hurts", "knee", "", "pain in my calf",
                                  "not sure", "maybe"])
def test_other_utterances_are_not_answers(text):
    assert yes_or_no(text) == (None, "")


def test_normalise_matches_recogniser_output():
    assert normalise("What's THAT? I can't — hear you!") == "what is that i can not hear you"
    assert word_count("  Pain,   in my calf. ") == 4


def test_spoken_phrases_cover_every_command_and_answer():
    phrases = spoken_phrases()
    assert {find_command(p) for p in phrases} >= set(Command)
    assert "yes" in phrases and "nope" in phrases


def test_a_command_padded_by_a_stray_word_is_still_found():
    from voice.conversation.commands import leading_command

    assert leading_command("repeat off") == Command.REPEAT
    assert leading_command("louder please now") == Command.LOUDER
    assert leading_command("what thigh") is None  # "what" alone is too common to trust
    assert leading_command("repeat") is None  # whole utterances are find_command's job
    assert leading_command("slower when i walk down") is None
    assert leading_command("slowly getting worse") is None  # one stray word, not a sentence
    assert leading_command("say again off") == Command.REPEAT
