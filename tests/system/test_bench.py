"""The bench runs the real assistant (PocketSphinx, pyttsx3/espeak-ng, the dialogue and loop) through
its observer and prints every figure. Values are not checked: timings belong to the benchmark, not
to tests; only that each was measured, printed and has its JSON shape."""
import json

import numpy as np
import pytest

from voice.app import Mode, run_assistant
from voice.audio.wavfile import WavSource
from voice.errors import VoiceError
from voice.settings import Settings
from voice.tools.bench import format_bench, run_bench, speech_end
from voice.tools.bench.fixtures import FIXTURES, Fixture, load_fixtures
from voice.tools.bench.turns import PacedSource, SilentSink

TIMED = ("cold_start_s", "speech_end_to_audio_s", "endpoint_delay_s", "response_latency_s", "final_decode_s",
         "rtf", "matcher_ms")
LABELS = ("target: end of speech to first reply sample", "end of speech to first reply sample", "endpoint delay",
          "response latency", "final decode", "cold start", "real-time factor", "matcher time",
          "peak resident memory", "cut off in a mid-sentence pause", "by pause: 0.6 s", "median", "p95",
          "generated (1,000 topics)")


@pytest.fixture(scope="module")
def result():
    return run_bench(["pocketsphinx", "vosk"], repeats=1, fixtures=2, cold_runs=1)


def test_json_has_every_figure_for_pocketsphinx(result):
    shape = json.loads(json.dumps(result.to_json()))
    assert shape["cores"] >= 1 and shape["fixtures"] == 2 and shape["paused_fixtures"] == 2
    figures = shape["engines"]["pocketsphinx"]
    for key in TIMED:
        assert set(figures[key]) == {"median", "p95"}, key
        assert all(isinstance(figures[key][stat], float) for stat in ("median", "p95")), key
    assert 0 <= figures["cut_off_rate"] <= 1
    assert figures["paused"] == 2 and figures["replies"] + figures["missed"] == 2
    assert sum(count["of"] for count in figures["cut_off_by_pause"].values()) == 2
    assert len(figures["cut_off_fixtures"]) == figures["cut_off"]
    assert figures["peak_rss_mb"] > 0
    for name in ("bundled", "generated (1,000 topics)"):
        assert set(shape["matcher"][name]) == {"topics", "compile_ms", "per_utterance_ms"}


def test_the_reply_comes_after_the_end_of_speech(result):
    figures = result.engines["pocketsphinx"]
    assert figures.speech_end_to_audio_s.median >= figures.endpoint_delay_s.median > 0
    assert figures.response_latency_s.median >= figures.final_decode_s.median >= 0


def test_vosk_is_measured_or_left_out_with_a_reason(result):
    assert "vosk" in result.engines or result.skipped["vosk"]


def test_table_prints_every_figure_and_the_core_count(result):
    table = format_bench(result)
    assert f"{result.cores} CPU cores" in table
    for label in LABELS:
        assert label in table, label
    assert "ms" in table and "MB" in table and "target at most 2%" in table
    if "vosk" in result.skipped:
        assert "vosk: left out: " in table


def test_unknown_engine_is_refused():
    with pytest.raises(VoiceError, match="unknown engine"):
        run_bench(["whisper"])


def test_paused_fixtures_hold_the_pause_mid_sentence():
    plain, paused = load_fixtures(3)
    for fixture in paused:
        source = next(p for p in plain if p.recording == fixture.recording)
        assert 0.6 <= fixture.pause.seconds <= 1.2 and fixture.pause.after in ("and", "my", "the")
        assert fixture.pause.at < source.speech_end
        assert len(fixture.pcm) - len(source.pcm) == int(16000 * fixture.pause.seconds) * 2
        assert fixture.speech_end == pytest.approx(source.speech_end + fixture.pause.seconds, abs=0.02)


def test_speech_end_is_the_last_frame_above_the_noise_floor():
    rng = np.random.default_rng(1)
    signal = rng.normal(0, 30, 16000 * 3)
    signal[8000:24000] += 3000 * np.sin(np.arange(16000) * 0.2)
    pcm = signal.astype("<i2").tobytes()
    assert speech_end(pcm) == pytest.approx(1.5, abs=0.011)


def test_speech_end_in_noise_is_where_the_clean_recording_ends():
    """Each noisy fixture is a clean one with noise added: its end is found under the noise (pink
    noise's swings once put it up to 0.67 s late), at most a fading tail early."""
    plain, _ = load_fixtures()
    ends = {fixture.name: fixture.speech_end for fixture in plain}
    noisy = [name for name in ends if "_" in name]
    assert noisy
    for name in noisy:
        assert -0.2 <= ends[name] - ends[name.split("_")[0]] <= 0.03, name


class _Recorder:
    """A SessionObserver that lists the moments in the order they came."""

    def __init__(self):
        self.moments = []

    def ready(self):
        self.moments.append("ready")

    def endpoint(self):
        self.moments.append("endpoint")

    def heard(self):
        self.moments.append("heard")

    def playing(self):
        self.moments.append("playing")


def test_the_session_tells_its_observer_each_moment_in_order():
    recorder = _Recorder()
    run_assistant(Settings(engine="pocketsphinx"), Mode(), source=WavSource(FIXTURES / "sessions" / "s01.wav"),
                  sink=SilentSink(), observer=recorder)
    moments = recorder.moments
    assert moments[0] == "playing" and moments.index("ready") < moments.index("endpoint")  # greeting, then listen
    first = moments.index("endpoint")
    assert moments[first:first + 3] == ["endpoint", "heard", "playing"]
    assert moments.count("ready") == 1 and moments.count("heard") >= 3


def test_paced_source_delivers_no_faster_than_real_time_after_its_lead():
    now = [100.0]
    fixture = Fixture("f", FIXTURES / "silence.wav", b"\0\0" * 16000 * 3, speech_end=2.5)  # paced from 1.5 s on
    source = PacedSource(fixture, done=lambda: False, clock=lambda: now[0],
                         sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
    while source.read(1600):
        pass
    assert source.arrivals[14] == 100.0  # the first 1.5 s as fast as read
    assert source.arrivals[-1] == pytest.approx(101.5)  # the last 1.5 s in real time
    assert source.wall_time(2.5) == pytest.approx(101.0)


def test_paced_source_tells_a_reader_that_fell_behind_what_waits():
    now = [100.0]
    fixture = Fixture("f", FIXTURES / "silence.wav", b"\0\0" * 16000 * 3, speech_end=2.5)  # paced from 1.5 s on
    source = PacedSource(fixture, done=lambda: False, clock=lambda: now[0],
                         sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
    for _ in range(16):  # up to 1.6 s: the last read waited for its audio
        assert source.queued_frames() == 0
        source.read(1600)
    assert source.queued_frames() == 0
    now[0] += 0.5  # the reader was busy for half a second
    assert source.queued_frames() == 8000
    now[0] += 10.0
    assert source.queued_frames() == 16000 * 3 - 16 * 1600  # never more than the audio left
