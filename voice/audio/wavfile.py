"""WAV files in and out, converted to and from the pipeline format (16 kHz mono int16).

Reading is libsndfile's (through soundfile): every PCM width, float, WAVE_FORMAT_EXTENSIBLE,
mu-law, A-law, ADPCM and RF64, and the other formats it knows. A truncated data chunk (a recorder
killed mid-write, or a streaming writer that never patched the sizes) is decoded as far as it
goes: the audio there is still good, and `WavInfo.truncated` plus a logged warning tell the
caller it was cut short. What libsndfile refuses is reworded here as one line a user can act on.

Writing stays on Python's `wave`: it patches the header sizes after every block, so a file being
written stays valid if the program is killed, whereas libsndfile writes its header only on close
(soundfile does not expose its header auto-update).
"""
from __future__ import annotations

import logging
import os
import re
import threading
import wave
from dataclasses import dataclass

import numpy as np
import soundfile
import soxr

from voice.audio.convert import resample_pcm, to_int16_pcm
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, SpeechAudio
from voice.errors import VoiceError

log = logging.getLogger(__name__)

_CONVERT_HINT = "convert it with `sox IN -r 16000 -c 1 -b 16 -e signed-integer OUT.wav`"
_SHORTEST_HEADER = 36  # RIFF header and a PCM fmt chunk: anything shorter is cut inside them
_RIFF_MAGIC = (b"RIFF", b"RF64", b"RIFX")
# libsndfile notes the data chunk's size in its header log, and what the file really holds when
# that is less: "data : 32000 (should be 16000)".
_DATA_SIZE = re.compile(r"^data\s*:\s*(\d+)(?:\s*\(should be (\d+)\))?", re.MULTILINE)
_BLOCK_ALIGN = re.compile(r"^\s*Block Align\s*:\s*(\d+)", re.MULTILINE)
_PIPELINE_FORMAT = ("PCM_16", 1, SAMPLE_RATE)  # taken as it is, with no conversion
_BLOCK_FRAMES = 16384  # frames of the file decoded at a time
_HEAD_BYTES = 64  # enough of a file's start to tell what a file libsndfile refuses is


@dataclass(frozen=True)
class WavInfo:
    """What the file held before conversion to the pipeline format."""

    path: str
    subtype: str  # libsndfile's name for the sample encoding: PCM_16, PCM_U8, FLOAT, ULAW, ...
    channels: int
    sample_rate: int
    frames: int
    truncated: bool = False

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def read_wav(path: str | os.PathLike[str]) -> tuple[WavInfo, bytes]:
    """Decode a WAV (or any file libsndfile reads) to 16 kHz mono int16 bytes; a one-line VoiceError on bad files."""
    source = WavSource(path)
    try:
        return source.info, b"".join(iter(lambda: source.read(_BLOCK_FRAMES), b""))
    finally:
        source.close()


def load_wav(path: str | os.PathLike[str]) -> SpeechAudio:
    """A whole WAV file as pipeline-format SpeechAudio."""
    return SpeechAudio(read_wav(path)[1], SAMPLE_RATE)


