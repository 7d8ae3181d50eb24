"""Text normalisation shared by the knowledge base's phrases and what people say.

Phrases and transcripts go through the same steps, so a phrase written once in the
knowledge base matches typed text ("Can't", "knee-cap", "2 weeks") and recogniser
output ("cant", "knee cap", "two weeks") alike.
"""
from __future__ import annotations

import re
import unicodedata

_CONTRACTIONS = (
    (re.compile(r"\bcan'?t\b"), "can not"),
    (re.compile(r"\bcannot\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\bain'?t\b"), "is not"),
    (re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need)n'?t\b"), r"\1 not"),
    (re.compile(r"\b(i|you|we|they)'ve\b"), r"\1 have"),
    (re.compile(r"\b(i)'m\b"), r"\1 am"),
    (re.compile(r"\b(it|that|there|he|she|what)'s\b"), r"\1 is"),
    (re.compile(r"\b(\w+)'ll\b"), r"\1 will"),
    (re.compile(r"\b(\w+)'d\b"), r"\1 would"),
)

_DIGITS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten", "12": "twelve",
}

# Spoken and written variants that mean the same place or thing, rewritten before matching.
_REWRITES = (
    (re.compile(r"\bback of\b"), "behind"),
    (re.compile(r"\bat the back\b"), "behind"),
)

# Clause breaks survive tokenisation as this marker so negation never crosses a sentence.
BREAK = "|"
_BREAK_CHARS = re.compile(r"[.,;:!?()\[\]\n]+")
_TOKEN = re.compile(r"[a-z0-9]+|\|")

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


def normalise(text: str) -> str:
    """Lower-case ASCII text with contractions expanded and clause breaks marked."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("`", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = re.sub(r"'s\b", "s", text).replace("'", "")
    text = text.replace("&", " and ").replace("-", " ")
    text = _BREAK_CHARS.sub(f" {BREAK} ", text)
    text = re.sub(r"\b\d+\b", lambda m: _DIGITS.get(m.group(), m.group()), text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def tokens(text: str) -> list[str]:
    """Words and clause-break markers of normalised text."""
    return _TOKEN.findall(normalise(text))


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
