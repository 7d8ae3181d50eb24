"""The speaker's PortAudio stream, run in a child process that the assistant can always kill.

Why a process, as for the microphone (`voice.audio.capture`): PortAudio's ALSA layer can wedge
for good when the sound server goes away, and a wedged child is killed where a wedged thread
would hold the assistant. It also keeps PortAudio's and ALSA's complaints off the captions: a
cut answer printed "ALSA lib pcm.c:8570:(snd_pcm_recover) underrun occurred" twice on the
person's screen when playback ran in the assistant's own process; this one's stderr goes nowhere.

The assistant writes a `PLAY` record per clip (`voice.audio.records`: the clip's sample rate,
its int16 mono PCM); this process plays it and answers `DONE`, or `FAILED` with a message a
person can act on. Stopping is killing: the sound server drops a dead client's stream at once.
It exits when its stdin closes, so it never outlives the assistant.
"""
from __future__ import annotations

import os
import sys
import time
from types import ModuleType

from voice.audio.convert import resample_pcm
from voice.audio.devices import sounddevice_module, stream_error
from voice.audio.records import DONE, FAILED, PLAY, read_record, write_record
from voice.errors import VoiceError


def play_clips(device: int, device_rate: int, latency: float, out: int) -> int:
    """Play each clip read from stdin on `device` (whose default rate is `device_rate`), answering
    on `out`, until stdin closes."""
    sd = sounddevice_module()  # loaded before the first clip comes, as is everything else here
    while (record := read_record(sys.stdin.buffer)) is not None:
        kind, rate, pcm = record
        if kind != PLAY:
            continue
        try:
            _play(sd, device, device_rate, int(rate), pcm, latency)
        except VoiceError as error:
            write_record(out, FAILED, time.monotonic(), str(error).encode())
            continue
        write_record(out, DONE, time.monotonic())
    return 0


def _play(sd: ModuleType, device: int, device_rate: int, rate: int, pcm: bytes, latency: float) -> None:
    """Play at the clip's own rate when the device accepts it, else resampled to the device's
    default rate. The device buffer (`latency`) is generous because a busy CPU otherwise starves
    it and playback gets gaps."""
    try:
        try:
            sd.check_output_settings(device=device, samplerate=rate, channels=1, dtype="int16")
        except sd.PortAudioError:
            pcm, rate = resample_pcm(pcm, rate, device_rate), device_rate
        stream = sd.RawOutputStream(samplerate=rate, channels=1, dtype="int16", device=device, latency=latency)
    except (sd.PortAudioError, ValueError) as exc:
        raise stream_error(exc, "speaker") from exc
    try:
        stream.start()
        stream.write(pcm)
        time.sleep(stream.latency)
        stream.stop()
    except sd.PortAudioError as exc:
        raise stream_error(exc, "speaker") from exc
    finally:
        stream.close(ignore_errors=True)


def main(argv: list[str]) -> None:
    device, device_rate, latency = int(argv[0]), int(argv[1]), float(argv[2])
    out = sys.stdout.fileno()
    try:
        code = play_clips(device, device_rate, latency, out)
    except BrokenPipeError:
        code = 0
    except Exception as error:  # told to the parent as a message, never a traceback
        write_record(out, FAILED, time.monotonic(), f"the speaker failed: {error}".encode())
        code = 1
    os._exit(code)  # never run PortAudio's teardown: that is what can hang


if __name__ == "__main__":
    main(sys.argv[1:])
