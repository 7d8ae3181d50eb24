"""The bench runs the real pipeline (PocketSphinx, pyttsx3/espeak-ng, the dialogue and loop) and
prints every figure. Values are not checked: timings belong to the benchmark, not to tests."""
import json

import numpy as np
import pytest

from voice.tools.bench import format_bench, run_bench, speech_end
from voice.errors import VoiceError

FIGURES = ("cold_start_s", "endpoint_delay_s", "response_latency_s", "final_decode_s", "rtf", "matcher_ms",
           "naive_response_latency_s")
LABELS = ("cold start", "endpoint delay", "response latency", "final decode", "real-time factor", "matcher time",
          "peak resident memory", "streaming", "naive", "naive/streaming", "median", "p95")


@pytest.fixture(scope="module")
def result():
    return run_bench(["pocketsphinx", "vosk"], repeats=1, fixtures=2, cold_runs=1)


def test_json_has_every_figure_for_pocketsphinx(result):
    assert result["cores"] >= 1
    figures = result["engines"]["pocketsphinx"]
    for key in FIGURES:
        assert set(figures[key]) == {"median", "p95"}
        assert all(isinstance(figures[key][stat], float) for stat in ("median", "p95")), key
    assert figures["peak_rss_mb"] > 0
    json.dumps(result)


def test_vosk_is_measured_or_left_out_with_a_reason(result):
    assert "vosk" in result["engines"] or result["skipped"]["vosk"]


def test_table_prints_every_figure_and_the_core_count(result):
    table = format_bench(result)
    assert f"{result['cores']} CPU cores" in table
    for label in LABELS:
        assert label in table, label
    assert "ms" in table and "MB" in table
    if "vosk" in result["skipped"]:
        assert "vosk: left out: " in table


def test_unknown_engine_is_refused():
    with pytest.raises(VoiceError, match="unknown engine"):
        run_bench(["whisper"])


def test_speech_end_is_the_last_frame_above_the_noise_floor():
    rng = np.random.default_rng(1)
    signal = rng.normal(0, 30, 16000 * 3)
    signal[8000:24000] += 3000 * np.sin(np.arange(16000) * 0.2)
    pcm = signal.astype("<i2").tobytes()
    assert speech_end(pcm) == pytest.approx(1.5, abs=0.011)
