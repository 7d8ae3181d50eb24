"""The microphone's PortAudio stream, run in a child process that the assistant can always kill.

Why a process: Debian 12's PortAudio (19.6) has an ALSA error path that loops for ever when a
stream fails and its restart fails too (PortAudio issue 1037), as when the sound server stops
in the middle of capture. The looping thread cannot be cancelled, so aborting, closing or
re-scanning afterwards blocked the whole assistant, and Ctrl-C with it: at the virtual
microphone, stopping the sound server mid-utterance hung the assistant in 1 of the 4 last full
live-audio runs. A child process that wedges is killed, and the next one opens cleanly.

The child writes records (`voice.audio.records`) to its stdout: `READY` once the stream runs,
`FAILED` (a message a person can act on) if it cannot open, then `AUDIO` for each block, with
the time it was captured. It exits when its stdin closes, so it never outlives the assistant.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
from typing import Any

from voice.audio.records import AUDIO, FAILED, READY, write_record

BACKLOG_BLOCKS = 500  # blocks held here while the pipe is full: 10 s of 20 ms blocks, then dropped


def capture(device: int, sample_rate: int, block_frames: int, out: int) -> int:
    """Record from `device` into `out` until stdin closes; the exit code."""
    from voice.audio.devices import sounddevice_module, stream_error
    from voice.errors import VoiceError

    blocks: queue.Queue[tuple[float, bytes]] = queue.Queue(maxsize=BACKLOG_BLOCKS)

    def on_audio(data: Any, frames: int, time_info: Any, status: Any) -> None:
        try:
            blocks.put_nowait((time.monotonic() - frames / sample_rate, bytes(data)))
        except queue.Full:
            pass  # the assistant stopped reading the pipe: it keeps the newest audio in its own queue

    try:
        sd = sounddevice_module()
        try:
            stream = sd.RawInputStream(samplerate=sample_rate, channels=1, dtype="int16", blocksize=block_frames,
                                       device=device, callback=on_audio)
            stream.start()
        except sd.PortAudioError as exc:
            raise stream_error(exc, "microphone") from exc
    except VoiceError as error:
        write_record(out, FAILED, time.monotonic(), str(error).encode())
        return 1
    write_record(out, READY, time.monotonic())
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    while True:
        try:
            moment, block = blocks.get(timeout=0.1)
        except queue.Empty:
            if not stream.active:
                return 2  # the stream died: the parent sees the end and reopens
            continue
        write_record(out, AUDIO, moment, block)


def _exit_when_orphaned() -> None:
    """The parent holds our stdin open; when it closes (the parent ended or let go), stop at once."""
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: list[str]) -> None:
    device, sample_rate, block_frames = (int(value) for value in argv)
    out = sys.stdout.fileno()
    try:
        code = capture(device, sample_rate, block_frames, out)
    except BrokenPipeError:
        code = 0
    except Exception as error:  # told to the parent as a message, never a traceback
        write_record(out, FAILED, time.monotonic(), f"the microphone failed: {error}".encode())
        code = 1
    os._exit(code)  # never run PortAudio's teardown: that is what can hang


if __name__ == "__main__":
    main(sys.argv[1:])
