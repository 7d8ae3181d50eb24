"""Intonation on recorded speech and on generated glides: a voice that fell as at a sentence's end."""
from __future__ import annotations

import numpy as np
import yaml

from paths import ROOT
from synthetic_sound import sound
from voice.asr.intonation import fell
from voice.audio.format import SAMPLE_RATE
from voice.audio.wavfile import read_wav
from voice.tools.bench.fixtures import speech_end

FIXTURES = ROOT / "audio_tests"
AFTER_PAUSE_STARTS = 0.15  # the endpointer asks when this much silence has passed


def test_a_voice_that_falls_at_the_end_fell_and_a_level_or_rising_one_did_not() -> None:
    assert fell(sound([("quiet", 0.3), ("voice", 1.0), ("fall", 0.4), ("quiet", 0.15)]))
    assert not fell(sound([("quiet", 0.3), ("voice", 1.4), ("quiet", 0.15)]))
    assert not fell(sound([("quiet", 0.3), ("voice", 1.0), ("rise", 0.4), ("quiet", 0.15)]))


def test_no_voice_tells_nothing() -> None:
    noise = np.random.default_rng(0).normal(0, 3000, SAMPLE_RATE).astype("<i2").tobytes()
    assert not fell(noise) and not fell(b"") and not fell(bytes(SAMPLE_RATE * 2))


def _spoken(case: str) -> bytes:
    cases = yaml.safe_load((FIXTURES / "cases.yaml").read_text())["cases"]
    audio = next(c["audio"] for c in cases if c["id"] == case)
    return read_wav(FIXTURES / audio)[1]


def _upto(pcm: bytes, seconds: float) -> bytes:
    return pcm[:int((seconds + AFTER_PAUSE_STARTS) * SAMPLE_RATE) * 2]


def test_recorded_descriptions_fell_at_their_end_and_never_at_a_pause_inside_a_sentence() -> None:
    """The spoken fixtures (espeak-ng voices): most fall at the end, none where the bench splices a pause."""
    pauses = yaml.safe_load((FIXTURES / "pauses.yaml").read_text())["pauses"]
    assert not any(fell(_upto(_spoken(p["case"]), p["at"])) for p in pauses)
    cases = sorted({p["case"] for p in pauses})
    ended = [fell(_upto(pcm, speech_end(pcm))) for pcm in map(_spoken, cases)]
    assert sum(ended) >= 0.6 * len(ended)
