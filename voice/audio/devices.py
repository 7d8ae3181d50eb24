"""Microphone and speaker through sounddevice (PortAudio), with errors a user can act on.

sounddevice is imported inside functions: importing it fails when the PortAudio library is
missing, and WAV-only use of the program must keep working on such machines.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, SpeechAudio
from voice.errors import VoiceError
from voice.audio.convert import resample_pcm

Device = int | str | None
Kind = Literal["input", "output"]

_LIST_HINT = "`symptom-voice devices` lists them"
_PA_DEVICE_UNAVAILABLE = -9985
_PA_GONE_CODES = (-9996, -9993, -9988, -9986, -9999)


class NoDeviceError(VoiceError):
    """No device of the kind at all, or no audio system: the assistant can do without the default one."""


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device as `symptom-voice devices` shows it."""

    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_sample_rate: float
    default_input: bool
    default_output: bool

    @property
    def is_input(self) -> bool:
        return self.input_channels > 0

    @property
    def is_output(self) -> bool:
        return self.output_channels > 0


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:
        raise NoDeviceError(
            "the PortAudio library is missing: install it (Debian/Ubuntu: `sudo apt-get install libportaudio2`)"
            " or use WAV files instead of the microphone and speaker"
        ) from exc
    except ImportError as exc:
        raise VoiceError("the sounddevice package is missing: install it with `pip install sounddevice`") from exc
    return sounddevice


def refresh_devices() -> None:
    """Re-scan devices: PortAudio lists them only when it starts, so anything plugged in
    (or a sound server started) later stays invisible until this runs. Closes open streams."""
    sd = _sounddevice()
    try:
        sd._terminate()
        sd._initialize()
    except sd.PortAudioError as exc:
        raise VoiceError(f"cannot restart the audio system: {_one_line(exc)}; check the sound server is running") from exc


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees, with which ones are the default input and output."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        host_apis = [api["name"] for api in sd.query_hostapis()]
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise VoiceError(f"cannot list audio devices: {_one_line(exc)}; check the sound server is running") from exc
    return [
        DeviceInfo(
            index=device["index"],
            name=device["name"],
            host_api=host_apis[device["hostapi"]],
            input_channels=device["max_input_channels"],
            output_channels=device["max_output_channels"],
            default_sample_rate=float(device["default_samplerate"]),
            default_input=device["index"] == default_in,
            default_output=device["index"] == default_out,
        )
        for device in devices
    ]


