"""Print the matcher's time per utterance (median and 99th percentile) on the bundled knowledge
base and on a generated one of 1,000 topics. Figures, not pass/fail: run with `make bench`."""
from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from knowledge.evaluation import load_cases
from knowledge.loader import load_knowledge
from knowledge.matcher import match
from knowledge.model import KnowledgeBase, Topic

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 20


def utterances() -> list[str]:
    sets = [ROOT / "tests/cases/typed_cases.yaml", ROOT.parent / "shared/eval/dev_cases.yaml"]
    return [case.say for path in sets if path.exists() for case in load_cases(path)]


def generated(kb: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """The bundled knowledge plus `size` made-up topics whose phrases reuse real and random words."""
    rng = random.Random(seed)
    words = sorted({w for t in kb.topics for p in t.phrases + t.cues for w in p.split()})
    words += [f"word{n}" for n in range(3000)]
    extra = []
    for n in range(size - len(kb.topics)):
        phrases = tuple(" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(12))
        cues = tuple(rng.sample(words, 6))
        extra.append(Topic(f"generated_{n}", "condition", f"Generated {n}", "Made up.", "More.", phrases,
                           (rng.choice(kb.locations).id,), cues, "generated"))
    return replace(kb, topics=kb.topics + tuple(extra))


def measure(kb: KnowledgeBase, texts: list[str]) -> tuple[float, float]:
    match(texts[0], kb)  # builds the phrase index once, as the assistant does at start-up
    times = []
    for _ in range(REPEATS):
        for text in texts:
            start = time.perf_counter()
            match(text, kb)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def main() -> int:
    texts = utterances()
    kb = load_knowledge()
    print(f"{len(texts)} utterances x {REPEATS} repeats, python {sys.version.split()[0]}")
    for label, base in (("bundled KB", kb), ("generated KB (1,000 topics)", generated(kb, 1000))):
        start = time.perf_counter()
        match("warm up", base)
        index_ms = (time.perf_counter() - start) * 1000
        median, p99 = measure(base, texts)
        print(f"{label:30s} topics={len(base.topics):5d}  median {median:.3f} ms  p99 {p99:.3f} ms  "
              f"(index build {index_ms:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
