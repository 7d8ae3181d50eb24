"""Records on the pipes between the assistant and its sound processes (`capture`, `playback`).

A record is a kind byte, a number (the capture time for audio, the sample rate for a clip to
play), the payload's length, and the payload. Both ends use `time.monotonic()`, the same clock
in every process, so a capture time means the same thing on either side.
"""
from __future__ import annotations

import os
import select
import struct
import time
from typing import BinaryIO

HEADER = struct.Struct("<cdI")
READY, FAILED, AUDIO = b"R", b"F", b"A"  # from a sound process: started, a message a person can act on, audio
PLAY, DONE = b"P", b"D"  # to the playback process: a clip; from it: that clip has played


def write_record(out: int, kind: bytes, number: float, payload: bytes = b"", deadline: float | None = None) -> None:
    """Write a whole record; with a `deadline` (`time.monotonic()`), raise TimeoutError if the other
    process has not taken it by then (a pipe holds 64 KB; a clip is several times that)."""
    record = memoryview(HEADER.pack(kind, number, len(payload)) + payload)
    while record:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [out], [], remaining)[1]:
                raise TimeoutError("the other process stopped reading")
        record = record[os.write(out, record[:select.PIPE_BUF] if deadline is not None else record):]


def read_record(stream: BinaryIO) -> tuple[bytes, float, bytes] | None:
    """The next record, or None at the end of the stream (the other process exited)."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    kind, number, length = HEADER.unpack(header)
    payload = stream.read(length) if length else b""
    return (kind, number, payload) if len(payload) == length else None
