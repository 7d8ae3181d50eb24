"""Voice sets for measuring understanding: several synthetic voices with room noise, in two splits.

    python audio_tests/voice_sets/voice_set.py voices                  # the voices and their split
    python audio_tests/voice_sets/voice_set.py speak VOICE TEXT OUT.wav
    python audio_tests/voice_sets/voice_set.py build [--split tune|heldout] [--out DIR]

`speak` is the person's voice for `symptom-voice eval SESSIONS.yaml --tts-command
'python audio_tests/voice_sets/voice_set.py speak VOICE {text} {wav}'`; `build` writes every
text case of a split as WAVs, one folder per voice, each with a cases.yaml for `symptom-voice
eval` (default: generated/ beside this script, which git ignores).

TUNE voices are the espeak-ng voices the project's fixtures already use; HELD-OUT voices are
ones the project never used, plus hibari-tts's natural American voice when `hibari` can be
imported (`pip install -e '.[voices]'`; its other voices are downloads, so they are left out).
Each utterance gets its own room noise, 15 to 35 dB below the speech, seeded by the voice and
the text so a rebuild gives the same audio.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from voice.audio.convert import resample, to_int16_pcm
from voice.audio.format import SAMPLE_RATE

HERE = Path(__file__).resolve().parent
SPLITS = ("tune", "heldout")
SNR_DB = (15.0, 35.0)
LEAD_SECONDS, TAIL_SECONDS = 0.3, 0.6
SPEECH_LEVEL = 3000.0  # RMS of the loud part, int16 counts (about -21 dBFS): a normal speaking level


@dataclass(frozen=True)
class Voice:
    split: str
    engine: str  # "espeak" or "hibari"
    name: str  # espeak-ng voice (with +variant), or the hibari voice
    rate: int = 160  # espeak-ng words per minute; hibari: speed in percent
    pitch: int = 50  # espeak-ng 0-99
    noise: str = "pink"  # "white", "pink" (1/f) or "brown" (1/f^2, a rumbling room)


VOICES = {
    "us": Voice("tune", "espeak", "en-us", 160, 50, "pink"),
    "scottish": Voice("tune", "espeak", "en-gb-scotland", 150, 42, "white"),
    "us-f3": Voice("tune", "espeak", "en-us+f3", 170, 62, "brown"),
    "lancashire": Voice("tune", "espeak", "en-gb-x-gbclan", 150, 55, "pink"),
    "us-m7": Voice("heldout", "espeak", "en-us+m7", 175, 35, "white"),
    "gb-f3": Voice("heldout", "espeak", "en+f3", 140, 70, "brown"),
    "west-midlands": Voice("heldout", "espeak", "en-gb-x-gbcwmd", 155, 48, "pink"),
    "hibari-heart": Voice("heldout", "hibari", "heart", 100, 0, "pink"),
}


def speak(voice_id: str, text: str) -> np.ndarray:
    """`text` in that voice with its room noise, as float int16-scale samples at 16 kHz."""
    voice = VOICES[voice_id]
    speech = _hibari(text, voice) if voice.engine == "hibari" else _espeak(text, voice)
    loud = np.abs(speech) > 0.05 * np.abs(speech).max()
    speech = speech[np.flatnonzero(loud)[0]: np.flatnonzero(loud)[-1] + 1]
    speech *= SPEECH_LEVEL / np.sqrt(np.mean(speech[np.abs(speech) > 0.05 * np.abs(speech).max()] ** 2))
    padded = np.concatenate([np.zeros(int(LEAD_SECONDS * SAMPLE_RATE)), speech,
                             np.zeros(int(TAIL_SECONDS * SAMPLE_RATE))])
    rng = np.random.default_rng(zlib.crc32(f"{voice_id}|{text}".encode("utf-8")))
    snr = rng.uniform(*SNR_DB)
    return padded + _noise(voice.noise, padded.size, rng) * SPEECH_LEVEL * 10 ** (-snr / 20)


def _espeak(text: str, voice: Voice) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "espeak.wav"
        subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(voice.rate), "-p", str(voice.pitch), "-w", str(path),
                        text], check=True, capture_output=True)
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64)
    return resample(samples, rate, SAMPLE_RATE)


def _hibari(text: str, voice: Voice) -> np.ndarray:
    try:
        from hibari import Hibari
    except ImportError:
        sys.exit("hibari-tts is not installed: pip install -e '.[voices]'")
    audio = Hibari(voice=voice.name)(text, speed=voice.rate / 100, seed=0)
    return resample(np.asarray(audio, np.float64) * 32767, 24000, SAMPLE_RATE)


def _noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-power white, pink or brown noise."""
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum[1:] /= freqs[1:] ** (0.5 if kind == "pink" else 1.0)
    spectrum[0] = 0
    coloured = np.fft.irfft(spectrum, n)
    return coloured / coloured.std()


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(to_int16_pcm(samples))


def available(voice_id: str) -> bool:
    if VOICES[voice_id].engine != "hibari":
        return True
    try:
        import hibari  # noqa: F401
    except ImportError:
        return False
    return True


def build(split: str, out: Path) -> list[Path]:
    """Every text case of `split` in each of its voices; returns the cases files written."""
    cases = yaml.safe_load((HERE / split / "cases.yaml").read_text(encoding="utf-8"))["cases"]
    written = []
    for voice_id, voice in VOICES.items():
        if voice.split != split:
            continue
        if not available(voice_id):
            print(f"{voice_id}: left out (hibari-tts is not installed)", file=sys.stderr)
            continue
        folder = out / split / voice_id
        spoken = []
        for case in cases:
            write_wav(folder / f"{case['id']}.wav", speak(voice_id, case["say"]))
            spoken.append({**case, "id": f"{case['id']}-{voice_id}", "audio": f"{case['id']}.wav"})
        path = folder / "cases.yaml"
        path.write_text(f"# {split} split, voice {voice_id}: made by voice_set.py build\n"
                        + yaml.safe_dump({"version": 1, "cases": spoken}, sort_keys=False), encoding="utf-8")
        written.append(path)
        print(f"{path}: {len(spoken)} cases")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("voices")
    one = sub.add_parser("speak")
    one.add_argument("voice", choices=sorted(VOICES))
    one.add_argument("text")
    one.add_argument("wav", type=Path)
    many = sub.add_parser("build")
    many.add_argument("--split", choices=SPLITS, action="append")
    many.add_argument("--out", type=Path, default=HERE / "generated")
    args = parser.parse_args(argv)
    if args.command == "voices":
        for voice_id, voice in VOICES.items():
            print(f"{voice_id:14s} {voice.split:8s} {voice.engine} {voice.name} rate {voice.rate} noise {voice.noise}"
                  + ("" if available(voice_id) else " (not installed)"))
    elif args.command == "speak":
        write_wav(args.wav, speak(args.voice, args.text))
    else:
        for split in args.split or SPLITS:
            build(split, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
