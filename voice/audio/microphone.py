"""The microphone as an `AudioSource`: 16 kHz mono int16 through sounddevice, never blocking PortAudio."""
from __future__ import annotations

import queue
import time
from typing import Any

from voice.audio.devices import Device, DeviceInfo, find_device, refresh_devices, sounddevice_module, stream_error
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.errors import VoiceError


class MicrophoneSource:
    """An AudioSource recording 16 kHz mono int16 from a microphone.

    PortAudio's callback fills a bounded queue; when the consumer falls behind, the oldest
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
        self._stream: Any = None
        self._closed = False
        self.dropped_frames = 0
        self.device_info = self._open()

    def _open(self) -> DeviceInfo:
        sd = sounddevice_module()
        info = find_device(self._device, "input")
        try:
            stream = sd.RawInputStream(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=self._block_frames,
                device=info.index,
                callback=self._on_audio,
            )
        except sd.PortAudioError as exc:
            raise stream_error(exc, "microphone") from exc
        try:
            stream.start()
        except sd.PortAudioError as exc:
            stream.close(ignore_errors=True)
            raise stream_error(exc, "microphone") from exc
        self._stream = stream
        return info

    def _on_audio(self, data: Any, frames: int, time_info: Any, status: Any) -> None:
        block = (time.monotonic() - frames / SAMPLE_RATE, bytes(data))
        try:
            self._queue.put_nowait(block)
        except queue.Full:
            try:
                self.dropped_frames += len(self._queue.get_nowait()[1]) // SAMPLE_WIDTH
            except queue.Empty:
                pass
            self._queue.put_nowait(block)

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
            stream = self._stream
            remaining = deadline - time.monotonic()
            if stream is None or remaining <= 0:
                break
            try:
                self._take(min(remaining, 0.05))
            except queue.Empty:
                if not stream.active and self._queue.empty():
                    break
        if self._stream is None and not self._pending:
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
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)

    def close(self) -> None:
        self._closed = True
        self._close_stream()
        self._pending.clear()

    def __enter__(self) -> MicrophoneSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
