"""The one text normaliser: knowledge phrases, what people type or say, commands, the speech
model's corpus and word-error counting all go through it, so "I can't", "i cant" and "I cannot"
are the same words everywhere, as are "I'm" and "im", and "11 weeks" and "eleven weeks".

Two forms come out of one pipeline:
- the spoken form (`spoken_sentences`): lower-case words as a recogniser writes them, numbers
  spelled out, contractions kept but given their apostrophe ("im" -> "i'm"), since the
  recogniser's dictionary has "can't" and hears it better than "can not";
- the canonical form (`normalise`, `tokens`, `words`): the spoken form with contractions
  expanded ("can't" -> "can not"), apostrophes gone, used wherever words are compared.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Clause breaks survive tokenisation as this marker so negation never crosses a sentence.
BREAK = "|"

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_LARGEST_SPELLED = 999_999  # larger numbers (phone numbers, ids) are left as digits

# Contractions and what they mean. "n't" and "'ve", "'re", "'ll", "'d", "'m" expand by rule;
# these are the ones a rule cannot spell.
_IRREGULAR_NOT = {"can't": "can not", "cannot": "can not", "won't": "will not", "ain't": "is not",
                  "shan't": "shall not"}
_ENDINGS = (("n't", " not"), ("'ve", " have"), ("'re", " are"), ("'ll", " will"), ("'d", " would"),
            ("'m", " am"))
_IS_AFTER = frozenset("it that what there here he she who where how".split())  # "it's" is "it is", "knee's" is not
_LET_US = {"let's": "let us"}
# Contractions written without their apostrophe (by recognisers and hurried typists), read as the
# contraction only where the bare spelling is no English word of its own: "im" and "cant" are read
# so, "ill", "its", "were" and "lets" are left alone.
_BARE = {bare.replace("'", ""): bare for bare in (
    "can't won't ain't don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't couldn't "
    "wouldn't shouldn't mustn't needn't i'm i've you've we've they've you're they're that's what's "
    "there's she's he's you'll they'll it'll you'd they'd").split()}

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`\u00b4]")
_DIGIT_GROUPS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_DECIMAL = re.compile(r"\b(\d+)\.(\d+)\b")
_NUMBER = re.compile(r"\b\d+\b")
_BREAK_CHARS = re.compile(r"[.,;:!?()\[\]{}\"\n]+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|\|")


def number_words(number: int) -> str:
    """0 to 999,999 in words ("eleven", "two hundred and five"); larger numbers stay digits."""
    if not 0 <= number <= _LARGEST_SPELLED:
        return str(number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    thousands, rest = divmod(number, 1000)
    return f"{number_words(thousands)} thousand" + (f" {number_words(rest)}" if rest else "")


def _spoken_tokens(text: str) -> list[str]:
    text = _APOSTROPHES.sub("'", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = _DIGIT_GROUPS.sub("", text)
    text = _DECIMAL.sub(lambda m: f"{m.group(1)} point {' '.join(m.group(2))}", text)
    text = _NUMBER.sub(lambda m: f" {number_words(int(m.group()))} ", text)
    text = text.replace("&", " and ").replace("%", " percent ").replace("-", " ").replace("_", " ")
    text = _BREAK_CHARS.sub(f" {BREAK} ", text)
    return [_BARE.get(token, token) for token in _TOKEN.findall(text)]


def _expand(token: str) -> str:
    """A spoken-form token in canonical words: contractions expanded, apostrophes gone."""
    if "'" not in token and token != "cannot":
        return token
    if token in _IRREGULAR_NOT:
        return _IRREGULAR_NOT[token]
    if token in _LET_US:
        return _LET_US[token]
    for ending, meaning in _ENDINGS:
        if token.endswith(ending) and len(token) > len(ending):
            return token[: -len(ending)] + meaning
    if token.endswith("'s") and token[:-2] in _IS_AFTER:
        return token[:-2] + " is"
    return token.replace("'", "")  # a possessive: "knee's" -> "knees"


def spoken_sentences(text: str) -> list[str]:
    """The clauses of `text` as a recogniser would write them: for a speech model's corpus."""
    sentences, current = [], []
    for token in _spoken_tokens(text) + [BREAK]:
        if token != BREAK:
            current.append(token)
        elif current:
            sentences.append(" ".join(current))
            current = []
    return sentences


def normalise(text: str) -> str:
    """Canonical words separated by spaces, with clause breaks marked by BREAK."""
    return " ".join(_expand(token) for token in _spoken_tokens(text))


def tokens(text: str) -> list[str]:
    """Canonical words and clause-break markers."""
    return normalise(text).split()


def words(text: str) -> list[str]:
    """Canonical words alone: for comparing whole utterances and counting word errors."""
    return [token for token in tokens(text) if token != BREAK]


def pronounce(text: str, pronunciations: Mapping[str, str]) -> str:
    """`text` with each word the pack spells out for speech replaced ("ACL" -> "A C L"): for the
    synthesiser only, so captions keep the normal spelling."""
    if not pronunciations:
        return text
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(pronunciations, key=len, reverse=True))) + r")\b")
    return pattern.sub(lambda m: pronunciations[m.group()], text)


_IRREGULAR = {
    "tore": "tear", "torn": "tear", "tearing": "tear", "swollen": "swell", "fell": "fall",
    "fallen": "fall", "feet": "foot", "calves": "calf", "ran": "run", "running": "run",
    "runner": "run", "runners": "run", "jumper": "jump", "jumpers": "jump", "lower": "low",
    "knees": "knee", "shins": "shin", "thighs": "thigh", "hips": "hip", "ankles": "ankle",
    "toes": "toe", "gave": "give", "given": "give", "giving": "give", "hurting": "hurt",
    "worse": "bad", "worst": "bad", "stairs": "stair", "twisted": "twist", "walked": "walk",
    "tingly": "tingl", "achy": "ach", "sore": "sore", "bursae": "bursa", "tendons": "tendon",
    "inflamed": "inflam", "inflammation": "inflam", "numbness": "numb", "knew": "know",
    "weeks": "multiweek", "months": "multimonth", "years": "multiyear",  # plural time spans mean "a long time"
    "couldn": "could", "goes": "go", "does": "do", "stood": "stand", "felt": "feel",
}
_KEEP_S = ("ss", "us", "is", "ous")


def stem(word: str) -> str:
    """A light stemmer: enough to make plural and verb forms meet ("aches", "aching", "ache")."""
    word = _IRREGULAR.get(word, word)
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("es") and (word[-3] in "sxz" and not word.endswith("ses") or word.endswith("ches")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(_KEEP_S):
        word = word[:-1]
    for _ in range(2):  # "tiredness" -> "tired" -> "tir"
        for suffix in ("ness", "ing", "ed", "ly"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        else:
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 3 and word[-1] in "ey":
        word = word[:-1]
    return word
