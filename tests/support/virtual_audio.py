"""A private PulseAudio daemon giving PortAudio a real microphone and speaker in CI.

Follows /work/shared/docs/virtual-audio.md: null sinks with norewinds=1 (without it the
audio is garbled), a remapped source `mic` fed through the `mic_in` sink, and its own
XDG_RUNTIME_DIR shared by the daemon and every client. The daemon gets a temporary HOME;
the test process keeps its HOME (other tests look things up under ~) and gets
XDG_CONFIG_HOME instead, which is where libpulse clients would otherwise write a cookie.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

RATE = 16000
# A room: the speaker's sound reaches the microphone about 40 ms later at -12 dB (PulseAudio's
# volume scale is cubic, so 63% is 0.25 in amplitude).
ROOM_ECHO_VOLUME = "63%"
_CONFIG = """\
load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=spk rate=16000 channels=1 norewinds=1 sink_properties=device.description=VirtualSpeaker
load-module module-null-sink sink_name=mic_in rate=16000 channels=1 norewinds=1 sink_properties=device.description=VirtualMicFeed
load-module module-remap-source source_name=mic master=mic_in.monitor source_properties=device.description=VirtualMic
set-default-sink spk
set-default-source mic
"""
_START_TIMEOUT = 10.0


def reinitialise_portaudio() -> None:
    """PortAudio lists devices once, at start-up; make it see the daemon's devices."""
    try:
        import sounddevice
    except OSError:
        return
    sounddevice._terminate()
    sounddevice._initialize()