def _read_head(name: str) -> bytes:
    """The file's first bytes, which tell what a file libsndfile refuses is; a one-line VoiceError if unreadable."""
    try:
        with open(name, "rb") as file:
            head = file.read(_HEAD_BYTES)
    except FileNotFoundError:
        raise VoiceError(f"WAV file not found: {name}; check the path") from None
    except IsADirectoryError:
        raise VoiceError(f"{name} is a directory, not a WAV file; give the path of a .wav file") from None
    except PermissionError:
        raise VoiceError(f"cannot read {name}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise VoiceError(f"cannot read {name}: {exc.strerror or exc}") from None
    if not head:
        raise VoiceError(f"{name} is empty (0 bytes); record or export the audio again")
    return head


def _truncated(header_log: str) -> bool:
    """True when the data chunk is shorter than its header says, or ends in a partial frame."""
    size = _DATA_SIZE.search(header_log)
    if size is None:
        return False
    if size.group(2) is not None:
        return True
    align = _BLOCK_ALIGN.search(header_log)
    return align is not None and int(align.group(1)) > 0 and int(size.group(1)) % int(align.group(1)) != 0


def _unreadable(name: str, data: bytes, reason: str) -> VoiceError:
    """libsndfile's refusal, worded by what the first bytes show the file to be."""
    if data[:4] not in _RIFF_MAGIC or data[8:12] != b"WAVE":
        if len(data) < 12 and b"RIFF".startswith(data[:4]):
            return VoiceError(f"{name} is cut short inside its WAV header; record or export it again")
        return VoiceError(f"{name} is not a WAV file (no RIFF/WAVE header); {_CONVERT_HINT}")
    if len(data) < _SHORTEST_HEADER:
        return VoiceError(f"{name} is cut short inside its WAV header; record or export it again")
    if "'data' chunk" in reason:
        return VoiceError(f"{name} has a WAV header but no audio samples; record or export it again")
    return VoiceError(f"{name} is a WAV file that cannot be decoded ({reason.rstrip('.')}); {_CONVERT_HINT}")


class WavSource:
    """An AudioSource over a WAV file, decoded to the pipeline format block by block as it is read.

    A recording of any length takes a few blocks of memory: decoding a 2-minute one whole went
    through some 60 MB of floats, and every reopening left the process's memory higher.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._name = str(path)
        self._head = _read_head(self._name)
        try:
            self._file: soundfile.SoundFile | None = soundfile.SoundFile(self._name)
        except soundfile.LibsndfileError as error:
            raise _unreadable(self._name, self._head, error.error_string) from None
        audio = self._file
        truncated = _truncated(audio.extra_info)
        self.info = WavInfo(self._name, audio.subtype, audio.channels, audio.samplerate, audio.frames, truncated)
        if audio.frames == 0:
            self.close()
            cut = " (the file is cut short)" if truncated else ""
            raise VoiceError(f"{self._name} has a WAV header but no audio samples{cut}; record or export it again")
        if truncated:
            log.warning("%s is truncated: using the %d complete frames present", self._name, self.info.frames)
        as_is = (audio.subtype, audio.channels, audio.samplerate) == _PIPELINE_FORMAT
        self._resampler = None if as_is else soxr.ResampleStream(audio.samplerate, SAMPLE_RATE, 1, dtype="float64")
        self._pending = b""

    def read(self, frames: int) -> bytes:
        if frames < 0:
            raise ValueError(f"frames must be >= 0, got {frames}")
        wanted = frames * SAMPLE_WIDTH
        while len(self._pending) < wanted and self._file is not None:
            self._pending += self._decode()
        chunk, self._pending = self._pending[:wanted], self._pending[wanted:]
        return chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._pending = b""

    def _decode(self) -> bytes:
        """The next block of the file in the pipeline format; at its end, what the resampler holds back."""
        try:
            if self._resampler is None:
                pcm = bytes(self._file.buffer_read(_BLOCK_FRAMES, dtype="int16"))
                if not pcm:
                    self.close()
                return pcm
            samples = self._file.read(_BLOCK_FRAMES, dtype="float64", always_2d=True)
        except soundfile.LibsndfileError as error:
            self.close()
            raise _unreadable(self._name, self._head, error.error_string) from None
        last = len(samples) == 0
        if last:
            self.close()
        mono = np.nan_to_num(samples.mean(axis=1), nan=0.0, posinf=1.0, neginf=-1.0) * 32768.0
        return to_int16_pcm(self._resampler.resample_chunk(mono, last=last))


class WavSink:
    """An AudioSink that appends everything played to a 16 kHz mono int16 WAV file.

    Sizes in the header are patched after every block, so the file stays valid even if
    the program dies before `close()`. The one WAV writer: `--output`, `say --output` and the
    `--log` recordings all use it. `private` creates a new file only its owner can read (0600)
    and refuses to replace an existing one.
    """

    _BLOCK_BYTES = SAMPLE_RATE // 10 * SAMPLE_WIDTH

    def __init__(self, path: str | os.PathLike[str], *, private: bool = False) -> None:
        self.path = str(path)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        try:
            self._file = open(self.path, "xb", opener=private_opener) if private else open(self.path, "wb")
        except OSError as exc:
            raise VoiceError(f"cannot create {self.path}: {exc.strerror or exc}; check the folder exists and is writable") from None
        self._wav: wave.Wave_write | None = wave.open(self._file, "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(SAMPLE_WIDTH)
        self._wav.setframerate(SAMPLE_RATE)

    def play(self, audio: SpeechAudio) -> None:
        self._stop.clear()
        pcm = resample_pcm(audio.pcm, audio.sample_rate, SAMPLE_RATE)
        for start in range(0, len(pcm), self._BLOCK_BYTES):
            with self._lock:
                if self._stop.is_set() or self._wav is None:
                    return
                try:
                    self._wav.writeframes(pcm[start : start + self._BLOCK_BYTES])
                except OSError as exc:
                    raise VoiceError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._wav is None:
                return
            wav, self._wav = self._wav, None
            try:
                try:
                    wav.close()
                finally:
                    self._file.close()
            except OSError as exc:
                raise VoiceError(f"cannot finish writing {self.path}: {exc.strerror or exc}") from None

    def __enter__(self) -> WavSink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def private_opener(path: str, flags: int) -> int:
    """An `open()` opener creating files only their owner can read or write (0600)."""
    return os.open(path, flags, 0o600)
