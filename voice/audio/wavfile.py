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

import io
import logging
import os
import re
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from voice.audio.convert import resample, resample_pcm, to_int16_pcm
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
# Files already in the pipeline format are taken as they are: converting a 2-minute one through
# floats held some 60 MB at once (12 bytes a sample), and the allocator kept that high-water mark.
_PIPELINE_FORMAT = ("PCM_16", 1, SAMPLE_RATE)


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
    name = str(path)
    data = _read_bytes(name)
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as audio:
            truncated = _truncated(audio.extra_info)
            if audio.frames == 0:
                cut = " (the file is cut short)" if truncated else ""
                raise VoiceError(f"{name} has a WAV header but no audio samples{cut}; record or export it again")
            if (audio.subtype, audio.channels, audio.samplerate) == _PIPELINE_FORMAT:
                pcm = bytes(audio.buffer_read(dtype="int16"))
                info = WavInfo(name, audio.subtype, 1, SAMPLE_RATE, len(pcm) // SAMPLE_WIDTH, truncated)
            else:
                samples = audio.read(dtype="float64", always_2d=True)
                info = WavInfo(name, audio.subtype, audio.channels, audio.samplerate, len(samples), truncated)
    except soundfile.LibsndfileError as error:
        raise _unreadable(name, data, error.error_string) from None
    if truncated:
        log.warning("%s is truncated: using the %d complete frames present", name, info.frames)
    if (info.subtype, info.channels, info.sample_rate) == _PIPELINE_FORMAT:
        return info, pcm
    mono = np.nan_to_num(samples.mean(axis=1), nan=0.0, posinf=1.0, neginf=-1.0) * 32768.0
    return info, to_int16_pcm(resample(mono, info.sample_rate, SAMPLE_RATE))


def load_wav(path: str | os.PathLike[str]) -> SpeechAudio:
    """A whole WAV file as pipeline-format SpeechAudio."""
    return SpeechAudio(read_wav(path)[1], SAMPLE_RATE)


def _read_bytes(name: str) -> bytes:
    try:
        data = Path(name).read_bytes()
    except FileNotFoundError:
        raise VoiceError(f"WAV file not found: {name}; check the path") from None
    except IsADirectoryError:
        raise VoiceError(f"{name} is a directory, not a WAV file; give the path of a .wav file") from None
    except PermissionError:
        raise VoiceError(f"cannot read {name}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise VoiceError(f"cannot read {name}: {exc.strerror or exc}") from None
    if not data:
        raise VoiceError(f"{name} is empty (0 bytes); record or export the audio again")
    return data


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
    """An AudioSource over a WAV file, decoded once to the pipeline format.

    The whole file is held in memory as 16 kHz mono int16 (32 kB per second), which suits
    utterance-length files.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.info, self._pcm = read_wav(path)
        self._offset = 0

    @property
    def audio(self) -> SpeechAudio:
        return SpeechAudio(self._pcm, SAMPLE_RATE)

    def read(self, frames: int) -> bytes:
        if frames < 0:
            raise ValueError(f"frames must be >= 0, got {frames}")
        chunk = self._pcm[self._offset : self._offset + frames * SAMPLE_WIDTH]
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        self._pcm = b""
        self._offset = 0


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
