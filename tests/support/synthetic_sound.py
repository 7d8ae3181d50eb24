"""Generated int16 audio for tests that need exact times: bursts that stand in for speech, pauses, noise."""
from __future__ import annotations

import numpy as np

RATE = 16000
FLOOR_STD = 3.0  # a faint noise floor: a real microphone never gives exact zeros


def sound(parts: list[tuple[str, float]], rate: int = RATE, seed: int = 0, snr_db: float | None = None) -> bytes:
    """int16 PCM from ("quiet" | "noise" | "tone" | "voice" | "fall" | "rise", seconds) parts over a faint noise floor.

    "tone" is a 440 Hz sine, "voice" a 140 Hz buzz with its harmonics (as a vowel has), "fall" the
    same buzz gliding down to 80 Hz (a voice at a sentence's end), "rise" gliding up to 200 Hz, "noise"
    loud white noise. With `snr_db`, steady white noise that many dB below the bursts' level runs
    under the whole clip (a noisy room).
    """
    rng = np.random.default_rng(seed)
    pieces = []
    for kind, seconds in parts:
        n = int(round(seconds * rate))
        t = np.arange(n) / rate
        piece = np.zeros(n)
        if kind == "noise":
            piece = rng.normal(0.0, 3000.0, n)
        elif kind == "tone":
            piece = 8000.0 * np.sin(2 * np.pi * 440.0 * t)
        elif kind in ("voice", "fall", "rise"):
            hz = np.geomspace(140.0, {"voice": 140.0, "fall": 80.0, "rise": 200.0}[kind], n)
            phase = 2 * np.pi * np.cumsum(hz) / rate
            piece = sum(3000.0 / k * np.sin(k * phase) for k in range(1, 16))
        elif kind != "quiet":
            raise ValueError(f"unknown kind of sound {kind!r}")
        pieces.append(piece)
    audio = np.concatenate(pieces)
    loud = np.abs(audio) > 0
    if snr_db is not None and loud.any():
        level = float(np.sqrt(np.mean(audio[loud] ** 2)))
        audio = audio + rng.normal(0.0, level / 10 ** (snr_db / 20), len(audio))
    audio = audio + rng.normal(0.0, FLOOR_STD, len(audio))
    return audio.clip(-32768, 32767).astype("<i2").tobytes()


def seconds_of(pcm: bytes, rate: int = RATE) -> float:
    return len(pcm) / (2 * rate)
