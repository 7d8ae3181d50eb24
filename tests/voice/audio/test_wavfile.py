"""WAV decoding of every common sample format, resampling, WavSink, and the messages for bad files."""
from __future__ import annotations

import logging
import re
import struct
import threading
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice.audio.format import AudioSink, AudioSource, SpeechAudio
from voice.errors import VoiceError
from voice.audio.convert import resample, resample_pcm
from voice.audio.wavfile import WavSink, WavSource, load_wav, read_wav

PCM, FLOAT, EXTENSIBLE, MULAW = 0x0001, 0x0003, 0xFFFE, 0x0007
GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
TONE_HZ = 440.0
AMPLITUDE = 0.5


def tone(rate: int, seconds: float = 0.5) -> np.ndarray:
    return AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * np.arange(int(rate * seconds)) / rate)


def encode(signal: np.ndarray, encoding: str, bits: int) -> bytes:
    """(frames, channels) floats in [-1, 1] to interleaved little-endian sample bytes."""
    flat = signal.reshape(-1)
    if encoding == "float":
        return flat.astype("<f4" if bits == 32 else "<f8").tobytes()
    if bits == 8:
        return np.clip(np.rint(flat * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    scale = 2 ** (bits - 1) - 1
    ints = np.rint(flat * scale).astype(np.int64)
    if bits == 24:
        return b"".join(struct.pack("<i", int(v))[:3] for v in ints)
    return ints.astype("<i2" if bits == 16 else "<i4").tobytes()


def fmt_chunk(tag: int, channels: int, rate: int, bits: int, extensible_tag: int | None = None) -> bytes:
    block_align = channels * bits // 8
    body = struct.pack("<HHIIHH", tag, channels, rate, rate * block_align, block_align, bits)
    if extensible_tag is not None:
        body += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", extensible_tag) + GUID_TAIL
    return b"fmt " + struct.pack("<I", len(body)) + body


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def data_chunk(payload: bytes, declared: int | None = None) -> bytes:
    size = len(payload) if declared is None else declared
    return b"data" + struct.pack("<I", size) + payload + (b"\x00" if len(payload) % 2 and declared is None else b"")


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def assert_is_tone(pcm: bytes, amplitude: float = AMPLITUDE, seconds: float = 0.5) -> None:
    got = np.frombuffer(pcm, dtype="<i2") / 32767.0
    assert abs(len(got) - 16000 * seconds) <= 1
    expected = amplitude * np.sin(2 * np.pi * TONE_HZ * np.arange(len(got)) / 16000)
    middle = slice(800, len(got) - 800)
    assert np.max(np.abs(got[middle] - expected[middle])) < 0.01


FORMATS = [
    ("pcm", 8, PCM, None, "PCM_U8"),
    ("pcm", 16, PCM, None, "PCM_16"),
    ("pcm", 24, PCM, None, "PCM_24"),
    ("pcm", 32, PCM, None, "PCM_32"),
    ("float", 32, FLOAT, None, "FLOAT"),
    ("float", 64, FLOAT, None, "DOUBLE"),
    ("pcm", 16, EXTENSIBLE, PCM, "PCM_16"),
    ("pcm", 24, EXTENSIBLE, PCM, "PCM_24"),
    ("float", 32, EXTENSIBLE, FLOAT, "FLOAT"),
]


@pytest.mark.parametrize(("encoding", "bits", "tag", "sub_tag", "subtype"), FORMATS)
@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_every_sample_format_and_rate_decodes_to_16k_mono(tmp_path, encoding, bits, tag, sub_tag, subtype, rate):
    signal = tone(rate)[:, None]
    path = write(tmp_path / "t.wav", riff(fmt_chunk(tag, 1, rate, bits, sub_tag), data_chunk(encode(signal, encoding, bits))))
    info, pcm = read_wav(path)
    assert (info.subtype, info.channels, info.sample_rate, info.frames) == (subtype, 1, rate, len(signal))
    assert not info.truncated
    assert_is_tone(pcm)


@pytest.mark.parametrize("channels", [2, 6])
def test_multichannel_is_averaged_to_mono(tmp_path, channels):
    signal = np.zeros((22050 // 2, channels))
    signal[:, 0] = tone(22050)
    path = write(
        tmp_path / "multi.wav",
        riff(fmt_chunk(EXTENSIBLE, channels, 22050, 16, PCM), data_chunk(encode(signal, "pcm", 16))),
    )
    info, pcm = read_wav(path)
    assert info.channels == channels
    assert_is_tone(pcm, amplitude=AMPLITUDE / channels)


def mu_law(signal: np.ndarray) -> bytes:
    """G.711 mu-law bytes of floats in [-1, 1], as a telephone recorder writes them."""
    sample = np.clip(np.rint(signal * 32767), -32767, 32767).astype(np.int32)
    sign = np.where(sample < 0, 0x80, 0)
    biased = np.minimum(np.abs(sample), 32635) + 0x84
    exponent = np.floor(np.log2(biased)).astype(np.int32) - 7
    mantissa = (biased >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def test_mu_law_telephone_recordings_decode(tmp_path):
    signal = tone(8000)
    path = write(tmp_path / "phone.wav", riff(fmt_chunk(MULAW, 1, 8000, 8), data_chunk(mu_law(signal))))
    info, pcm = read_wav(path)
    assert (info.subtype, info.sample_rate, info.frames) == ("ULAW", 8000, len(signal))
    got = np.frombuffer(pcm, dtype="<i2") / 32767.0
    expected = AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * np.arange(len(got)) / 16000)
    assert np.max(np.abs(got[800:-800] - expected[800:-800])) < 0.03  # mu-law's own quantisation


def test_other_chunks_and_odd_sizes_are_skipped(tmp_path):
    signal = tone(16000)[:, None]
    content = riff(
        b"LIST" + struct.pack("<I", 5) + b"INFOx\x00",
        fmt_chunk(PCM, 1, 16000, 16),
        b"fact" + struct.pack("<I", 4) + struct.pack("<I", len(signal)),
        data_chunk(encode(signal, "pcm", 16)),
    )
    assert_is_tone(read_wav(write(tmp_path / "chunks.wav", content))[1])


def test_truncated_data_is_used_and_reported(tmp_path, caplog):
    payload = encode(tone(16000)[:, None], "pcm", 16)
    path = write(tmp_path / "cut.wav", riff(fmt_chunk(PCM, 1, 16000, 16), data_chunk(payload, declared=2 * len(payload))))
    with caplog.at_level(logging.WARNING, logger="voice.audio.wavfile"):
        info, pcm = read_wav(path)
    assert info.truncated and info.frames == len(payload) // 2
    assert pcm == payload
    assert "cut.wav is truncated" in caplog.text


def test_partial_last_frame_is_dropped(tmp_path):
    signal = np.stack([tone(16000), tone(16000)], axis=1)
    payload = encode(signal, "pcm", 24) + b"\x01\x02\x03\x04"
    info, pcm = read_wav(write(tmp_path / "ragged.wav", riff(fmt_chunk(PCM, 2, 16000, 24), data_chunk(payload))))
    assert info.truncated and info.frames == len(signal)
    assert_is_tone(pcm)


BAD_FILES = {
    "empty": (b"", "is empty (0 bytes)"),
    "not_wav": (b"ID3\x04\x00\x00\x00\x00\x00\x00some mp3 frames", "is not a WAV file"),
    "text": (b"hello, this is a text file\n", "is not a WAV file"),
    "cut_riff": (b"RIFF\x24\x00", "cut short inside its WAV header"),
    "header_only": (riff(fmt_chunk(PCM, 1, 16000, 16), data_chunk(b"")), "has a WAV header but no audio samples"),
    "no_data_chunk": (riff(fmt_chunk(PCM, 1, 16000, 16)), "has a WAV header but no audio samples"),
    "cut_after_header": (riff(fmt_chunk(PCM, 1, 16000, 16), data_chunk(b"\x01", declared=32000)), "no audio samples (the file is cut short)"),
    "cut_fmt": (riff(fmt_chunk(PCM, 1, 16000, 16))[:30], "cut short inside its WAV header"),
    "no_fmt": (riff(data_chunk(b"\x00\x00" * 100)), "has a WAV header but no audio samples"),
    "bad_adpcm": (riff(fmt_chunk(0x0002, 1, 8000, 4), data_chunk(b"\x00" * 100)),
                  "is a WAV file that cannot be decoded (Error in WAV/W64/RF64 file. Malformed 'fmt ' chunk); "),
    "odd_float": (riff(fmt_chunk(FLOAT, 1, 16000, 16), data_chunk(b"\x00" * 100)), "cannot be decoded"),
    "zero_channels": (riff(fmt_chunk(PCM, 0, 16000, 16), data_chunk(b"\x00" * 100)),
                      "cannot be decoded (Channel count is zero)"),
    "rf64": (b"RF64" + b"\xff" * 4 + b"WAVE" + b"\x00" * 40, "has a WAV header but no audio samples"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_give_one_line_messages_naming_the_file(tmp_path, case):
    content, message = BAD_FILES[case]
    path = write(tmp_path / f"{case}.wav", content)
    with pytest.raises(VoiceError, match=re.escape(message)) as caught:
        load_wav(path)
    text = str(caught.value)
    assert str(path) in text and "\n" not in text


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(VoiceError, match=r"WAV file not found: .*nope\.wav; check the path"):
        WavSource(tmp_path / "nope.wav")
    with pytest.raises(VoiceError, match="is a directory"):
        WavSource(tmp_path)


def test_wav_source_reads_in_blocks_until_empty(tmp_path):
    signal = tone(44100, seconds=1.0)[:, None]
    path = write(tmp_path / "src.wav", riff(fmt_chunk(PCM, 1, 44100, 16), data_chunk(encode(signal, "pcm", 16))))
    source = WavSource(path)
    assert isinstance(source, AudioSource)
    blocks = iter(lambda: source.read(1000), b"")
    streamed = np.frombuffer(b"".join(blocks), dtype="<i2")
    assert streamed.tobytes() == load_wav(path).pcm
    whole = resample(signal[:, 0] * 32767, 44100, 16000)  # decoded in one go, as before streaming
    assert len(streamed) == len(whole) == 16000
    assert np.max(np.abs(streamed - whole)) <= 2
    assert source.read(1000) == b""
    source.close()
    assert source.read(1000) == b""


def test_resample_pcm_keeps_a_tone_and_identity_is_exact():
    pcm = (tone(22050) * 32767).astype("<i2").tobytes()
    assert_is_tone(resample_pcm(pcm, 22050, 16000))
    assert resample_pcm(pcm, 22050, 22050) == pcm
    with pytest.raises(ValueError):
        resample_pcm(b"\x00", 22050, 16000)


def test_resampling_removes_content_above_the_new_nyquist():
    rate = 48000
    high = np.sin(2 * np.pi * 9000 * np.arange(rate) / rate)
    out = resample(high, rate, 16000)[1000:-1000]
    assert np.sqrt(np.mean(out**2)) < 1e-3


@settings(max_examples=40, deadline=None)
@given(
    frames=st.integers(0, 3000),
    from_rate=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 12345]),
    to_rate=st.sampled_from([8000, 16000, 22050, 48000]),
)
def test_resampled_length_follows_the_rate_ratio(frames, from_rate, to_rate):
    out = resample(np.zeros(frames), from_rate, to_rate)
    assert abs(len(out) - frames * to_rate / from_rate) <= 0.5


def test_wav_sink_writes_16k_mono_and_keeps_the_header_valid(tmp_path):
    path = tmp_path / "out.wav"
    sink = WavSink(path)
    assert isinstance(sink, AudioSink)
    speech_22k = SpeechAudio((tone(22050) * 32767).astype("<i2").tobytes(), 22050)
    speech_16k = SpeechAudio((tone(16000) * 32767).astype("<i2").tobytes(), 16000)
    sink.play(speech_22k)
    sink.play(speech_16k)
    with wave.open(str(path)) as before_close:
        assert before_close.getnframes() == 16000
    sink.close()
    sink.close()
    with wave.open(str(path)) as written:
        assert (written.getnchannels(), written.getsampwidth(), written.getframerate()) == (1, 2, 16000)
        frames = written.readframes(written.getnframes())
    assert_is_tone(frames[:16000])
    assert frames[16000:] == speech_16k.pcm


def test_wav_sink_stop_cuts_the_current_play(tmp_path):
    path = tmp_path / "stopped.wav"
    long_speech = SpeechAudio(b"\x10\x00" * 16000 * 30, 16000)
    with WavSink(path) as sink:
        blocks_written = threading.Event()
        original = sink._wav.writeframes

        def write_then_stop(data: bytes) -> None:
            original(data)
            blocks_written.set()
            sink.stop()

        sink._wav.writeframes = write_then_stop
        sink.play(long_speech)
    assert blocks_written.is_set()
    with wave.open(str(path)) as written:
        assert written.getnframes() == 1600


def test_wav_sink_reports_unwritable_path(tmp_path):
    with pytest.raises(VoiceError, match=r"cannot create .*missing-dir.*check the folder exists"):
        WavSink(tmp_path / "missing-dir" / "out.wav")


def test_private_wav_sink_is_owner_only_and_never_replaces_a_file(tmp_path):
    path = tmp_path / "utterance.wav"
    with WavSink(path, private=True) as sink:
        sink.play(SpeechAudio(b"\x01\x00" * 1600))
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(VoiceError, match=r"cannot create .*utterance\.wav: File exists"):
        WavSink(path, private=True)
    assert load_wav(path).pcm == b"\x01\x00" * 1600
