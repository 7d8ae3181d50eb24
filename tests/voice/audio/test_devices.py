"""Real capture and playback through sounddevice over the private PulseAudio daemon."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from voice.audio.format import AudioSink, AudioSource, SpeechAudio
from voice.errors import VoiceError
from voice.audio.devices import find_device, list_devices
from voice.audio.microphone import MicrophoneSource
from voice.audio.speaker import SpeakerSink
from voice.audio.wavfile import load_wav

audio = pytest.mark.audio
PHRASE = "my knee hurts and the pain goes down my shin"


def correlation_after_alignment(reference: np.ndarray, recorded: np.ndarray) -> float:
    """Normalised cross-correlation at the best lag (recording start jitters by ~50 ms)."""
    ref = reference - reference.mean()
    rec = recorded - recorded.mean()
    size = 1 << int(np.ceil(np.log2(len(ref) + len(rec))))
    cross = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(cross[: len(rec)]))
    segment = rec[lag : lag + len(ref)]
    ref = ref[: len(segment)]
    return float(np.dot(ref, segment) / (np.linalg.norm(ref) * np.linalg.norm(segment)))


def sounding_seconds(samples: np.ndarray, threshold: float = 0.01) -> float:
    """Span from the first to the last sample above `threshold`."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return (loud[-1] - loud[0]) / 16000 if loud.size else 0.0


@pytest.fixture(scope="module")
def espeak_wav(tmp_path_factory) -> Path:
    """A real spoken phrase at espeak-ng's own 22050 Hz."""
    path = tmp_path_factory.mktemp("speech") / "espeak.wav"
    subprocess.run(["espeak-ng", "-w", str(path), PHRASE], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def spoken(espeak_wav, tmp_path_factory) -> tuple[Path, np.ndarray]:
    """The phrase at 16 kHz with a small noise floor, as a WAV file and as float samples."""
    speech = np.frombuffer(load_wav(espeak_wav).pcm, dtype="<i2").astype(np.float64)
    noisy = speech + np.random.default_rng(7).normal(0.0, 30.0, speech.size)
    pcm = np.clip(np.rint(noisy), -32768, 32767).astype("<i2")
    path = tmp_path_factory.mktemp("speech") / "spoken16k.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(pcm.tobytes())
    return path, pcm / 32768.0


def espeak_audio(path: Path) -> SpeechAudio:
    with wave.open(str(path)) as src:
        return SpeechAudio(src.readframes(src.getnframes()), src.getframerate())


@audio
def test_microphone_records_what_is_played_into_it(virtual_audio, spoken):
    path, reference = spoken
    with MicrophoneSource() as mic:
        assert isinstance(mic, AudioSource)
        virtual_audio.feed_mic(path)
        recorded = mic.read(len(reference) + 8000)
        assert mic.dropped_frames == 0
    samples = np.frombuffer(recorded, dtype="<i2") / 32768.0
    assert len(samples) == len(reference) + 8000
    assert correlation_after_alignment(reference, samples) > 0.9


@audio
def test_speaker_plays_synthesiser_rate_audio_to_the_virtual_speaker(virtual_audio, espeak_wav):
    speech = espeak_audio(espeak_wav)
    assert speech.sample_rate == 22050
    sink = SpeakerSink()
    assert isinstance(sink, AudioSink)
    with virtual_audio.record_speaker() as recording:
        sink.play(speech)
    reference = np.frombuffer(load_wav(espeak_wav).pcm, dtype="<i2") / 32768.0
    assert correlation_after_alignment(reference, recording.samples) > 0.9


@audio
def test_stop_cuts_playback_short(virtual_audio, espeak_wav):
    speech = espeak_audio(espeak_wav)
    long_speech = SpeechAudio(speech.pcm * 4, speech.sample_rate)
    sink = SpeakerSink()
    with virtual_audio.record_speaker() as recording:
        player = threading.Thread(target=sink.play, args=(long_speech,))
        player.start()
        time.sleep(0.5)
        sink.stop()
        player.join(timeout=30)
    assert not player.is_alive()
    assert 0 < sounding_seconds(recording.samples) < long_speech.duration / 3


@audio
def test_slow_consumer_drops_old_audio_instead_of_growing(virtual_audio):
    with MicrophoneSource(buffer_seconds=0.2) as mic:
        time.sleep(0.6)
        assert mic.dropped_frames > 0
        assert len(mic.read(1600)) == 3200


@audio
def test_list_devices_shows_one_default_input_and_output(virtual_audio):
    devices = list_devices()
    inputs = [d for d in devices if d.default_input]
    outputs = [d for d in devices if d.default_output]
    assert len(inputs) == 1 and inputs[0].is_input
    assert len(outputs) == 1 and outputs[0].is_output
    assert {d.host_api for d in devices} >= {"ALSA"}


@audio
def test_devices_are_chosen_by_index_or_name_substring(virtual_audio):
    default = find_device(None, "input")
    assert find_device(default.index, "input") == default
    assert find_device(str(default.index), "input") == default
    assert find_device(default.name.upper()[:4], "input") == default
    with MicrophoneSource(default.name) as mic:
        assert mic.device_info == default
        assert len(mic.read(160)) == 320


@audio
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MicrophoneSource("no-such-mic"), "no input device matches 'no-such-mic'; available: "),
        (lambda: SpeakerSink("no-such-speaker"), "no output device matches 'no-such-speaker'; available: "),
        (lambda: MicrophoneSource(999), "there is no input device number 999"),
    ],
)
def test_unknown_devices_are_named_in_a_one_line_message(virtual_audio, make, message):
    with pytest.raises(VoiceError) as caught:
        make()
    text = str(caught.value)
    assert text.startswith(message) and "symptom-voice devices" in text and "\n" not in text


