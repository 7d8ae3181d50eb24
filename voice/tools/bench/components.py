"""Figures of single parts, each driven through its public interface: the recogniser's real-time
factor and the compiled matcher's time per utterance (on the bundled knowledge base, on what a
recogniser heard, and on a generated knowledge base of 1,000 topics to show how it scales)."""
from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.evaluation import load_cases
from knowledge.matcher import Matcher
from knowledge.model import KnowledgeBase, Topic
from voice.asr.recognizer import Recognizer
from voice.tools.bench.fixtures import FIXTURES
from voice.tools.bench.result import MatcherFigures, Stats
from voice.tools.transcribe import transcribe_file

MATCH_REPEATS = 5  # each utterance is matched this often: one match takes well under a millisecond
GENERATED_TOPICS = 1000
TEXT_SETS = (FIXTURES / "cases.yaml", FIXTURES.parent / "tests" / "knowledge" / "cases" / "typed_cases.yaml")


@dataclass(frozen=True)
class Heard:
    """What a recogniser made of a recording, and how fast (decode time / audio time)."""

    text: str
    rtf: float


def transcribe_all(paths: Sequence[Path], recognizer: Recognizer) -> list[Heard]:
    """Each recording transcribed whole, as `symptom-voice transcribe` does."""
    heard = []
    for path in paths:
        done = transcribe_file(path, recognizer)
        heard.append(Heard(done.transcript.text, done.real_time_factor))
    return heard


def matcher_times(kb: KnowledgeBase, texts: Sequence[str]) -> MatcherFigures:
    """Compile the matcher for `kb`, then time each of `texts` (`MATCH_REPEATS` times)."""
    started = time.perf_counter()
    matcher = Matcher(kb).match
    compile_ms = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(MATCH_REPEATS):
        for text in texts:
            started = time.perf_counter()
            matcher(text)
            times.append((time.perf_counter() - started) * 1000)
    return MatcherFigures(len(kb.topics), compile_ms, Stats.of(times))


def matcher_scaling(kb: KnowledgeBase) -> dict[str, MatcherFigures]:
    """The matcher on the bundled knowledge base and on one grown to `GENERATED_TOPICS` topics."""
    texts = [case.say for path in TEXT_SETS if path.is_file() for case in load_cases(path)]
    return {"bundled": matcher_times(kb, texts),
            f"generated ({GENERATED_TOPICS:,} topics)": matcher_times(generated(kb, GENERATED_TOPICS), texts)}


def generated(kb: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """The bundled knowledge plus made-up topics up to `size`, whose phrases reuse real and random words."""
    rng = random.Random(seed)
    words = sorted({w for t in kb.topics for p in t.phrases + t.cues for w in p.split()})
    words += [f"word{n}" for n in range(3000)]
    extra = tuple(
        Topic(id=f"generated_{n}", kind="condition", title=f"Generated {n}", summary="Made up.", more="More.",
              phrases=tuple(" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(12)),
              locations=(rng.choice(kb.locations).id,), cues=tuple(rng.sample(words, 6)), source="generated")
        for n in range(size - len(kb.topics)))
    return replace(kb, topics=kb.topics + extra)
