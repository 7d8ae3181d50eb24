"""A faint noise floor where live audio is exact digital silence, before anything listens to it.

A microphone in a room is never exactly silent, and PocketSphinx's features assume it is not: the
echo canceller's output, the residual-echo gate's and a noise-gated or virtual microphone are
runs of exact zeros, and they skew the recogniser. Live, "my knee aches when i go up the stairs"
said after such silence was heard as "i go up"; with this floor under it, offline, "my knee a i go
up stairs". Of 29 "stop"s said over the assistant, as the canceller passed them on, 10 decoded as
"stop ..." without it and 14 with it. Only exact zeros are filled, so audio with any sound of its
own is heard as before.
"""
from __future__ import annotations

import numpy as np

NOISE_DBFS = -80.0  # about 3 steps of 16-bit audio: far below any room, above nothing at all


class NoiseFloor:
    """Fills the exact zeros of 16-bit PCM with faint noise, the same noise for the same audio."""

    def __init__(self, seed: int = 1) -> None:
        self._rng = np.random.default_rng(seed)
        self._scale = 32768 * 10 ** (NOISE_DBFS / 20)

    def fill(self, pcm: bytes) -> bytes:
        samples = np.frombuffer(pcm, dtype="<i2")
        zero = samples == 0
        if not zero.any():
            return pcm
        filled = samples.copy()
        filled[zero] = np.rint(self._rng.normal(0.0, self._scale, int(zero.sum()))).astype("<i2")
        return filled.tobytes()
