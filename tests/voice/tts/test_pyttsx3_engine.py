"""Pyttsx3Synthesizer against the real pyttsx3 and espeak-ng."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from voice.audio.format import SpeechAudio
from voice.tts.synthesizer import Synthesizer
from voice.errors import VoiceError
from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer, VoiceInfo, find_voice, list_voices

SENTENCE = "My knee hurts when I climb stairs."


def samples(audio: SpeechAudio) -> np.ndarray:
    return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64)


def rms(audio: SpeechAudio) -> float:
    return float(np.sqrt(np.mean(samples(audio) ** 2)))


def assert_speech_like(audio: SpeechAudio) -> None:
    """Voiced energy in the speech band, switching between sound and pauses like words do."""
    x = samples(audio)
    assert audio.sample_rate in (16000, 22050, 24000, 44100)
    assert 0.3 < audio.duration < 30
    assert rms(audio) > 300
    assert np.abs(x).max() < 32767  # not clipped
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / audio.sample_rate)
    assert spectrum[(freqs > 80) & (freqs < 4000)].sum() > 0.8 * spectrum.sum()
    frame = audio.sample_rate // 50
    frame_rms = np.sqrt(np.mean(x[: len(x) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = frame_rms > 0.1 * frame_rms.max()
    assert 0.2 < loud.mean() < 0.98
    assert np.count_nonzero(np.diff(loud.astype(int))) >= 2


@pytest.fixture
def synth() -> Pyttsx3Synthesizer:
    return Pyttsx3Synthesizer()


def test_implements_the_synthesizer_protocol(synth):
    assert isinstance(synth, Synthesizer)


def test_sentence_becomes_speech_like_audio(synth):
    audio = synth.synthesize(SENTENCE)
    assert isinstance(audio, SpeechAudio)
    assert len(audio.pcm) % 2 == 0
    assert_speech_like(audio)


def test_slower_rate_gives_longer_audio(synth):
    synth.rate = 100
    slow = synth.synthesize(SENTENCE).duration
    synth.rate = 300
    fast = synth.synthesize(SENTENCE).duration
    assert slow > 2.5 * fast


def test_rate_outside_espeak_range_is_clamped(synth):
    synth.rate = 10
    assert synth.synthesize("knee").duration > 0


def test_lower_volume_gives_quieter_audio(synth):
    loud = rms(synth.synthesize(SENTENCE))
    synth.volume = 0.25
    quiet = rms(synth.synthesize(SENTENCE))
    assert quiet == pytest.approx(0.25 * loud, rel=0.05)
    synth.volume = 0.0
    assert rms(synth.synthesize(SENTENCE)) == 0


def test_fifty_utterances_in_a_row_each_give_speech(synth):
    """The reuse bug: every utterance must give fresh audio with the settings asked for."""
    durations: dict[int, list[float]] = {100: [], 175: [], 300: []}
    for i in range(50):
        synth.rate = (100, 175, 300)[i % 3]
        audio = synth.synthesize(f"Sentence {i}: my left knee is sore.")
        assert rms(audio) > 300, f"utterance {i} was silent"
        durations[synth.rate].append(audio.duration)
    assert min(durations[100]) > max(durations[175]) > 0
    assert min(durations[175]) > max(durations[300]) > 0


def test_two_synthesizers_keep_their_own_settings():
    slow, fast = Pyttsx3Synthesizer(rate=100), Pyttsx3Synthesizer(rate=300)
    for _ in range(3):
        assert slow.synthesize(SENTENCE).duration > 2.5 * fast.synthesize(SENTENCE).duration


def test_threads_take_turns(synth):
    results: list[SpeechAudio] = []
    threads = [threading.Thread(target=lambda: results.append(synth.synthesize(SENTENCE))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 and all(rms(audio) > 300 for audio in results)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_gives_no_audio(synth, text):
    assert synth.synthesize(text).pcm == b""


def test_unicode_text(synth):
    assert_speech_like(synth.synthesize("Knöchel, naïve café — ça va? 膝 😀 pain"))


def test_long_text(synth):
    sentence = "My knee is swollen in the morning and it aches when I walk. "
    short = synth.synthesize(sentence).duration
    long = synth.synthesize(sentence * 30).duration
    assert long > 25 * short


def spectral_centroid(audio: SpeechAudio) -> float:
    """A voice's fingerprint: espeak-ng jitters samples between runs, but not this (within a few Hz)."""
    power = np.abs(np.fft.rfft(samples(audio))) ** 2
    return float((power * np.fft.rfftfreq(len(samples(audio)), 1 / audio.sample_rate)).sum() / power.sum())


def test_voice_by_id_and_name_substring(synth):
    default = spectral_centroid(synth.synthesize(SENTENCE))
    synth.voice = "gmw/en-us"
    assert_speech_like(synth.synthesize(SENTENCE))
    synth.voice = "scotland"
    scottish = synth.synthesize(SENTENCE)
    assert_speech_like(scottish)
    assert abs(spectral_centroid(scottish) - default) > 100
    synth.voice = None
    assert spectral_centroid(synth.synthesize(SENTENCE)) == pytest.approx(default, abs=20)


def test_unknown_voice_is_a_voice_error(synth):
    synth.voice = "no such voice anywhere"
    with pytest.raises(VoiceError, match="voice"):
        synth.synthesize(SENTENCE)


def test_list_voices_has_english():
    voices = list_voices()
    assert all(isinstance(v, VoiceInfo) for v in voices)
    assert "gmw/en-us" in {v.id for v in voices}


def test_find_voice_prefers_exact_match():
    voices = [VoiceInfo("gmw/en-us-nyc", "English (America, New York City)", ("en-us-nyc",), None),
              VoiceInfo("gmw/en-us", "English (America)", ("en-us",), None)]
    assert find_voice("GMW/EN-US", voices).id == "gmw/en-us"
    assert find_voice("new york", voices).id == "gmw/en-us-nyc"
    with pytest.raises(VoiceError):
        find_voice("", voices)
