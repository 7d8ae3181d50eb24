"""The microphone as an `AudioSource`: 16 kHz mono int16 through sounddevice, in a process of its own."""
from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

from voice.audio.records import AUDIO, FAILED, READY, read_record
from voice.audio.devices import Device, DeviceInfo, find_device, refresh_devices
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.errors import VoiceError


START_TIMEOUT = 10.0  # the capture process starts in about 0.1 s; a sound server that hangs gets this long


class MicrophoneSource:
    """An AudioSource recording 16 kHz mono int16 from a microphone.

    The stream runs in a child process (`voice.audio.capture`, which says why); a thread here
    moves its blocks into a bounded queue. When the consumer falls behind, the oldest
    audio is dropped (counted in `dropped_frames`) so memory never grows. Each block keeps the
    time it was captured, so audio heard during a given span (the assistant's own speech, when
    no echo canceller runs) can be skipped by time rather than by counting frames, which would
    eat into live speech once the queue had dropped some of that span. Blocks are short (20 ms)
    so that the end of someone's speech reaches the endpointer without waiting for a block to fill.
    """

    def __init__(
        self,
        device: Device = None,
        *,
        block_seconds: float = 0.02,
        buffer_seconds: float = 10.0,
        read_timeout: float = 2.0,
    ) -> None:
        self._device = device
        self._block_frames = max(1, round(SAMPLE_RATE * block_seconds))
        self._queue: queue.Queue[tuple[float, bytes]] = queue.Queue(maxsize=max(1, round(buffer_seconds / block_seconds)))
        self._pending = bytearray()
        self._ignore_before = 0.0
        self._read_timeout = read_timeout
        self._child: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._closed = False
        self.dropped_frames = 0
        self.device_info = self._open()

    def _open(self) -> DeviceInfo:
        info = find_device(self._device, "input")
        child = subprocess.Popen(
            [sys.executable, "-m", "voice.audio.capture", str(info.index), str(SAMPLE_RATE), str(self._block_frames)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,  # PortAudio's ALSA chatter
        )
        first: queue.Queue[tuple[bytes, float, bytes] | None] = queue.Queue(maxsize=1)
        reader = threading.Thread(target=self._receive, args=(child, first), daemon=True)
        reader.start()
        try:
            started = first.get(timeout=START_TIMEOUT)
        except queue.Empty:
            started = None
        if started is None or started[0] != READY:
            _end(child, reader)
            if started is not None and started[0] == FAILED:
                raise VoiceError(started[2].decode(errors="replace"))
            raise VoiceError("the microphone did not start: reconnect it and check the sound server (PulseAudio/PipeWire) is running")
        self._child, self._reader = child, reader
        return info

    def _receive(self, child: subprocess.Popen[bytes], first: queue.Queue[tuple[bytes, float, bytes] | None]) -> None:
        """The reader thread: the child's first record to `first`, then its audio into the queue."""
        assert child.stdout is not None
        record = read_record(child.stdout)
        first.put(record)
        if record is None or record[0] != READY:
            return
        while (record := read_record(child.stdout)) is not None:
            if record[0] == AUDIO:
                self._on_audio(record[1], record[2])

    def _on_audio(self, captured: float, data: bytes) -> None:
        block = (captured, data)
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            try:
                self.dropped_frames += len(self._queue.get_nowait()[1]) // SAMPLE_WIDTH
            except queue.Empty:
                pass
            self._queue.put_nowait(block)

    def queued_frames(self) -> int:
        """Frames captured and not yet read: how far a reader is behind."""
        return self._queue.qsize() * self._block_frames + len(self._pending) // SAMPLE_WIDTH

    def ignore_before(self, moment: float) -> None:
        """Never return audio captured before `moment` (a `time.monotonic()` value, past or future)."""
        self._ignore_before = max(self._ignore_before, moment)
        self._pending.clear()

    def _take(self, timeout: float) -> None:
        """Move one captured block into `_pending`, minus any part captured before `ignore_before`."""
        captured, block = self._queue.get(timeout=timeout)
        skip = round((self._ignore_before - captured) * SAMPLE_RATE) * SAMPLE_WIDTH
        if skip < len(block):
            self._pending += block[max(0, skip):]

    def read(self, frames: int) -> bytes:
        """Up to `frames` frames; waits up to `read_timeout` for them, raises VoiceError if none come.

        Only after `close()` does it return b"" (the end); a microphone that failed to reopen
        raises instead, so the caller keeps retrying rather than ending the session.
        """
        wanted = frames * SAMPLE_WIDTH
        deadline = time.monotonic() + self._read_timeout
        while len(self._pending) < wanted:
            child = self._child
            remaining = deadline - time.monotonic()
            if child is None or remaining <= 0:
                break
            try:
                self._take(min(remaining, 0.05))
            except queue.Empty:
                if child.poll() is not None and self._queue.empty():
                    break
        if self._child is None and not self._pending:
            if self._closed:
                return b""
            raise VoiceError(
                "the microphone is not available (unplugged, or the sound server stopped): reconnect it and I will carry on"
            )
        if not self._pending and wanted:
            raise VoiceError(
                "the microphone stopped sending audio (unplugged, or the sound server stopped): reconnect it and try again"
            )
        chunk = bytes(self._pending[:wanted])
        del self._pending[:wanted]
        return chunk

    def reopen(self) -> None:
        """Re-scan devices and open the microphone again, e.g. after it was unplugged and reconnected."""
        self._close_stream()
        self._closed = False
        self._pending.clear()
        while not self._queue.empty():
            self._queue.get_nowait()
        refresh_devices()
        self.device_info = self._open()

    def _close_stream(self) -> None:
        child, self._child = self._child, None
        if child is not None and self._reader is not None:
            _end(child, self._reader)

    def close(self) -> None:
        self._closed = True
        self._close_stream()
        self._pending.clear()

    def __enter__(self) -> MicrophoneSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _end(child: subprocess.Popen[bytes], reader: threading.Thread) -> None:
    """Kill the capture process (a wedged PortAudio cannot ignore that, and the OS frees the
    device), and wait for its reader to see the end, so no old audio follows a reopen."""
    child.kill()
    child.wait()
    reader.join()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()
