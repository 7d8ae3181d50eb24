"""Recognise spoken commands and yes/no answers in what a person said.

A command fires only when the whole utterance is the command, give or take politeness
("please", "can you", "thank you"), so "my knee hurts more when I walk" stays a description
and "it won't stop hurting" never cuts the speech. Recogniser output (lower case, no
punctuation) and typed text (capitals, apostrophes, punctuation) go through the one normaliser,
knowledge.text, like the knowledge base's phrases.
"""
from __future__ import annotations

from enum import Enum

from knowledge.text import words


# At most this many words is what people say to stop or steer an answer they talk over ("tell me more").
SHORT_REQUEST_WORDS = 3


class Command(str, Enum):
    REPEAT = "repeat"
    SLOWER = "slower"
    FASTER = "faster"
    LOUDER = "louder"
    QUIETER = "quieter"
    MORE = "more"
    WARNINGS = "warnings"
    HELP = "help"
    START_OVER = "start_over"
    STOP = "stop"
    WAIT = "wait"
    GOODBYE = "goodbye"


def normalise(text: str) -> str:
    """The utterance as canonical words (knowledge.text), one space apart, for table look-ups."""
    return " ".join(words(text))


_PHRASES: dict[Command, tuple[str, ...]] = {
    Command.REPEAT: (
        "repeat", "repeat that", "repeat it", "say that again", "say it again", "say again",
        "pardon", "pardon me", "i beg your pardon", "what did you say", "what was that", "come again",
        "sorry what", "again", "one more time", "i did not catch that", "i did not hear that",
        "i did not hear you", "what", "sorry",
    ),
    Command.SLOWER: (
        "slower", "slow down", "speak slower", "talk slower", "more slowly", "speak more slowly",
        "talk more slowly", "a bit slower", "a little slower", "too fast", "you are too fast",
        "you are talking too fast", "you are speaking too fast", "slowly",
    ),
    Command.FASTER: (
        "faster", "speed up", "speak faster", "talk faster", "quicker", "speak quicker",
        "a bit faster", "a little faster", "too slow", "you are too slow", "you are talking too slow",
        "more quickly", "speak more quickly",
    ),
    Command.LOUDER: (
        "louder", "speak up", "speak louder", "talk louder", "a bit louder", "a little louder",
        "volume up", "turn it up", "turn up the volume", "i can not hear you", "too quiet",
        "you are too quiet",
    ),
    Command.QUIETER: (
        "quieter", "softer", "speak quieter", "speak softer", "speak more quietly", "speak more softly",
        "more quietly", "more softly", "talk quieter", "a bit quieter", "a little quieter", "volume down",
        "turn it down", "turn down the volume", "too loud", "you are too loud", "not so loud",
    ),
    Command.MORE: (
        "more", "tell me more", "more detail", "more details", "more information", "more info",
        "tell me more about that", "tell me more about it", "explain more", "go on", "continue",
        "what else", "can you tell me more", "i want to know more",
    ),
    Command.WARNINGS: (
        "warning signs", "what are the warning signs", "when should i see a doctor",
        "should i see a doctor", "do i need a doctor", "do i need to see a doctor",
        "when do i need a doctor", "when should i worry", "is it serious", "danger signs",
        "what are the danger signs", "tell me the warning signs", "when should i get help",
    ),
    Command.HELP: (
        "help", "what can i say", "what can i ask", "what do i say", "what should i say",
        "how does this work", "what can you do", "help me", "i need help", "instructions", "options",
    ),
    Command.START_OVER: (
        "start again", "start over", "reset", "restart", "begin again", "start from the beginning",
        "from the beginning", "new question", "let us start again", "let us start over",
        "forget that", "clear that",
    ),
    Command.STOP: (
        "stop", "stop talking", "stop it", "be quiet", "quiet", "shush", "shh", "hush", "shut up",
        "enough", "that is enough", "silence", "stop speaking",
    ),
    Command.WAIT: (
        "wait", "hold on", "hang on", "give me a moment", "give me a minute", "give me a second",
        "one moment", "just a moment", "one second", "just a second", "one minute", "wait a moment",
        "wait a minute", "wait a second", "hang on a second", "hang on a minute", "hold on a second",
        "hold on a minute", "let me think", "i need a moment",
    ),
    Command.GOODBYE: (
        "bye", "goodbye", "good bye", "bye bye", "that is all", "exit", "quit", "i am done",
        "i am finished", "finished", "we are done", "that is it", "no more questions", "see you",
        "see you later",
    ),
}

_YES = (
    "yes", "yeah", "yep", "yup", "yes it is", "correct", "that is correct", "that is right", "right",
    "exactly", "sure", "uh huh", "affirmative", "yes that is right", "yes correct", "true", "ok", "okay",
)
_NO = (
    "no", "nope", "nah", "wrong", "that is wrong", "not right", "that is not right", "incorrect",
    "no it is not", "it is not", "not really", "no that is wrong", "that is not it", "no that is not right",
)

