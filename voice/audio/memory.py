"""An AudioSource over PCM already in memory: synthesised speech fed to the recogniser without a file."""
from __future__ import annotations

from voice.audio.format import SAMPLE_WIDTH


class MemorySource:
    """Reads 16 kHz mono int16 PCM bytes once, then reports the end (b"")."""

    def __init__(self, pcm: bytes):
        self._pcm = pcm
        self._offset = 0

    def read(self, frames: int) -> bytes:
        if frames < 0:
            raise ValueError(f"frames must be >= 0, got {frames}")
        chunk = self._pcm[self._offset:self._offset + frames * SAMPLE_WIDTH]
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        self._pcm = b""
        self._offset = 0
