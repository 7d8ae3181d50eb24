"""WAV files in and out, converted to and from the pipeline format (16 kHz mono int16).

Python's `wave` module only reads integer PCM, but recorders and editors commonly write
32-bit float and WAVE_FORMAT_EXTENSIBLE files, so the RIFF chunks are parsed here.
A truncated data chunk (a recorder killed mid-write, or a streaming writer that never
patched the sizes) is decoded as far as it goes: the audio there is still good, and
`WavInfo.truncated` plus a logged warning tell the caller it was cut short.
"""
from __future__ import annotations

import logging
import os
import struct
import threading
import wave
from dataclasses import dataclass
from functools import lru_cache
from math import ceil, gcd
from pathlib import Path

import numpy as np

from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, SpeechAudio
from voice.errors import VoiceError

log = logging.getLogger(__name__)

_FORMAT_PCM = 0x0001
_FORMAT_FLOAT = 0x0003
_FORMAT_EXTENSIBLE = 0xFFFE
_GUID_SUFFIX = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_CODEC_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MP3",
}
_CONVERT_HINT = "convert it with `sox IN -r 16000 -c 1 -b 16 -e signed-integer OUT.wav`"

_ZERO_CROSSINGS = 16
_KAISER_BETA = 8.6
_ROLLOFF = 0.94
_CHUNK_FRAMES = 4096


@dataclass(frozen=True)
class WavInfo:
    """What the file held before conversion to the pipeline format."""

    path: str
    encoding: str
    bits: int
    channels: int
    sample_rate: int
    frames: int
    truncated: bool = False

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Polyphase windowed-sinc resampling of a 1-D signal; low-passes below the lower Nyquist.

    The output has round(len * to_rate / from_rate) samples, aligned so output sample n
    sits at input time n * from_rate / to_rate.
    """
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} and {to_rate}")
    samples = np.asarray(samples, dtype=np.float64)
    if from_rate == to_rate or samples.size == 0:
        return samples.copy()
    common = gcd(from_rate, to_rate)
    up, down = to_rate // common, from_rate // common
    filters, half = _polyphase_filters(up, down)
    padded = np.concatenate([np.zeros(half), samples, np.zeros(half)])
    taps = np.arange(1, 2 * half + 1)
    n_out = (samples.size * up + down // 2) // down
    out = np.empty(n_out)
    for start in range(0, n_out, _CHUNK_FRAMES):
        positions = np.arange(start, min(start + _CHUNK_FRAMES, n_out)) * down
        base, phase = np.divmod(positions, up)
        window = padded[base[:, None] + taps[None, :]]
        out[start : start + positions.size] = np.einsum("ij,ij->i", window, filters[phase])
    return out


@lru_cache(maxsize=16)
def _polyphase_filters(up: int, down: int) -> tuple[np.ndarray, int]:
    """One Kaiser-windowed sinc per output phase, each normalised to unit DC gain."""
    cutoff = _ROLLOFF * min(1.0, up / down)
    half = ceil(_ZERO_CROSSINGS / cutoff)
    offsets = np.arange(-half + 1, half + 1)
    distance = np.arange(up)[:, None] / up - offsets[None, :]
    ratio = np.clip(distance / half, -1.0, 1.0)
    window = np.i0(_KAISER_BETA * np.sqrt(1.0 - ratio**2)) / np.i0(_KAISER_BETA)
    filters = cutoff * np.sinc(cutoff * distance) * window
    filters /= filters.sum(axis=1, keepdims=True)
    return filters, half


def to_int16_pcm(samples: np.ndarray) -> bytes:
    """Float samples on the int16 scale to little-endian int16 bytes, clipping overshoot."""
    return np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()


def resample_pcm(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample mono int16 PCM (e.g. the synthesiser's 22050 Hz) to another rate."""
    if len(pcm) % SAMPLE_WIDTH:
        raise ValueError(f"int16 PCM must have an even number of bytes, got {len(pcm)}")
    if from_rate == to_rate:
        return bytes(pcm)
    samples = np.frombuffer(pcm, dtype="<i2")
    return to_int16_pcm(resample(samples, from_rate, to_rate))


def read_wav(path: str | os.PathLike[str]) -> tuple[WavInfo, bytes]:
    """Decode any PCM or float WAV to 16 kHz mono int16 bytes, with a one-line VoiceError on bad files."""
    name = str(path)
    data = _read_bytes(name)
    fmt_chunk, data_start, data_size, truncated = _find_chunks(name, data)
    encoding, bits, channels, rate, block_align, container = _parse_format(name, fmt_chunk)
    frames = data_size // block_align
    if frames == 0:
        cut = " (the file is cut short)" if truncated else ""
        raise VoiceError(f"{name} has a WAV header but no audio samples{cut}; record or export it again")
    if truncated or data_size % block_align:
        truncated = True
        log.warning("%s is truncated: using the %d complete frames present", name, frames)
    raw = data[data_start : data_start + frames * block_align]
    mono = _decode(raw, encoding, container, channels).mean(axis=1)
    pcm = to_int16_pcm(resample(mono, rate, SAMPLE_RATE))
    return WavInfo(name, encoding, bits, channels, rate, frames, truncated), pcm


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


