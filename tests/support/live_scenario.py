"""A synthesised person talking to the running assistant in a room with an echo.

The person speaks (espeak-ng with a voice the product never uses) into the private PulseAudio's
microphone feed while the speaker's monitor is watched, so every timing is taken from sound:
when the person's speech truly ended (the last voiced sample of what was played), when the
assistant's first reply sample came out, when its speech stopped. The scenario: a symptom;
"stop" 2.5 s into the answer; "repeat that" 1 s after the cut; a new symptom 1 s after that
answer ends.

Run by hand (starts its own daemon with the room echo, prints the timings):
    python tests/support/live_scenario.py [-- extra assistant options]
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 16000
BLOCK = RATE // 100  # 10 ms
LOUD = 0.01  # RMS of a block of the assistant's speech; its silence is exact zeros
QUIET_ENDS_SPEECH = 0.7  # espeak-ng's pauses between sentences are shorter than this
PERSON_VOICE = "en-us+klatt2"
SCENARIO = ("my knee is swollen and hot and i can't put any weight on my leg", "stop", "repeat that",
            "my shin aches when i walk")


class SpeakerWatch:
    """Follows the speaker's monitor and keeps, per 10 ms block, when it was played and how loud."""

    def __init__(self, env: dict[str, str]):
        self._recorder = subprocess.Popen(
            ["parec", "--device=spk.monitor", "--raw", "--format=float32le", f"--rate={RATE}", "--channels=1",
             "--latency-msec=10"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.times: list[float] = []
        self.levels: list[float] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        pending = b""
        assert self._recorder.stdout is not None
        while chunk := self._recorder.stdout.read1(4096):
            now = time.monotonic()
            pending += chunk
            usable = len(pending) // (4 * BLOCK) * 4 * BLOCK
            samples = np.frombuffer(pending[:usable], dtype="<f4").reshape(-1, BLOCK)
            pending = pending[usable:]
            n = len(samples)
            with self._lock:
                for i, block in enumerate(samples):
                    self.times.append(now - (n - 1 - i) * BLOCK / RATE)
                    self.levels.append(float(np.sqrt(np.mean(block * block))))

    def close(self) -> None:
        self._recorder.terminate()
        self._recorder.wait(timeout=10)

    def first_loud_after(self, after: float, timeout: float) -> float | None:
        """When the first block louder than LOUD played at or after `after` (its start), or None."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            with self._lock:
                times, levels = self.times[seen:], self.levels[seen:]
            for t, level in zip(times, levels):
                if t - BLOCK / RATE >= after - 0.005 and level > LOUD:
                    return t - BLOCK / RATE
            seen += len(times)
            time.sleep(0.01)
        return None

    def last_loud_before(self, moment: float) -> float | None:
        """The end of the last loud block played before `moment`."""
        with self._lock:
            loud = [t for t, level in zip(self.times, self.levels) if t < moment and level > LOUD]
        return loud[-1] if loud else None

    def quiet_from(self, after: float, timeout: float, quiet: float = QUIET_ENDS_SPEECH) -> float | None:
        """The end of the last loud block before `quiet` seconds of silence that come after `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                times, levels = list(self.times), list(self.levels)
            last_loud = after
            for t, level in zip(times, levels):
                if t < after:
                    continue
                if level > LOUD:
                    last_loud = t
                elif t - last_loud >= quiet:
                    return last_loud
            time.sleep(0.02)
        return None


@dataclass
class Utterance:
    text: str
    wav: Path
    voiced_end: float  # seconds from the file's start to its last voiced sample

    @classmethod
    def synthesise(cls, text: str, folder: Path, voice: str = PERSON_VOICE) -> "Utterance":
        path = folder / f"person-{abs(hash(text))}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text], check=True, capture_output=True)
        with wave.open(str(path)) as w:
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
            rate = w.getframerate()
        voiced = np.flatnonzero(np.abs(samples) > 0.02)
        return cls(text, path, (voiced[-1] + 1) / rate if len(voiced) else 0.0)


@dataclass
class Step:
    said: str
    started: float  # when the person's speech started (monotonic)
    ended: float  # when it truly ended
    reply_at: float | None = None  # first sample of the assistant's next speech
    stopped_at: float | None = None  # for "stop": when its speech stopped


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)
    captions: list[tuple[float, str]] = field(default_factory=list)
    answer_started: float | None = None

    def heard(self) -> list[str]:
        """The `You:` captions, continuation lines joined."""
        return [text for who, text in self.turns() if who == "You"]

    def turns(self) -> list[tuple[str, str]]:
        turns: list[list[str]] = []
        for _, line in self.captions:
            if line.startswith(("You: ", "Assistant: ", "*: ")):
                turns.append(line.split(": ", 1))
            elif line.startswith("  ") and turns:
                turns[-1][1] += " " + line.strip()
        return [(who, text) for who, text in turns]

    def report(self) -> str:
        lines = []
        for step in self.steps:
            reply = f"{step.reply_at - step.ended:.2f} s" if step.reply_at else "none"
            line = f"{step.said!r:70} end of speech -> reply: {reply}"
            if step.said == "stop":
                cut = f"{step.stopped_at - step.ended:.2f} s" if step.stopped_at else "not cut"
                line = f"{step.said!r:70} end of speech -> speech stopped: {cut}"
            lines.append(line)
        origin = self.steps[0].started if self.steps else 0.0
        lines.append("person (seconds from the first word): " + ", ".join(
            f"{step.said!r} {step.started - origin:.2f}-{step.ended - origin:.2f}" for step in self.steps))
        lines.append("captions (seconds from the first word):")
        lines += [f"  {moment - origin:6.2f}  {line}" for moment, line in self.captions]
        return "\n".join(lines)


class Person:
    """Plays utterances into the microphone feed and knows when each truly ended."""

    def __init__(self, env: dict[str, str], folder: Path):
        self._env = env
        self._folder = folder

    def say(self, utterance: Utterance) -> Step:
        """Speak now; returns (after it is over) when it started and when its voiced part ended."""
        started = time.monotonic()
        subprocess.run(["paplay", "--device=mic_in", "--latency-msec=20", str(utterance.wav)], env=self._env,
                       check=True, capture_output=True, timeout=60)
        return Step(utterance.text, started, started + utterance.voiced_end)


class Session:
    """The assistant running as a process, its captions collected as they are printed."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path | None = None):
        self.captions: list[tuple[float, str]] = []
        self.process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.captions.append((time.monotonic(), line.rstrip("\n")))

    def lines(self) -> list[str]:
        return [line for _, line in list(self.captions)]

    def wait_for(self, found: Callable[[list[str]], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found(self.lines()):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> int:
        """Ctrl-C, as a person would; the exit status."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode


def run_scenario(command: list[str], env: dict[str, str], folder: Path, cwd: Path | None = None,
                 texts: tuple[str, ...] = SCENARIO, answer_timeout: float = 90.0) -> Run:
    """Start the assistant, play the four-utterance scenario, stop it; every timing and caption."""
    utterances = [Utterance.synthesise(text, folder) for text in texts]
    person = Person(env, folder)
    watch = SpeakerWatch(env)
    session = Session(command, env, cwd)
    run = Run(captions=session.captions)
    try:
        greeting = watch.first_loud_after(time.monotonic(), 60)
        if greeting is None:
            raise RuntimeError("the assistant never spoke its greeting:\n" + "\n".join(session.lines()))
        watch.quiet_from(greeting, 60, quiet=1.0)
        symptom, stop, repeat, second = utterances
        step = person.say(symptom)
        run.steps.append(step)
        step.reply_at = run.answer_started = watch.first_loud_after(step.ended, 15)
        if step.reply_at is None:
            return run
        _sleep_until(step.reply_at + 2.5)
        started = time.monotonic()
        step = person.say(stop)
        run.steps.append(step)
        step.stopped_at = _speech_cut(run, watch, started, answer_timeout)
        cut = step.stopped_at or time.monotonic()
        _sleep_until(cut + 1.0)
        step = person.say(repeat)
        run.steps.append(step)
        step.reply_at = watch.first_loud_after(step.ended, 15)
        ended = watch.quiet_from(step.reply_at or step.ended, answer_timeout) or time.monotonic()
        _sleep_until(ended + 1.0)
        step = person.say(second)
        run.steps.append(step)
        step.reply_at = watch.first_loud_after(step.ended, 15)
        time.sleep(1.0)
        return run
    finally:
        session.stop()
        watch.close()


def _speech_cut(run: Run, watch: SpeakerWatch, since: float, timeout: float) -> float | None:
    """When the answer playing at `since` stopped: before a pause, or before the next thing it says
    (its caption is printed as that speech starts, so a read-back right after the cut is not taken
    for more of the answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        said = [t for t, line in list(run.captions) if t > since and line.startswith("Assistant: ")]
        if said:
            return watch.last_loud_before(said[0])
        quiet = watch.quiet_from(since, 0.05)
        if quiet is not None:
            return quiet
    return None


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def echoing_room(folder: Path) -> Iterator[dict[str, str]]:
    """For a run by hand: a private sound server with the room echo, and the environment to run the assistant in."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from virtual_audio import VirtualAudio

    audio = VirtualAudio(folder / "audio")
    os.environ.update(audio.client_env)
    audio.start_daemon(rescan_portaudio=False)
    try:
        audio.add_room_echo()
        yield {**os.environ, **audio.client_env, "PYTHONPATH": str(ROOT)}
    finally:
        audio.stop_daemon()


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch, echoing_room(Path(scratch)) as env:
        command = [sys.executable, "-m", "voice", "--engine", "pocketsphinx", *argv]
        started = time.monotonic()
        run = run_scenario(command, env, Path(scratch), cwd=ROOT)
        print(run.report())
        print(f"scenario took {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
