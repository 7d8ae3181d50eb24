"""libvosk's N-best JSON as transcripts: segments joined, word confidences from the alternatives.

With `SetMaxAlternatives` libvosk gives each segment's likeliest texts with their scores (a
log-likelihood, higher is likelier) but drops the words' own confidences; a word's confidence is
then the posterior share of the segment's alternatives that hold that word at that time. libvosk
closes a segment at its own endpoint rules, so one utterance may span several: the utterance's
alternatives are the likeliest combinations of theirs.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

from voice.asr.recognizer import MAX_ALTERNATIVES, Alternative, Transcript, Word


@dataclass(frozen=True)
class Guess:
    """One alternative of one segment; word times on the recogniser's stream clock."""

    text: str
    score: float
    words: tuple[Word, ...]


def parse_segment(raw: str, origin: float) -> list[Guess]:
    """A segment's guesses, likeliest first; empty when libvosk heard no words in it."""
    data = json.loads(raw)
    items = data.get("alternatives")
    if items is None:
        items = [{"text": data.get("text", ""), "confidence": 0.0, "result": data.get("result", [])}]
    guesses = [Guess(str(item.get("text", "")), float(item.get("confidence", 0.0)),
                     tuple(Word(w["word"], w["start"] + origin, w["end"] + origin, float(w.get("conf", 1.0)))
                           for w in item.get("result", [])))
               for item in items]
    return guesses if guesses and guesses[0].text else []


def partial_text(raw: str) -> str:
    """The words of libvosk's partial result, in either of its forms."""
    data = json.loads(raw)
    if "partial" in data:
        return str(data["partial"])
    return str((data.get("alternatives") or [{}])[0].get("text", ""))


def transcript(segments: list[list[Guess]], start: float, engine: str) -> Transcript:
    """The utterance that began at stream time `start`, from its segments' guesses."""
    segments = [guesses for guesses in segments if guesses]
    words = tuple(word for guesses in segments for word in _best_words(guesses, start))
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    text = " ".join(w.text for w in words)
    return Transcript(text, words, confidence, engine, _alternatives(segments, text))


def _best_words(guesses: list[Guess], start: float) -> list[Word]:
    top = max(g.score for g in guesses)
    weights = [math.exp(g.score - top) for g in guesses]
    total = sum(weights)
    best = guesses[0]
    return [Word(word.text, _seconds(word.start - start), _seconds(word.end - start),
                 round(sum(w for g, w in zip(guesses, weights) if _holds(g, word)) / total, 4))
            for word in best.words]


def _holds(guess: Guess, word: Word) -> bool:
    """The guess has the same word over the same stretch of time."""
    return any(other.text == word.text and max(other.start, word.start) < min(other.end, word.end)
               for other in guess.words)


def _alternatives(segments: list[list[Guess]], best: str) -> tuple[Alternative, ...]:
    combined: list[tuple[str, float]] = [("", 0.0)]
    for guesses in segments:
        joined = sorted(((f"{text} {g.text}".strip(), score + g.score) for text, score in combined for g in guesses),
                        key=lambda pair: -pair[1])
        combined = list(dict(reversed(joined)).items())  # each text once, at its best score
        combined = sorted(combined, key=lambda pair: -pair[1])[:MAX_ALTERNATIVES + 1]
    if not segments:
        return ()
    top = combined[0][1]
    return tuple(Alternative(text, round(score - top, 4)) for text, score in combined if text != best)[:MAX_ALTERNATIVES]


def _seconds(value: float) -> float:
    """A time within the utterance, to the millisecond (a word begun just before it starts at 0)."""
    return round(max(0.0, value), 3)