def find_device(device: Device, kind: Kind) -> DeviceInfo:
    """Resolve None (the default), an index, or a case-insensitive name substring to one device."""
    noun = "microphone (input device)" if kind == "input" else "speaker (output device)"
    candidates = [d for d in list_devices() if (d.is_input if kind == "input" else d.is_output)]
    if not candidates:
        raise NoDeviceError(f"no {noun} found: connect one and check the sound server (PulseAudio/PipeWire) is running")
    if device is None:
        for candidate in candidates:
            if candidate.default_input if kind == "input" else candidate.default_output:
                return candidate
        raise VoiceError(f"there is no default {noun}: choose one by number or name ({_LIST_HINT})")
    text = str(device).strip()
    if isinstance(device, int) or text.isdigit():
        for candidate in candidates:
            if candidate.index == int(text):
                return candidate
        raise VoiceError(f"there is no {kind} device number {text} ({_LIST_HINT})")
    needle = text.lower()
    exact = [d for d in candidates if d.name.lower() == needle]
    matches = exact or [d for d in candidates if needle in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(f"{d.index} '{d.name}'" for d in (matches or candidates))
    if matches:
        raise VoiceError(f"{kind} device name '{text}' matches several devices ({names}); use a longer name or the number")
    raise VoiceError(f"no {kind} device matches '{text}'; available: {names} ({_LIST_HINT})")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _stream_error(exc: Exception, what: str) -> VoiceError:
    """Turn a PortAudioError into a message that says what the user can do."""
    code = exc.args[1] if len(exc.args) > 1 else None
    if code == _PA_DEVICE_UNAVAILABLE:
        return VoiceError(f"the {what} is busy or unavailable: close other programs using it, or choose another device")
    if code in _PA_GONE_CODES:
        return VoiceError(
            f"the {what} is not available (unplugged, or the sound server stopped): reconnect it and try again ({_LIST_HINT})"
        )
    return VoiceError(f"the {what} failed: {_one_line(exc)}; reconnect it or choose another device ({_LIST_HINT})")


class MicrophoneSource:
    """An AudioSource recording 16 kHz mono int16 from a microphone.

    PortAudio's callback fills a bounded queue; when the consumer falls behind, the oldest
    audio is dropped (counted in `dropped_frames`) so memory never grows. Each block keeps the
    time it was captured, so audio heard during a given span (the assistant's own speech, when
    no echo canceller runs) can be skipped by time rather than by counting frames, which would
    eat into live speech once the queue had dropped some of that span.
    """

    def __init__(
        self,
        device: Device = None,
        *,
        block_seconds: float = 0.05,
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
        sd = _sounddevice()
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
            raise _stream_error(exc, "microphone") from exc
        try:
            stream.start()
        except sd.PortAudioError as exc:
            stream.close(ignore_errors=True)
            raise _stream_error(exc, "microphone") from exc
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


class SpeakerSink:
    """An AudioSink playing through a speaker in small blocks, so `stop()` cuts it quickly.

    Plays at the audio's own rate when the device accepts it, otherwise resamples to the
    device's default rate. A stream is opened per `play()`, so a device that vanished
    between utterances only fails that one call. The device buffer (`latency`) is generous
    because a busy CPU otherwise starves it and playback gets gaps; `stop()` aborts the
    stream, which discards that buffer, so stopping stays quick.
    """

    def __init__(self, device: Device = None, *, block_seconds: float = 0.02, latency: float = 0.25) -> None:
        self.device_info = find_device(device, "output")
        self._block_seconds = block_seconds
        self._latency = latency
        self._stop = threading.Event()
        self._playing = threading.Lock()

    def play(self, audio: SpeechAudio) -> None:
        with self._playing:
            self._stop.clear()
            if audio.pcm:
                self._play(audio)

    def _play(self, audio: SpeechAudio) -> None:
        sd = _sounddevice()
        rate, pcm = self._playable(sd, audio)
        block = max(1, round(rate * self._block_seconds)) * SAMPLE_WIDTH
        try:
            stream = sd.RawOutputStream(
                samplerate=rate, channels=1, dtype="int16", device=self.device_info.index, latency=self._latency
            )
        except sd.PortAudioError as exc:
            raise _stream_error(exc, "speaker") from exc
        try:
            stream.start()
            for start in range(0, len(pcm), block):
                if self._stop.is_set():
                    break
                stream.write(pcm[start : start + block])
            else:
                self._stop.wait(stream.latency)
            if self._stop.is_set():
                stream.abort()
            else:
                stream.stop()
        except sd.PortAudioError as exc:
            raise _stream_error(exc, "speaker") from exc
        finally:
            stream.close(ignore_errors=True)

    def _playable(self, sd: ModuleType, audio: SpeechAudio) -> tuple[int, bytes]:
        """The rate to open the device at, and the PCM resampled to it if needed."""
        try:
            sd.check_output_settings(
                device=self.device_info.index, samplerate=audio.sample_rate, channels=1, dtype="int16"
            )
            return audio.sample_rate, audio.pcm
        except sd.PortAudioError:
            rate = int(self.device_info.default_sample_rate)
            return rate, resample_pcm(audio.pcm, audio.sample_rate, rate)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop, and wait until a play() in another thread has let go of the device: PortAudio
        shutting down at exit while a stream is still being written crashes the process."""
        self.stop()
        with self._playing:
            pass

    def __enter__(self) -> SpeakerSink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