@audio
def test_unplugged_devices_give_messages_and_can_be_reopened(virtual_audio, espeak_wav):
    mic = MicrophoneSource()
    sink = SpeakerSink()
    try:
        assert mic.read(1600)
        virtual_audio.stop_daemon()
        with pytest.raises(VoiceError, match="microphone stopped sending audio"):
            for _ in range(1000):
                mic.read(1600)
        with pytest.raises(VoiceError, match="speaker is not available"):
            sink.play(espeak_audio(espeak_wav))
        with pytest.raises(VoiceError, match=r"^no microphone \(input device\) found: connect one"):
            mic.reopen()
    finally:
        virtual_audio.start_daemon(rescan_portaudio=False)
    mic.reopen()
    assert len(mic.read(1600)) == 3200
    mic.close()
    assert mic.read(1600) == b""


@audio
def test_a_wedged_capture_is_told_and_replaced_without_waiting_on_it(virtual_audio, spoken):
    """PortAudio 19.6 can loop for ever when the sound server stops mid-capture; a frozen capture
    process stands in for it: it never exits and never sends audio again."""
    path, reference = spoken
    mic = MicrophoneSource(read_timeout=0.5)
    try:
        assert mic.read(1600)
        wedged = mic._child
        os.kill(wedged.pid, signal.SIGSTOP)
        with pytest.raises(VoiceError, match="microphone stopped sending audio"):
            for _ in range(1000):
                mic.read(1600)
        started = time.monotonic()
        mic.reopen()
        assert time.monotonic() - started < 10  # safety bound only: the reopen does not wait on the wedged one
        assert wedged.poll() is not None and mic._child.pid != wedged.pid
        virtual_audio.feed_mic(path)
        recorded = np.frombuffer(mic.read(len(reference) + 8000), dtype="<i2") / 32768.0
        assert correlation_after_alignment(reference, recorded) > 0.9
    finally:
        mic.close()
    assert mic.read(1600) == b""


@audio
def test_the_capture_process_ends_with_the_program(virtual_audio):
    program = subprocess.Popen(
        [sys.executable, "-c", "from voice.audio.microphone import MicrophoneSource; import os, sys; "
         "mic = MicrophoneSource(); print(mic._child.pid, flush=True); os._exit(0)"],
        stdout=subprocess.PIPE, text=True)
    child = int(program.stdout.readline())
    program.wait(timeout=30)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_missing_portaudio_is_explained(tmp_path, monkeypatch):
    """A fake sounddevice that fails the way the real one does without libportaudio2."""
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    with pytest.raises(VoiceError, match=r"PortAudio library is missing: .*apt-get install libportaudio2"):
        list_devices()


@audio
def test_playback_runs_in_a_process_whose_complaints_never_reach_the_screen(virtual_audio, espeak_wav):
    """PortAudio's ALSA layer printed "underrun occurred" on the captions' terminal when an answer was cut."""
    with SpeakerSink() as sink:
        player = sink._player
        assert player is not None and player.process.pid != os.getpid()
        assert os.readlink(f"/proc/{player.process.pid}/fd/2") == os.devnull


@audio
def test_after_a_cut_the_next_clip_plays_whole(virtual_audio, espeak_wav):
    speech = espeak_audio(espeak_wav)
    with SpeakerSink() as sink:
        player = threading.Thread(target=sink.play, args=(SpeechAudio(speech.pcm * 4, speech.sample_rate),))
        player.start()
        time.sleep(0.5)
        cut = time.monotonic()
        sink.stop()
        player.join(timeout=30)
        assert time.monotonic() - cut < 1.0  # a generous bound: the process is killed, not asked
        with virtual_audio.record_speaker() as recording:
            sink.play(speech)
    reference = np.frombuffer(load_wav(espeak_wav).pcm, dtype="<i2") / 32768.0
    assert correlation_after_alignment(reference, recording.samples) > 0.9


class WedgedFirst(SpeakerSink):
    """A speaker whose first playback process never answers, as a PortAudio stuck in its ALSA error loop."""

    def _player_command(self) -> list[str]:
        if not getattr(self, "wedged_once", False):
            self.wedged_once = True
            return [sys.executable, "-c", "import sys, time; sys.stdin.buffer.read(1); time.sleep(60)"]
        return super()._player_command()


@audio
def test_a_wedged_playback_process_is_killed_reported_and_replaced(virtual_audio, espeak_wav):
    speech = espeak_audio(espeak_wav)
    with WedgedFirst(answer_timeout=1.0) as sink:
        wedged = sink._player
        with pytest.raises(VoiceError, match="speaker stopped responding"):
            sink.play(speech)
        assert wedged is not None and wedged.process.poll() is not None
        with virtual_audio.record_speaker() as recording:
            sink.play(speech)
    reference = np.frombuffer(load_wav(espeak_wav).pcm, dtype="<i2") / 32768.0
    assert correlation_after_alignment(reference, recording.samples) > 0.9


@audio
def test_a_changed_sound_route_starts_a_new_playback_process(virtual_audio, espeak_wav, monkeypatch):
    """The echo canceller routes this process's sound by PULSE_SINK, which a process reads when it starts."""
    with SpeakerSink() as sink:
        first = sink._player
        monkeypatch.setenv("PULSE_SINK", "spk")
        sink.play(espeak_audio(espeak_wav))
        assert sink._player is not first and sink._player is not None
        assert sink._player.environ["PULSE_SINK"] == "spk"
        assert first is not None and first.process.poll() is not None
