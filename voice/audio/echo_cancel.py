"""Echo cancellation by the sound server, so the assistant can listen while it speaks.

PulseAudio's `module-echo-cancel` with the webrtc canceller (PipeWire's pipewire-pulse loads
its own echo canceller for the same command) sits between the default microphone and speaker:
what the assistant plays through its sink is the reference that is taken out of its source.
This process alone is routed there (PULSE_SINK / PULSE_SOURCE, read by the ALSA pulse plugin
when a stream opens); the person's other programs and their default devices are left alone.

A silent stream plays into the canceller's speaker for as long as it runs: each time that sink
went idle (between answers, or when an answer was cut) the canceller re-aligned its two streams,
and the person's word that cut the answer came out garbled or empty in 2 runs of 3 (with the
silent stream, 0 of 3).

Chosen over an in-process canceller because the server knows when each sample really played:
in a virtual room with the echo at -12 dB, the assistant's own speech came out of the cancelled
microphone about 38 dB down, and a person talking over it was transcribed as without any echo.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

from voice.audio.format import SAMPLE_RATE

MODULE = "module-echo-cancel"
_NAME = "symptom_voice_echo_cancel"
PACTL_TIMEOUT = 5.0

Run = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _pactl(args: Sequence[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=PACTL_TIMEOUT,
                          stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C"})  # `info` in English


class EchoCanceller:
    """The server's echo canceller for this process: `start()`, `active`, `restart()`, `close()`."""

    def __init__(self, run: Run = _pactl, environ: dict[str, str] | None = None):
        self._run = run
        self._environ = os.environ if environ is None else environ
        self._module: str | None = None
        self._saved: dict[str, str | None] = {}
        self._silence: subprocess.Popen[bytes] | None = None
        suffix = os.getpid()
        self.source_name = f"{_NAME}_mic_{suffix}"
        self.sink_name = f"{_NAME}_speaker_{suffix}"

    @property
    def active(self) -> bool:
        return self._module is not None

    def start(self) -> str | None:
        """Load the canceller and route this process through it; None when it runs, else why not."""
        if self._run is _pactl and shutil.which("pactl") is None:
            return "pactl is missing (Debian/Ubuntu: apt-get install pulseaudio-utils)"
        try:
            info = self._run(["info"])
        except (OSError, subprocess.SubprocessError) as error:
            return f"the sound server did not answer ({error})"
        if info.returncode:
            return "no PulseAudio or PipeWire sound server is running"
        defaults = _defaults(info.stdout)
        source, sink = defaults.get("Default Source"), defaults.get("Default Sink")
        if not source or not sink or source.endswith(".monitor"):
            return "the sound server has no default microphone and speaker"
        self._unload_leftovers()
        arguments = [f"source_master={source}", f"sink_master={sink}", "aec_method=webrtc",
                     f"source_name={self.source_name}", f"sink_name={self.sink_name}",
                     f"rate={SAMPLE_RATE}", "channels=1", "aec_args=\"analog_gain_control=0\""]
        try:
            loaded = self._run(["load-module", MODULE, *arguments])
        except (OSError, subprocess.SubprocessError) as error:
            return f"the echo canceller did not load ({error})"
        if loaded.returncode or not loaded.stdout.strip().isdigit():
            reason = " ".join((loaded.stderr or loaded.stdout).split()) or "no reason given"
            return f"the sound server would not load its echo canceller ({reason})"
        self._module = loaded.stdout.strip()
        self._route(source=self.source_name, sink=self.sink_name)
        self._keep_playing()
        return None

    def restart(self) -> str | None:
        """After the sound server came back: load the canceller again if it is gone."""
        if self._module is not None and self._loaded():
            return None
        self._module = None
        self._unroute()
        self._stop_playing()
        return self.start()

    def close(self) -> None:
        """Unload the canceller and give this process its default devices back."""
        module, self._module = self._module, None
        self._unroute()
        self._stop_playing()
        if module is not None:
            try:
                self._run(["unload-module", module])
            except (OSError, subprocess.SubprocessError):
                pass  # the server is gone, and the module with it

    def _keep_playing(self) -> None:
        """Silence into the canceller's speaker, so it never goes idle (see the module docstring)."""
        if self._run is not _pactl or shutil.which("pacat") is None:
            return
        with open(os.devnull, "wb") as sink, open("/dev/zero", "rb") as silence:
            self._silence = subprocess.Popen(
                ["pacat", "--playback", f"--device={self.sink_name}", "--raw", "--format=s16le",
                 f"--rate={SAMPLE_RATE}", "--channels=1", "--latency-msec=100"],
                stdin=silence, stdout=sink, stderr=sink)

    def _stop_playing(self) -> None:
        silence, self._silence = self._silence, None
        if silence is not None:
            silence.terminate()
            silence.wait(timeout=PACTL_TIMEOUT)

    def _loaded(self) -> bool:
        try:
            modules = self._run(["list", "short", "modules"])
        except (OSError, subprocess.SubprocessError):
            return False
        return modules.returncode == 0 and any(
            row.split("\t")[0] == self._module and self.source_name in row for row in modules.stdout.splitlines())

    def _unload_leftovers(self) -> None:
        """Unload cancellers that earlier runs of this program left behind (it was killed)."""
        modules = self._run(["list", "short", "modules"])
        for row in modules.stdout.splitlines() if modules.returncode == 0 else ():
            fields = row.split("\t")
            if len(fields) > 2 and fields[1] == MODULE and f"source_name={_NAME}_mic_" in fields[2]:
                pid = fields[2].split(f"source_name={_NAME}_mic_", 1)[1].split()[0]
                if pid.isdigit() and not _alive(int(pid)):
                    self._run(["unload-module", fields[0]])

    def _route(self, source: str, sink: str) -> None:
        for key, value in (("PULSE_SOURCE", source), ("PULSE_SINK", sink)):
            self._saved.setdefault(key, self._environ.get(key))
            self._environ[key] = value

    def _unroute(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                self._environ.pop(key, None)
            else:
                self._environ[key] = value
        self._saved.clear()


def _defaults(info: str) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in info.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ResidualEchoGate:
    """Silences what the canceller leaves of the assistant's own voice, before a recogniser hears it.

    Measured in the virtual room (echo at -12 dB, webrtc canceller): the residual of the
    assistant's speech peaked at -38 to -49 dBFS per 10 ms frame (99th percentile -42 to -52),
    and PocketSphinx heard words in it ("the ache on bone", "it knee") in 5 of 6 stretches; the
    person talking over it reached -13 to -16 dBFS. So while the assistant speaks, a frame passes
    only when it is `MARGIN_DB` above the residual's 99th percentile (learnt from the frames
    that did not pass, never below `FLOOR_DBFS`) for `OPEN_FRAMES` in a row; the gate then stays
    open for `HOLD_SECONDS`, and lets through the `PRE_ROLL_SECONDS` before it opened (the soft
    start of "stop"), which delays what is heard during speech by that much. Audio after the
    speech (and `TAIL_SECONDS` of echo) passes untouched and undelayed.
    """

    FRAME = SAMPLE_RATE // 100
    MARGIN_DB = 12.0
    FLOOR_DBFS = -45.0
    OPEN_FRAMES = 3
    HOLD_SECONDS = 0.4
    PRE_ROLL_SECONDS = 0.2
    TAIL_SECONDS = 0.3
    HISTORY_FRAMES = 3000  # the residual is learnt from the last 30 s of the assistant's speech
    # A voice this far above the threshold is a person's even when no words were made out in it
    # (the person's "stop" through the canceller: -11 to -20 dBFS; the threshold: -33 dBFS at least).
    VOICE_MARGIN_DB = 10.0

    def __init__(self) -> None:
        self._residual = self.FLOOR_DBFS
        self._history: deque[float] = deque(maxlen=self.HISTORY_FRAMES)
        self._held: deque[bytes] = deque()  # frames not yet passed on while speaking (the pre-roll)
        self._above = 0
        self._open_frames = 0
        self._tail_frames = 0
        self._pending = b""

    @property
    def threshold_dbfs(self) -> float:
        return self._residual + self.MARGIN_DB

    def far_above_residual(self, pcm: bytes) -> bool:
        """Some 10 ms frame of `pcm` is `VOICE_MARGIN_DB` above the gate's threshold: a person's voice,
        not what the canceller left of the assistant's."""
        frames = range(0, len(pcm) - 2 * self.FRAME + 1, 2 * self.FRAME)
        return any(_dbfs(pcm[i:i + 2 * self.FRAME]) > self.threshold_dbfs + self.VOICE_MARGIN_DB for i in frames)

    def process(self, pcm: bytes, speaking: bool) -> bytes:
        """The audio to hear for `pcm` (16 kHz int16 mono); while speaking, delayed by the pre-roll."""
        if speaking:
            self._tail_frames = round(self.TAIL_SECONDS * 100)
        elif self._tail_frames <= 0 and not self._held and not self._pending:
            return pcm
        data = self._pending + pcm
        usable = len(data) // (2 * self.FRAME) * 2 * self.FRAME
        self._pending = data[usable:]
        out = bytearray()
        for start in range(0, usable, 2 * self.FRAME):
            out += self._frame(data[start:start + 2 * self.FRAME], speaking)
        if not speaking and self._tail_frames <= 0:
            held = b"".join(self._held)
            speech = any(_dbfs(frame) > self.threshold_dbfs for frame in self._held)
            out += (held if speech else bytes(len(held))) + self._pending
            self._held.clear()
            self._pending = b""
        return bytes(out)

    def _frame(self, frame: bytes, speaking: bool) -> bytes:
        if not speaking:
            self._tail_frames -= 1
        level = _dbfs(frame)
        if level > self.threshold_dbfs:
            self._above += 1
        else:
            self._above = 0
            if self._open_frames <= 0:
                self._learn(level)
        if self._above >= self.OPEN_FRAMES:
            self._open_frames = round(self.HOLD_SECONDS * 100)
        self._held.append(frame)
        pre_roll = round(self.PRE_ROLL_SECONDS * 100)
        if self._open_frames > 0:
            self._open_frames -= 1
            out = b"".join(self._held)
            self._held.clear()
            return out
        if len(self._held) > pre_roll:
            return bytes(len(self._held.popleft()))
        return b""

    def _learn(self, level: float) -> None:
        self._history.append(max(level, -100.0))
        if len(self._history) >= 100:
            self._residual = max(self.FLOOR_DBFS, float(np.percentile(self._history, 99)))


def _dbfs(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    return 20 * math.log10(math.sqrt(float(np.mean(samples * samples))) / 32768 + 1e-9)
