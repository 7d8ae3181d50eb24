"""The speech commands of the command line, with the real engines."""
import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from paths import ROOT

CLI = [sys.executable, "-m", "voice"]


def cli(*args, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=180,
                          stdin=subprocess.DEVNULL, env=env)


def test_transcribe_json_with_pocketsphinx():
    out = cli("transcribe", "--engine", "pocketsphinx", "--json", "audio_tests/clean/c03.wav")
    data = json.loads(out.stdout)
    assert data["engine"] == "pocketsphinx" and "knee" in data["text"]
    assert data["words"][0]["start"] <= data["words"][-1]["end"] and data["real_time_factor"] > 0


def test_transcribe_with_vosk_test_model(tmp_path):
    from vosk_test_model import write_test_model

    model = write_test_model(tmp_path / "model", words=("alpha",))
    out = cli("transcribe", "--engine", "vosk", "--model", str(model), "--json", "audio_tests/clean/c03.wav")
    data = json.loads(out.stdout)
    assert data["engine"] == "vosk" and set(data["text"].split()) == {"alpha"}


def test_transcribe_missing_model_is_one_clear_line(tmp_path):
    out = cli("transcribe", "--engine", "vosk", "--model", str(tmp_path / "nope"), "audio_tests/clean/c03.wav")
    assert out.returncode == 2 and "does not exist" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_say_to_a_file(tmp_path):
    out_file = tmp_path / "hello.wav"
    out = cli("say", "Tell me where it hurts.", "--output", str(out_file))
    assert out.returncode == 0, out.stderr
    with wave.open(str(out_file)) as wav:
        assert wav.getnframes() > 16000 * 0.5


def test_audio_cases_are_scored_with_word_error_rate():
    out = cli("eval", "--engine", "pocketsphinx", "--json", "audio_tests/cases.yaml")
    summary = json.loads(out.stdout)["summary"]
    assert summary["word_error_rate"] is not None and summary["cases"] > 20


def test_the_silence_setting_splits_a_recording_differently(tmp_path):
    """s01.wav holds three utterances with pauses of about 1.2 s: a short silence hears three turns, a long one.

    The setting reaches the recogniser wherever it is given: before `run`, after it, or in the config file."""
    config = tmp_path / "config.yaml"
    config.write_text("silence: 0.2\n")

    def turns(*options):
        out = cli(*options, "--engine", "pocketsphinx", "--input", "audio_tests/sessions/s01.wav",
                  "--output", str(tmp_path / "reply.wav"))
        assert out.returncode == 0, out.stderr
        return [line for line in out.stdout.splitlines() if line.startswith("You:")]

    short, long = turns("--silence", "0.2", "run"), turns("run", "--silence", "3.0")
    assert len(short) == 3 and len(long) == 1
    assert "kneecap" in short[0] and "kneecap" in long[0]
    assert turns("--config", str(config)) == short


def test_model_status_without_a_model(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "tests")}
    out = cli("model", "status", env=env)
    assert out.returncode == 0 and "PocketSphinx" in out.stdout


@pytest.mark.audio
def test_devices_lists_the_virtual_ones(virtual_audio):
    out = cli("devices")
    assert out.returncode == 0 and "*" in out.stdout and "input" in out.stdout and "output" in out.stdout
