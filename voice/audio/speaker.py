"""The speaker as an `AudioSink`: each clip is played by a process of its own (`voice.audio.playback`)."""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

from voice.audio.devices import Device, find_device
from voice.audio.format import SpeechAudio
from voice.audio.records import DONE, PLAY, read_record, write_record
from voice.errors import VoiceError

# Beyond the clip's own length, how long the playback process may take to start (about 0.5 s
# here), open the stream and drain it before it is taken for wedged and killed.
ANSWER_TIMEOUT = 10.0


class _Player:
    """One playback process, the environment it was started with, and a thread reading its answers."""

    def __init__(self, command: list[str]):
        self.environ = dict(os.environ)  # the echo canceller routes playback by PULSE_SINK, read at start
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,  # PortAudio's ALSA chatter
        )
        self.killed = False
        self.answers: queue.Queue[tuple[bytes, float, bytes] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while (record := read_record(self.process.stdout)) is not None:
            self.answers.put(record)
        self.answers.put(None)

    def send(self, audio: SpeechAudio, deadline: float) -> bool:
        """Hand over a clip; False if the process is gone. TimeoutError if it is not taken by `deadline`."""
        assert self.process.stdin is not None
        try:
            write_record(self.process.stdin.fileno(), PLAY, audio.sample_rate, audio.pcm, deadline)
        except (BrokenPipeError, ValueError):
            return False
        return True

    @property
    def gone(self) -> bool:
        """Killed, or exited on its own."""
        return self.killed or self.process.poll() is not None

    def kill(self) -> None:
        self.killed = True
        self.process.kill()

    def end(self) -> None:
        """Let it exit (its stdin closes), or kill it if it does not within a second."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join()
        if self.process.stdout is not None:
            self.process.stdout.close()


class SpeakerSink:
    """An AudioSink playing through a speaker; `stop()` cuts it at once.

    PortAudio runs in a child process (`voice.audio.playback` says why) that is started ahead of
    need, as it takes about half a second to start: one at construction, and a fresh one whenever
    the last was killed, died or failed (one started while the sound server was down sees no
    devices even after it is back), or the environment that routes sound changed. `stop()` kills
    the process playing, which is quick whatever state PortAudio is in; one that does not answer
    within the clip's length plus `ANSWER_TIMEOUT` is taken for wedged, killed, and reported. A
    device that vanished fails only that clip.
    """

    def __init__(self, device: Device = None, *, latency: float = 0.25, answer_timeout: float = ANSWER_TIMEOUT) -> None:
        self.device_info = find_device(device, "output")
        self._latency = latency
        self._answer_timeout = answer_timeout
        self._stop = threading.Event()
        self._playing = threading.Lock()  # one clip at a time
        self._lock = threading.Lock()  # guards _player and _busy between play() and stop()
        self._busy = False
        self._player: _Player | None = self._start_player()

    def _start_player(self) -> _Player:
        return _Player(self._player_command())

    def _player_command(self) -> list[str]:
        return [sys.executable, "-m", "voice.audio.playback", str(self.device_info.index),
                str(int(self.device_info.default_sample_rate)), str(self._latency)]

    def play(self, audio: SpeechAudio) -> None:
        with self._playing:
            self._stop.clear()
            if audio.pcm:
                self._play(audio)

    def _play(self, audio: SpeechAudio) -> None:
        with self._lock:
            player = stale = self._player
            if player is None or player.gone or player.environ != dict(os.environ):
                player = self._player = self._start_player()
            else:
                stale = None
            self._busy = not self._stop.is_set()
            busy = self._busy
        if stale is not None:
            stale.kill()
            stale.end()
        if not busy:
            return
        wedged = False
        deadline = time.monotonic() + self._answer_timeout + audio.duration
        try:
            answer = player.answers.get(timeout=max(0.0, deadline - time.monotonic())) if player.send(audio, deadline) else None
        except (TimeoutError, queue.Empty):
            answer, wedged = None, True
            player.kill()
        retire = player.gone or (answer is not None and answer[0] != DONE)
        with self._lock:
            self._busy = False
            if retire:  # killed by stop(), wedged, died or failed: a successor with a fresh PortAudio starts now
                self._player = self._start_player()
        if retire:
            player.kill()
            player.end()
        if self._stop.is_set() or (answer is not None and answer[0] == DONE):
            return
        if wedged:
            raise VoiceError("the speaker stopped responding: reconnect it or check the sound server, and I will carry on")
        if answer is None:
            raise VoiceError("the speaker stopped unexpectedly: reconnect it or check the sound server, and I will carry on")
        raise VoiceError(answer[2].decode(errors="replace"))

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._busy and self._player is not None:
                self._player.kill()

    def close(self) -> None:
        """Stop, wait until a play() in another thread has returned, and let the process go."""
        self.stop()
        with self._playing, self._lock:
            player, self._player = self._player, None
        if player is not None:
            player.end()

    def __enter__(self) -> SpeakerSink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
