"""The sound server's echo canceller, set up by the assistant on the private PulseAudio daemon,
and the gate that silences what it leaves of the assistant's own voice."""
from __future__ import annotations

import subprocess
import threading

import numpy as np
import pytest

from voice.audio.echo_cancel import MODULE, EchoCanceller, ResidualEchoGate

audio = pytest.mark.audio
RATE = 16000


@pytest.fixture
def room(virtual_audio):
    """The daemon with the speaker leaking into the microphone at -12 dB, as in a room."""
    with virtual_audio.room_echo():
        yield virtual_audio


@audio
def test_the_canceller_is_loaded_routed_and_removed(room):
    environ: dict[str, str] = {}
    echo = EchoCanceller(environ=environ)
    assert echo.start() is None and echo.active
    assert len(room.modules(MODULE)) == 1
    assert environ == {"PULSE_SOURCE": echo.source_name, "PULSE_SINK": echo.sink_name}
    echo.close()
    assert not echo.active and room.modules(MODULE) == [] and environ == {}


@audio
def test_the_assistants_voice_is_cancelled_and_the_persons_is_not(room, tmp_path):
    """Speech played through the canceller's speaker comes back from its microphone at least 20 dB
    down, and silent once the residual gate has learnt it; speech played into the room comes through
    whole. The canceller alone is not held to more: webrtc took off 35 to 62 dB here but 28.7 and
    29.0 dB on CI machines, which is what the gate is for."""
    from voice.audio.devices import refresh_devices
    from voice.audio.microphone import MicrophoneSource
    from voice.audio.speaker import SpeakerSink
    from voice.audio.format import SpeechAudio

    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "my knee hurts when i climb the stairs every morning"],
                   check=True, capture_output=True)
    from voice.audio.wavfile import load_wav

    speech = load_wav(wav)
    echo = EchoCanceller()
    assert echo.start() is None
    try:
        refresh_devices()
        mic, sink = MicrophoneSource(), SpeakerSink()
        gate = ResidualEchoGate()
        captured, gated = bytearray(), bytearray()
        for _ in range(3):  # the first passes let the canceller converge and the gate learn
            player = threading.Thread(target=sink.play, args=(SpeechAudio(speech.pcm, speech.sample_rate),))
            captured.clear()
            gated.clear()
            player.start()
            while player.is_alive():
                block = mic.read(1600)
                captured += block
                gated += gate.process(block, speaking=True)
        room.feed_mic(wav)
        person = bytearray(mic.read(RATE * 3))
        mic.close()
    finally:
        echo.close()
    played = np.frombuffer(speech.pcm, dtype="<i2").astype(float)
    echoed = np.frombuffer(bytes(captured), dtype="<i2").astype(float)
    heard = np.frombuffer(bytes(person), dtype="<i2").astype(float)
    left = np.frombuffer(bytes(gated), dtype="<i2").astype(float)
    print(f"echo {_db(echoed) - _db(played):.1f} dB, after the gate {_db(left) - _db(played):.1f} dB, "
          f"person {_db(heard) - _db(played):.1f} dB")
    assert _db(echoed) < _db(played) - 20
    assert _db(left) < _db(played) - 60
    assert _db(heard) > _db(played) - 10


def test_no_sound_server_is_one_clear_reason():
    def no_server(args):
        return subprocess.CompletedProcess(["pactl", *args], 1, "", "Connection failure: Connection refused")

    echo = EchoCanceller(run=no_server, environ={})
    assert echo.start() == "no PulseAudio or PipeWire sound server is running" and not echo.active


def test_a_module_that_fails_to_load_is_one_clear_reason():
    environ: dict[str, str] = {}

    def refusing(args):
        if args[0] == "info":
            return subprocess.CompletedProcess(args, 0, "Default Sink: spk\nDefault Source: mic\n", "")
        if args[0] == "load-module":
            return subprocess.CompletedProcess(args, 1, "", "Failure: Module initialization failed")
        return subprocess.CompletedProcess(args, 0, "", "")

    echo = EchoCanceller(run=refusing, environ=environ)
    reason = echo.start()
    assert reason == "the sound server would not load its echo canceller (Failure: Module initialization failed)"
    assert not echo.active and environ == {}


@audio
def test_a_restarted_sound_server_gets_the_canceller_back(virtual_audio):
    echo = EchoCanceller(environ={})
    assert echo.start() is None
    virtual_audio.stop_daemon()
    virtual_audio.start_daemon(rescan_portaudio=False)
    assert echo.restart() is None and len(virtual_audio.modules(MODULE)) == 1
    echo.close()


@audio
def test_a_canceller_left_by_a_killed_run_is_removed(virtual_audio):
    stale = f"source_name=symptom_voice_echo_cancel_mic_{_dead_pid()}"
    virtual_audio.pactl("load-module", MODULE, "source_master=mic", "sink_master=spk", stale,
                        f"sink_name=symptom_voice_echo_cancel_speaker_{_dead_pid()}")
    echo = EchoCanceller(environ={})
    assert echo.start() is None
    assert len(virtual_audio.modules(MODULE)) == 1
    echo.close()


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _db(samples: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(samples * samples)) / 32768 + 1e-9)


def _tone(seconds: float, dbfs: float) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sin(2 * np.pi * 220 * t) * 32768 * 10 ** (dbfs / 20) * np.sqrt(2)).astype("<i2").tobytes()


def _feed(gate: ResidualEchoGate, pcm: bytes, speaking: bool) -> bytes:
    return b"".join(gate.process(pcm[i:i + 3200], speaking) for i in range(0, len(pcm), 3200))


def test_the_gate_silences_residual_echo_while_speaking():
    gate = ResidualEchoGate()
    out = _feed(gate, _tone(3.0, -50.0), speaking=True)
    assert not any(out)


def test_the_gate_lets_the_person_through_with_their_first_syllable():
    gate = ResidualEchoGate()
    residual, person = _tone(2.0, -50.0), _tone(0.5, -15.0)
    out = _feed(gate, residual + person + residual[:3200 * 5], speaking=True)
    pre_roll = round(ResidualEchoGate.PRE_ROLL_SECONDS * RATE) * 2
    assert not any(out[:len(residual) - pre_roll])
    assert out[len(residual):len(residual) + len(person)] == person


def test_the_gate_learns_a_louder_residual():
    gate = ResidualEchoGate()
    _feed(gate, _tone(3.0, -36.0), speaking=True)
    assert gate.threshold_dbfs > -36.0 + ResidualEchoGate.MARGIN_DB - 1


def test_after_speech_everything_passes_and_nothing_is_lost():
    gate = ResidualEchoGate()
    speech = _tone(1.0, -50.0)
    after = _tone(1.0, -20.0)
    out = _feed(gate, speech, speaking=True) + _feed(gate, after, speaking=False)
    assert len(out) == len(speech) + len(after)
    assert out.endswith(after[len(after) // 2:])


def test_a_voice_far_above_the_residual_is_a_person_even_without_words():
    gate = ResidualEchoGate()
    _feed(gate, _tone(2.0, -50.0), speaking=True)
    assert gate.far_above_residual(_tone(0.3, -15.0))
    assert not gate.far_above_residual(_tone(0.3, gate.threshold_dbfs + 3))
