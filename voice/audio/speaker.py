"""The speaker as an `AudioSink`: playback through sounddevice in small blocks, so it stops quickly."""
from __future__ import annotations

import threading
from types import ModuleType

from voice.audio.convert import resample_pcm
from voice.audio.devices import Device, find_device, sounddevice_module, stream_error
from voice.audio.format import SAMPLE_WIDTH, SpeechAudio


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
        sd = sounddevice_module()
        rate, pcm = self._playable(sd, audio)
        block = max(1, round(rate * self._block_seconds)) * SAMPLE_WIDTH
        try:
            stream = sd.RawOutputStream(
                samplerate=rate, channels=1, dtype="int16", device=self.device_info.index, latency=self._latency
            )
        except sd.PortAudioError as exc:
            raise stream_error(exc, "speaker") from exc
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
            raise stream_error(exc, "speaker") from exc
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