def _is_alive(pid: int) -> bool:
    """True until the process exits; a zombie counts as gone (the daemon's parent, init, reaps it late)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@dataclass
class Recording:
    """What the virtual speaker played while `record_speaker()` was open: float32 at 16 kHz."""

    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


class VirtualAudio:
    """Controls the daemon and feeds/captures its devices."""

    def __init__(self, root: Path) -> None:
        self.runtime_dir = root / "runtime"
        self.home = root / "home"
        self.config_home = root / "config"
        self.config = root / "virtual-audio.pa"
        self.log = root / "pulseaudio.log"
        for folder in (self.runtime_dir, self.home, self.config_home):
            folder.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.chmod(0o700)
        self.config.write_text(_CONFIG)

    @property
    def client_env(self) -> dict[str, str]:
        """Variables every client (this process and its subprocesses) needs to reach the daemon."""
        return {"XDG_RUNTIME_DIR": str(self.runtime_dir), "XDG_CONFIG_HOME": str(self.config_home)}

    def _env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        return {**env, **self.client_env, **extra}

    def is_running(self) -> bool:
        info = subprocess.run(["pactl", "info"], env=self._env(), capture_output=True, timeout=10)
        return info.returncode == 0

    def start_daemon(self, rescan_portaudio: bool = True) -> None:
        """Start the daemon and wait until it answers (also used to 'plug the devices back in').

        PortAudio only sees the new devices after a re-scan; pass False to leave that to the
        code under test.
        """
        subprocess.run(
            [
                "pulseaudio", "-n", "-F", str(self.config), "--daemonize=yes", "--exit-idle-time=-1",
                "--disallow-exit", f"--log-target=file:{self.log}",
            ],
            env=self._env(HOME=str(self.home)),
            check=False,
            capture_output=True,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.is_running():
            if time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"
                raise RuntimeError(f"private PulseAudio daemon did not start; log tail:\n{tail}")
            time.sleep(0.02)
        if rescan_portaudio:
            reinitialise_portaudio()

    def stop_daemon(self) -> None:
        """Kill the daemon and wait for it to exit: every device vanishes, as if unplugged."""
        pid_file = self.runtime_dir / "pulse" / "pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + _START_TIMEOUT
        while _is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)

    def pactl(self, *args: str) -> str:
        """Run pactl against the daemon; its output, or RuntimeError with its message."""
        done = subprocess.run(["pactl", *args], env=self._env(), capture_output=True, text=True, timeout=10)
        if done.returncode:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def add_room_echo(self, volume: str = ROOM_ECHO_VOLUME) -> int:
        """Let the speaker's sound leak into the microphone as in a room; the loopback's module index."""
        module = int(self.pactl("load-module", "module-loopback", "source=spk.monitor", "sink=mic_in",
                                "latency_msec=40", "source_dont_move=1", "sink_dont_move=1"))
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            inputs = json.loads(self.pactl("-f", "json", "list", "sink-inputs"))
            ids = [i["index"] for i in inputs if str(i.get("owner_module")) == str(module)]
            if ids:
                self.pactl("set-sink-input-volume", str(ids[0]), volume)
                return module
            time.sleep(0.02)
        raise RuntimeError("the room-echo loopback never appeared as a sink input")

    @contextmanager
    def room_echo(self, volume: str = ROOM_ECHO_VOLUME) -> Iterator[None]:
        """The speaker leaking into the microphone while the block runs."""
        module = self.add_room_echo(volume)
        try:
            yield
        finally:
            self.pactl("unload-module", str(module))

    def modules(self, name: str) -> list[int]:
        """Indexes of the loaded modules called `name` (e.g. module-echo-cancel)."""
        rows = [line.split("\t") for line in self.pactl("list", "short", "modules").splitlines()]
        return [int(row[0]) for row in rows if len(row) > 1 and row[1] == name]

    def feed_mic(self, wav_path: str | os.PathLike[str], wait: bool = True) -> subprocess.Popen[bytes]:
        """Play a WAV file (any rate) into the virtual microphone."""
        player = subprocess.Popen(
            ["paplay", "--device=mic_in", str(wav_path)], env=self._env(), stderr=subprocess.PIPE
        )
        if wait:
            _, err = player.communicate(timeout=60)
            if player.returncode:
                raise RuntimeError(f"paplay failed: {err.decode(errors='replace').strip()}")
        return player

    @contextmanager
    def record_speaker(self) -> Iterator[Recording]:
        """Capture the virtual speaker's monitor; recording has begun when the block is entered."""
        recorder = subprocess.Popen(
            [
                "parec", "--device=spk.monitor", "--raw", "--format=float32le", f"--rate={RATE}",
                "--channels=1", "--latency-msec=20",
            ],
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert recorder.stdout is not None
        chunks: list[bytes] = []
        started = threading.Event()

        def drain() -> None:
            while chunk := recorder.stdout.read1(65536):
                chunks.append(chunk)
                started.set()
            started.set()

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        recording = Recording()
        try:
            if not started.wait(_START_TIMEOUT) or recorder.poll() is not None:
                raise RuntimeError("parec did not start capturing the virtual speaker")
            yield recording
        finally:
            recorder.terminate()
            recorder.wait(timeout=10)
            reader.join(timeout=10)
            data = b"".join(chunks)
            recording.samples = np.frombuffer(data[: len(data) // 4 * 4], dtype="<f4").copy()


@pytest.fixture
def virtual_audio(audio_daemon: VirtualAudio) -> Iterator[VirtualAudio]:
    """The session's daemon, started again after a test that stopped it and failed before it
    restarted it, so that one failure does not fail every live-audio test after it."""
    yield audio_daemon
    if not audio_daemon.is_running():
        audio_daemon.start_daemon()


@pytest.fixture(scope="session")
def audio_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtualAudio]:
    """A running private PulseAudio daemon whose mic and speaker are this session's defaults."""
    missing = [tool for tool in ("pulseaudio", "pactl", "paplay", "parec") if shutil.which(tool) is None]
    if "pulseaudio" in missing:
        pytest.skip("the pulseaudio binary is not installed (apt-get install pulseaudio pulseaudio-utils)")
    if missing:
        pytest.fail(f"pulseaudio is installed but {', '.join(missing)} is missing: apt-get install pulseaudio-utils")
    audio = VirtualAudio(tmp_path_factory.mktemp("virtual-audio"))
    with pytest.MonkeyPatch.context() as patch:
        for name in [k for k in os.environ if k.startswith("PULSE_")]:
            patch.delenv(name)
        for name, value in audio.client_env.items():
            patch.setenv(name, value)
        audio.start_daemon()
        try:
            yield audio
        finally:
            audio.stop_daemon()