def _find_chunks(name: str, data: bytes) -> tuple[bytes, int, int, bool]:
    """Walk the RIFF chunks: (fmt body, data offset, usable data size, data truncated?)."""
    if data[:4] in (b"RF64", b"RIFX"):
        kind = "RF64 (over 4 GB)" if data[:4] == b"RF64" else "big-endian RIFX"
        raise VoiceError(f"{name} is an unsupported {kind} WAV; {_CONVERT_HINT}")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        if len(data) < 12 and b"RIFF".startswith(data[:4]):
            raise VoiceError(f"{name} is cut short inside its WAV header; record or export it again")
        raise VoiceError(f"{name} is not a WAV file (no RIFF/WAVE header); {_CONVERT_HINT}")
    fmt_chunk: bytes | None = None
    data_chunk: tuple[int, int, bool] | None = None
    pos = 12
    while pos + 8 <= len(data) and (fmt_chunk is None or data_chunk is None):
        chunk_id, size = struct.unpack_from("<4sI", data, pos)
        body_start = pos + 8
        available = len(data) - body_start
        if chunk_id == b"fmt ":
            if size > available:
                raise VoiceError(f"{name} is cut short inside its format header; record or export it again")
            fmt_chunk = data[body_start : body_start + size]
        elif chunk_id == b"data":
            data_chunk = (body_start, min(size, available), size > available)
        pos = body_start + size + (size & 1)
    if fmt_chunk is None:
        raise VoiceError(f"{name} is damaged: it has no 'fmt ' chunk describing the audio; {_CONVERT_HINT}")
    if data_chunk is None:
        raise VoiceError(f"{name} has a WAV header but no audio samples; record or export it again")
    return fmt_chunk, *data_chunk


def _parse_format(name: str, fmt: bytes) -> tuple[str, int, int, int, int, int]:
    """(encoding, bits, channels, rate, block align, bytes per sample) or a VoiceError."""
    if len(fmt) < 16:
        raise VoiceError(f"{name} is damaged: its format header is too short; {_CONVERT_HINT}")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _FORMAT_EXTENSIBLE:
        if len(fmt) < 40 or fmt[26:40] != _GUID_SUFFIX:
            raise VoiceError(f"{name} uses an unsupported extensible WAV sub-format; {_CONVERT_HINT}")
        tag = struct.unpack_from("<H", fmt, 24)[0]
    if tag not in (_FORMAT_PCM, _FORMAT_FLOAT):
        codec = _CODEC_NAMES.get(tag, f"format tag 0x{tag:04x}")
        raise VoiceError(f"{name} uses an unsupported WAV codec ({codec}); {_CONVERT_HINT}")
    if channels == 0 or rate == 0 or block_align == 0 or block_align % channels:
        raise VoiceError(
            f"{name} is damaged: impossible format ({channels} channels, {rate} Hz, {block_align}-byte frames)"
        )
    container = block_align // channels
    encoding = "pcm" if tag == _FORMAT_PCM else "float"
    if container not in ((1, 2, 3, 4) if encoding == "pcm" else (4, 8)):
        raise VoiceError(f"{name} uses unsupported {bits}-bit {encoding} samples; {_CONVERT_HINT}")
    return encoding, bits, channels, rate, block_align, container


def _decode(raw: bytes, encoding: str, container: int, channels: int) -> np.ndarray:
    """Interleaved samples to a (frames, channels) float array on the int16 scale."""
    if encoding == "float":
        values = np.frombuffer(raw, dtype="<f4" if container == 4 else "<f8").astype(np.float64)
        values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=-1.0) * 32767.0
    elif container == 1:
        values = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    elif container == 2:
        values = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    elif container == 3:
        octets = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        packed = octets[:, 0] | (octets[:, 1] << 8) | (octets[:, 2] << 16)
        values = ((packed ^ 0x800000) - 0x800000) / 256.0
    else:
        values = np.frombuffer(raw, dtype="<i4") / 65536.0
    return values.reshape(-1, channels)


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
    the program dies before `close()`.
    """

    _BLOCK_BYTES = SAMPLE_RATE // 10 * SAMPLE_WIDTH

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        try:
            self._file = open(self.path, "wb")
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
