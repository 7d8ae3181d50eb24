"""What the bench measured, as typed values with a JSON form (`BenchResult.to_json`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class Stats:
    """Median and 95th percentile of one figure; None when nothing was measured."""

    median: float | None = None
    p95: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            return cls()
        return cls(float(np.median(values)), float(np.percentile(values, 95)))


@dataclass(frozen=True)
class CutOff:
    """How many runs of the paused fixtures were cut off, of how many."""

    cut: int
    of: int


@dataclass(frozen=True)
class EngineFigures:
    """Every figure for one recogniser, seconds unless the name says otherwise."""

    cold_start_s: Stats  # launching `symptom-voice` to its first listen, greeting synthesised
    speech_end_to_audio_s: Stats  # true end of the person's speech to the first sample of the reply
    endpoint_delay_s: Stats  # true end of speech to the end of the turn
    response_latency_s: Stats  # end of the turn to the first sample of the reply
    final_decode_s: Stats  # end of the turn to its transcript (part of the response latency)
    cut_off_rate: float | None  # share of the paused fixtures whose turn ended inside the pause (0 to 1)
    cut_off: int  # how many of them
    paused: int  # paused fixture runs
    cut_off_by_pause: dict[str, CutOff]  # by the pause's length in seconds ("0.6")
    cut_off_fixtures: list[str]  # which were cut off
    rtf: Stats  # recogniser time / audio time, each fixture transcribed whole
    matcher_ms: Stats  # the compiled matcher on what this recogniser heard, per utterance
    peak_rss_mb: float  # of a process that ran every turn with this recogniser
    replies: int  # fixture runs timed to the first sample of a reply
    missed: int  # fixture runs in which no endpoint came before the audio ended (not timed)


@dataclass(frozen=True)
class MatcherFigures:
    """The compiled matcher on one knowledge base: its compile time, and time per utterance."""

    topics: int
    compile_ms: float
    per_utterance_ms: Stats


@dataclass(frozen=True)
class BenchResult:
    cores: int
    fixtures: int  # spoken fixtures, each run `repeats` times
    paused_fixtures: int  # of them with a mid-sentence pause spliced in
    repeats: int
    cold_runs: int
    engines: dict[str, EngineFigures] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # engine -> why it could not be measured here
    matcher: dict[str, MatcherFigures] = field(default_factory=dict)  # knowledge base -> figures

    def to_json(self) -> dict:
        return asdict(self)
