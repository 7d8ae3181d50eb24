"""The noise floor fills exact digital silence only, the same way every time."""
import numpy as np

from voice.audio.noise_floor import NOISE_DBFS, NoiseFloor


def test_only_exact_zeros_are_filled_faintly_and_repeatably():
    sound = (np.sin(np.arange(1600) / 5) * 3000).astype("<i2")
    pcm = np.concatenate([np.zeros(16000, dtype="<i2"), sound]).tobytes()
    filled = np.frombuffer(NoiseFloor().fill(pcm), dtype="<i2")
    silence = filled[:16000].astype(np.float64)
    assert np.count_nonzero(silence) > 8000
    assert abs(20 * np.log10(np.sqrt(np.mean(silence ** 2)) / 32768) - NOISE_DBFS) < 1.5
    kept = sound != 0
    assert np.array_equal(filled[16000:][kept], sound[kept])
    assert NoiseFloor().fill(pcm) == filled.tobytes()


def test_audio_without_exact_zeros_is_passed_on_as_it_is():
    pcm = (np.arange(1, 801) % 50 + 1).astype("<i2").tobytes()
    assert NoiseFloor().fill(pcm) is pcm