# Politeness and fillers around a command; longest first so "can you please" goes in one step.
_LEADING = tuple(sorted((
    "please", "can you", "could you", "would you", "will you", "can you please", "could you please",
    "would you please", "ok", "okay", "um", "uh", "er", "erm", "hmm", "oh", "hey", "so", "well", "just",
    "now", "and", "i said", "i would like to", "i want to", "i want you to", "i would like you to",
    "sorry", "excuse me", "thank you", "thanks", "thank you very much", "thanks a lot", "great", "cheers",
), key=len, reverse=True))
_TRAILING = tuple(sorted((
    "please", "thanks", "thank you", "thank you very much", "now", "for me", "then", "ok", "okay",
    "a bit", "a little",
), key=len, reverse=True))

# Ordinary politeness: thanks, greetings, acknowledgements (with a goodbye it is a goodbye command).
_POLITE = (
    "thank you", "thanks", "thank you very much", "thanks a lot", "many thanks", "cheers", "ta",
    "that is helpful", "that was helpful", "that helps", "very helpful", "great", "good", "lovely", "perfect",
    "brilliant", "wonderful", "fine", "all right", "alright", "i see", "got it", "understood", "cool", "nice",
    "hello", "hi", "hey", "hello there", "hi there", "good morning", "good afternoon", "good evening",
)

_TABLE = {normalise(p): command for command, phrases in _PHRASES.items() for p in phrases}
_YES_SET = frozenset(normalise(p) for p in _YES)
_NO_SET = frozenset(normalise(p) for p in _NO)
_POLITE_SET = frozenset(normalise(p) for p in _POLITE)


def _variants(words: str) -> list[str]:
    """The utterance and every version of it with politeness peeled off either end."""
    found = [words]
    frontier = [words]
    while frontier:
        current = frontier.pop()
        for filler in _LEADING:
            if current.startswith(filler + " "):
                frontier.append(current[len(filler) + 1:])
        for filler in _TRAILING:
            if current.endswith(" " + filler):
                frontier.append(current[: -len(filler) - 1])
        found += [f for f in frontier if f not in found]
    return found


def find_command(text: str) -> Command | None:
    """The command `text` is, or None when it is anything else (a description, an answer)."""
    for variant in _variants(normalise(text)):
        if variant in _TABLE:
            return _TABLE[variant]
    return None


def is_polite(text: str) -> bool:
    """Thanks, a greeting or an acknowledgement, and nothing else ("ok, thank you", "hello there")."""
    return any(variant in _POLITE_SET for variant in _variants(normalise(text)))


def leading_command(text: str) -> Command | None:
    """A command said first in a short utterance the recogniser padded with one stray word
    ("repeat off" for "repeat that"); single words must be distinctive ("repeat", not "what").
    More words after it than that and politeness are speech of their own ("slowly getting worse")."""
    words = normalise(text).split()
    if not 1 < len(words) <= 3:
        return None
    for size in (2, 1):
        head, rest = " ".join(words[:size]), " ".join(words[size:])
        stray = rest and min(len(variant.split()) for variant in _variants(rest)) <= 1
        if stray and head in _TABLE and (size == 2 or len(head) >= 5):
            return _TABLE[head]
    return None


# What recognisers make of a lone "no": PocketSphinx heard hibari-tts's "no" as "now" at all 8
# yes/no questions of a sessions eval (the narrow answer recogniser's guess was "down", "no" second).
# Taken as "no" only alone and only where a yes/no question waits: elsewhere "now" is a word.
_NO_MISHEARD = frozenset({"now"})


def answer_to_question(text: str) -> tuple[bool | None, str]:
    """`yes_or_no` where a yes/no question waits, with a lone "no" as recognisers mishear it."""
    yes, rest = yes_or_no(text)
    if yes is None and normalise(text) in _NO_MISHEARD:
        return False, ""
    return yes, rest


def yes_or_no(text: str) -> tuple[bool | None, str]:
    """(True, rest) for a yes, (False, rest) for a no, (None, "") otherwise.

    `rest` is whatever followed the answer ("no, pain in my calf" -> "pain in my calf"),
    so a correction can be used straight away.
    """
    words = normalise(text)
    for variant in _variants(words):
        if variant in _YES_SET:
            return True, ""
        if variant in _NO_SET:
            return False, ""
    tokens = words.split()
    for size in range(min(4, len(tokens)), 0, -1):
        head, rest = " ".join(tokens[:size]), " ".join(tokens[size:])
        if head in _YES_SET and head not in ("right", "sure", "true", "ok", "okay"):
            return True, _unless_same(True, rest)
        if head in _NO_SET and head in ("no", "nope", "nah", "wrong", "no that is wrong"):
            return False, _unless_same(False, rest)
    return None, ""


def _unless_same(answer: bool, rest: str) -> str:
    """Drop a rest that only says the answer again ("yes, that's correct")."""
    return "" if yes_or_no(rest) == (answer, "") else rest


def command_phrases() -> dict[Command, tuple[str, ...]]:
    """Each command's phrases, the plainest first (for the help texts)."""
    return dict(_PHRASES)


def spoken_phrases() -> list[str]:
    """Every command and yes/no phrase, for a recogniser's language model or grammar."""
    return [p for phrases in _PHRASES.values() for p in phrases] + list(_YES) + list(_NO)


def word_count(text: str) -> int:
    return len(words(text))
