"""Which words already make a whole turn, so a shorter pause ends it: a command, a warning sign, or a
place and what is wrong there. A place alone is not, even when its word also names a topic
("kneecap", "hamstring")."""
from __future__ import annotations

import pytest

from knowledge.loader import load_knowledge
from voice.app import whole_turn


@pytest.fixture(scope="module")
def complete():
    return whole_turn(load_knowledge())


@pytest.mark.parametrize("words", ["my knee hurts", "my kneecap clicks", "pain in my calf", "my knee gives way",
                                   "my thigh is bruised", "tell me more",
                                   "i can't bear weight on my leg", "my knee is red"])
def test_a_place_with_what_is_wrong_or_a_command_is_whole(complete, words):
    assert complete(words)


@pytest.mark.parametrize("words", ["my kneecap", "my hamstring", "my knee", "the back of my knee", "my knee and", "my feet for",
                                   "my calf", "my leg"])
def test_a_place_alone_is_not_whole(complete, words):
    assert not complete(words)


def test_words_that_are_not_about_the_area_are_not_whole(complete):
    assert not complete("tell me a joke")
