"""One normaliser: the matcher, the commands, the speech model's corpus and word-error counting
see the same words, however a person or a recogniser wrote them."""
import pytest

from knowledge.evaluation import word_errors
from knowledge.text import BREAK, normalise, number_words, spoken_sentences, tokens, words
from voice.asr.pocketsphinx_lm.build import corpus_sentences_from_text
from voice.conversation.commands import Command, find_command, word_count

SAME = [
    ("I cannot walk", "i can't walk", "i cant walk", "i can not walk"),
    ("I'm done", "im done", "i am done", "I’m done"),
    ("11 weeks", "eleven weeks"),
    ("I've had it for 2 years", "ive had it for two years", "i have had it for two years"),
    ("it doesn't hurt", "it doesnt hurt", "it does not hurt"),
    ("what's that", "whats that", "what is that"),
]


@pytest.mark.parametrize("variants", SAME, ids=lambda v: v[0])
def test_variants_come_out_one_way_everywhere(variants):
    first = variants[0]
    for other in variants[1:]:
        assert words(other) == words(first)  # the matcher's and the commands' words
        assert word_errors(first, other) == 0  # word-error counting
        corpus = " ".join(corpus_sentences_from_text(other))  # what the speech model is trained on
        assert words(corpus) == words(first)
        assert word_count(other) == word_count(first)


def test_canonical_form():
    assert normalise("I cannot walk, im done.") == f"i can not walk {BREAK} i am done {BREAK}"
    assert words("It hurts for 11 weeks!") == "it hurts for eleven weeks".split()
    assert words("My knee's sore; it's hot") == "my knees sore it is hot".split()
    assert tokens("no swelling, but pain") == ["no", "swelling", BREAK, "but", "pain"]


def test_spoken_form_keeps_what_the_recogniser_writes():
    """The corpus keeps contractions (in the recogniser's dictionary) and gives them their apostrophe."""
    assert spoken_sentences("I cannot walk, im done.") == ["i cannot walk", "i'm done"]
    assert spoken_sentences("Pain for 11 weeks (on and off)") == ["pain for eleven weeks", "on and off"]
    assert corpus_sentences_from_text("i cant put weight on it") == ["i can't put weight on it"]


def test_bare_spellings_that_are_words_are_left_alone():
    assert words("ill its were well lets") == "ill its were well lets".split()


@pytest.mark.parametrize("number, spoken", [(0, "zero"), (11, "eleven"), (20, "twenty"), (45, "forty five"),
                                            (105, "one hundred and five"), (2024, "two thousand twenty four")])
def test_one_number_table(number, spoken):
    assert number_words(number) == spoken
    assert words(f"{number} days") == [*spoken.split(), "days"]


def test_commands_use_the_same_words():
    assert find_command("im done") == find_command("I'm done") == Command.GOODBYE
    assert find_command("I cannot hear you") == find_command("i cant hear you") == Command.LOUDER


def test_a_restricted_vocabulary_has_the_words_as_recognisers_write_them():
    from voice.asr.choice import Language

    words = Language(("I can't walk for 11 weeks.", "knee-cap"), ("tell me more",)).words()
    assert {"can't", "eleven", "knee", "cap", "tell"} <= set(words) and "11" not in words


def test_the_endpointer_reads_words_the_same_way():
    """A pause after "I'm", "im" or "i am" is a pause mid-phrase, however the recogniser wrote it."""
    from voice.asr.endpointing import TurnPolicy

    policy = TurnPolicy(0.5)
    assert policy.pause_after("I'm") == policy.pause_after("im") == policy.pause_after("i am") > 0.5
