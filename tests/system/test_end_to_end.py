"""The whole product with real engines: PocketSphinx, pyttsx3 over espeak-ng, sounddevice.

File mode (--input/--output), keyboard mode through a pseudo-terminal, and a kiosk session on
the private PulseAudio daemon's virtual microphone and speaker.
"""
import os
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pexpect
import pytest
from paths import ROOT, AUDIO

CLI = [sys.executable, "-m", "voice"]


def run_cli(*args, timeout=180):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def replies(captions: str) -> list[str]:
    """Caption lines joined per speaker turn: [("You", text), ("Assistant", text), ...]."""
    turns = []
    for line in captions.splitlines():
        if line.startswith(("You: ", "Assistant: ", "*: ")):
            who, text = line.split(": ", 1)
            turns.append([who, text])
        elif line.startswith("  ") and turns:
            turns[-1][1] += " " + line.strip()
    return turns


def test_file_mode_red_flag_gets_warning_first(tmp_path):
    out = tmp_path / "reply.wav"
    result = run_cli("--engine", "pocketsphinx", "--input", str(AUDIO / "sessions/s02.wav"), "--output", str(out))
    assert result.returncode == 0, result.stderr
    turns = replies(result.stdout)
    heard = [text for who, text in turns if who == "You"]
    assert heard and {"red", "swollen", "hot"} & set(heard[0].split())
    answer = turns[[t[0] for t in turns].index("You") + 1][1]
    assert answer.startswith("Marked swelling, redness or warmth")
    with wave.open(str(out)) as wav:
        assert wav.getframerate() == 16000 and wav.getnframes() / 16000 > 5
    assert "Traceback" not in result.stderr


def test_file_mode_repeat_repeats(tmp_path):
    result = run_cli("--engine", "pocketsphinx", "--input", str(AUDIO / "sessions/s01.wav"), "--output",
                     str(tmp_path / "reply.wav"))
    turns = replies(result.stdout)
    said = [text for who, text in turns if who == "Assistant"]
    assert "Runner's knee" in said[1]
    assert said[2] == said[1], result.stdout


def test_keyboard_mode_through_a_terminal():
    child = pexpect.spawn(CLI[0], [*CLI[1:], "--text", "--mute"], cwd=str(ROOT), encoding="utf-8", timeout=60)
    child.expect("tell me where it hurts")
    child.sendline("my knee is red and swollen and i can't put weight on it")
    child.expect("Assistant: Important:")
    child.expect("Not being able")
    child.expect("> ")
    child.sendline("repeat")
    child.expect("Assistant: Important:")
    child.expect("> ")
    child.sendline("goodbye")
    child.expect("Goodbye")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_no_microphone_says_so_in_one_line_and_takes_typing_instead(tmp_path):
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}
    result = subprocess.run([*CLI, "--engine", "pocketsphinx"], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=120, input="my knee hurts\ngoodbye\n")
    assert result.returncode == 0 and result.stderr == ""
    first = result.stdout.split("\nAssistant:")[0]
    assert first.startswith("*: No microphone and no speaker, so type what you would say") and "Why:" in first
    assert "Goodbye" in result.stdout


class SpeakerMonitor:
    """Live capture of the virtual speaker, to tell when the assistant has finished speaking."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["parec", "--device=spk.monitor", "--raw", "--format=float32le", "--rate=16000", "--channels=1",
             "--latency-msec=20"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.chunks = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while chunk := self.process.stdout.read1(3200):
            self.chunks.append(chunk)

    def samples(self) -> np.ndarray:
        data = b"".join(self.chunks)
        return np.frombuffer(data[: len(data) // 4 * 4], dtype="<f4")

    def wait_quiet(self, after_loud: int, quiet_seconds=1.2, timeout=90.0) -> int:
        """Wait until sound was played after sample `after_loud` and then stopped for `quiet_seconds`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            samples = self.samples()
            loud = np.flatnonzero(np.abs(samples[after_loud:]) > 0.02)
            if loud.size and samples.size - (after_loud + loud[-1]) > quiet_seconds * 16000:
                return samples.size
            time.sleep(0.1)
        raise AssertionError("the assistant never finished speaking")

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.mark.audio
def test_kiosk_on_virtual_microphone_and_speaker(virtual_audio, tmp_path):
    monitor = SpeakerMonitor()
    app = subprocess.Popen([*CLI, "--kiosk", "--engine", "pocketsphinx", "--rate", "240"], cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    threading.Thread(target=lambda: lines.extend(iter(app.stdout.readline, "")), daemon=True).start()
    try:
        position = monitor.wait_quiet(0)  # the greeting
        for wav in ("clean/c12.wav", "clean/c03.wav"):
            virtual_audio.feed_mic(AUDIO / wav)
            position = monitor.wait_quiet(position)
        app.send_signal(signal.SIGINT)
        app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
        monitor.close()
    turns = replies("".join(lines))
    heard = [text for who, text in turns if who == "You"]
    said = [text for who, text in turns if who == "Assistant"]
    assert len(heard) == 2, turns  # nothing the assistant said came back as input
    assert {"red", "swollen", "hot"} & set(heard[0].split()) and "stairs" in heard[1]
    assert said[1].startswith("Marked swelling")  # the warning sign first
    # Live, the decode moves with the machine's timing: on a CI machine it once heard the stairs but
    # was not sure of the rest, and asked again. Never the out-of-scope answer to a knee.
    assert "Runner's knee" in said[2] or said[2].startswith("I heard: ") and "stairs" in said[2] or \
        said[2].startswith("I'm not sure I understood")
    speech = monitor.samples()
    frames = speech[: speech.size // 320 * 320].reshape(-1, 320)
    voiced = (np.sqrt((frames ** 2).mean(axis=1)) > 0.02).mean()
    assert 0.2 < voiced < 0.95  # speech: sound with pauses, neither silence nor a tone
