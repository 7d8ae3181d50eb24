"""Make the spoken test fixtures: espeak-ng sentences as 16 kHz mono int16 WAVs, with noise.

Run from anywhere: `python audio_tests/make_fixtures.py`. It rewrites the WAVs, cases.yaml
and recordings.yaml beside this file. Output is deterministic (seeded noise, fixed voices).
Needs espeak-ng and sox on the PATH, and numpy and pyyaml.
"""
from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
RATE = 16000
FLOOR_DB = 40.0  # noise floor below speech level on every file: digital silence hurts recognisers
LEAD_SECONDS = 0.2
TAIL_SECONDS = 0.6
PAUSE_SECONDS = 1.2
# (espeak-ng voice, words per minute): several accents, sexes and speeds.
VOICES = (
    ("en-us", 160), ("en-gb", 150), ("en-us+f3", 170), ("en-gb-x-rp", 145),
    ("en-gb-scotland", 160), ("en-us+m3", 180), ("en-029", 155),
)


@dataclass(frozen=True)
class Case:
    id: str
    say: str
    topics: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    out_of_scope: bool = False
    noise: tuple[str, ...] = field(default=())  # e.g. "white20", "pink10"


CASES = (
    Case("c01", "my knee hurts and the pain goes down into my calf",
         ("referred_pain", "altered_gait", "osteoarthritis"), ("knee", "calf"), (), noise=("white20",)),
    Case("c02", "i have osteoarthritis in my knee and my thigh aches", ("osteoarthritis",), ("knee", "thigh")),
    Case("c03", "my kneecap hurts when i climb stairs", ("patellofemoral_pain",), ("knee",), noise=("pink10",)),
    Case("c04", "pain below the kneecap after jumping", ("patellar_tendonitis",), ("knee",)),
    Case("c05", "i tore my meniscus and my knee is swollen", ("meniscus_tear",), ("knee",),
         ("swelling_redness_warmth",)),
    Case("c06", "my knee feels unstable since i injured my ligament", ("ligament_injury",), ("knee",)),
    Case("c07", "pain on the inner side of my knee that goes down my shin", ("bursitis",), ("knee", "shin")),
    Case("c08", "i have been limping because of my knee and now my hip hurts", ("altered_gait",), ("knee", "hip")),
    Case("c09", "the muscles in my thigh are tight and tired", ("muscle_imbalance",), ("thigh",)),
    Case("c11", "i can't bear weight on my leg", (), (), ("cannot_bear_weight",), noise=("pink20",)),
    Case("c12", "my knee is red and swollen and feels hot", (), ("knee",), ("swelling_redness_warmth",),
         noise=("white10",)),
    Case("c13", "i have numbness and tingling in my foot", (), ("foot",), ("numbness_tingling_weakness",)),
    Case("c14", "my knee looks deformed", (), ("knee",), ("deformity",)),
    Case("c15", "sudden severe pain in my knee after an injury", ("ligament_injury", "meniscus_tear"), ("knee",),
         ("severe_pain_after_injury",), noise=("pink10",)),
    Case("c16", "my knee pain has lasted for weeks and rest does not help", (), ("knee",), ("persistent_pain",)),
    Case("c17", "no swelling just an ache in my calf", ("referred_pain", "altered_gait", "muscle_imbalance"),
         ("calf",)),
    Case("c18", "my lower back hurts since my meniscus tear", ("meniscus_tear", "altered_gait"), ("lower_back",)),
    Case("c19", "my leg feels weak and my knee aches", (), ("knee",), ("numbness_tingling_weakness",)),
    Case("c20", "pain in the front of my thigh and around my kneecap", ("patellofemoral_pain",), ("thigh", "knee")),
    Case("c21", "jumper's knee", ("patellar_tendonitis",), ("knee",)),
    Case("k01", "repeat that", noise=("white10",)),
    Case("k02", "say that again"),
    Case("k03", "speak slower"),
    Case("k04", "louder please"),
    Case("k05", "tell me more"),
    Case("k06", "what can i say"),
    Case("k07", "when should i see a doctor"),
    Case("k08", "start over"),
    Case("k09", "goodbye"),
    Case("k10", "yes"),
    Case("o01", "how is the weather today", out_of_scope=True),
)

# Several sentences in one recording, for end-to-end file-mode tests (endpointing + dialogue).
SESSIONS = (
    ("s01", ("c03", "k01", "k05")),
    ("s02", ("c12", "k07", "k09")),
    ("s03", ("c18", "k03", "c11")),
)


def speak(text: str, voice: str, speed: int) -> np.ndarray:
    """espeak-ng's speech resampled to 16 kHz mono float samples."""
    wav22 = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                           check=True, capture_output=True).stdout
    raw = subprocess.run(["sox", "-D", "-R", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                          "-e", "signed-integer", "-"], input=wav22, check=True, capture_output=True).stdout
    samples = np.frombuffer(raw, np.int16).astype(np.float64)
    voiced = np.flatnonzero(np.abs(samples) > 100)
    return samples[voiced[0]: voiced[-1] + 1]


def speech_power(samples: np.ndarray) -> float:
    """Mean power over the loud part only, so the SNR is about speech, not pauses."""
    loud = samples[np.abs(samples) > 0.05 * np.abs(samples).max()]
    return float(np.mean(loud**2))


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-power white or pink (1/f power) noise."""
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, n)
    return pink / pink.std()


def with_noise(samples: np.ndarray, level: float, kind: str, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    return samples + noise(kind, len(samples), rng) * np.sqrt(level) * 10 ** (-snr_db / 20)


def to_int16(samples: np.ndarray) -> np.ndarray:
    peak = np.abs(samples).max()
    if peak > 32000:
        samples = samples * (32000 / peak)
    return np.round(samples).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(to_int16(samples).tobytes())


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE))


def padded(speech: np.ndarray) -> np.ndarray:
    return np.concatenate([silence(LEAD_SECONDS), speech, silence(TAIL_SECONDS)])


def finish(samples: np.ndarray, level: float, seed: int, extra: str | None = None) -> np.ndarray:
    """Add the noise floor (and optional extra noise such as "pink10") with a fixed seed."""
    rng = np.random.default_rng(seed)
    out = with_noise(samples, level, "white", FLOOR_DB, rng)
    if extra:
        kind, snr = extra.rstrip("0123456789"), float(extra.lstrip("abcdefghijklmnopqrstuvwxyz"))
        out = with_noise(out, level, kind, snr, rng)
    return out


def case_entry(case: Case, audio: str, say: str | None = None) -> dict:
    entry = {"id": case.id, "say": say or case.say, "audio": audio, "topics": list(case.topics),
             "locations": list(case.locations), "warnings": list(case.warnings)}
    if case.out_of_scope:
        entry["out_of_scope"] = True
    return entry


def main() -> None:
    by_id = {case.id: case for case in CASES}
    speech: dict[str, np.ndarray] = {}
    entries: list[dict] = []
    for number, case in enumerate(CASES):
        voice, speed = VOICES[number % len(VOICES)]
        speech[case.id] = speak(case.say, voice, speed)
        level = speech_power(speech[case.id])
        write_wav(HERE / "clean" / f"{case.id}.wav", finish(padded(speech[case.id]), level, number))
        entries.append(case_entry(case, f"clean/{case.id}.wav"))
        for extra in case.noise:
            write_wav(HERE / "noisy" / f"{case.id}_{extra}.wav", finish(padded(speech[case.id]), level, 1000 + number, extra))
            entries.append({**case_entry(case, f"noisy/{case.id}_{extra}.wav"), "id": f"{case.id}_{extra}"})
    sessions = []
    for number, (session_id, ids) in enumerate(SESSIONS):
        parts = [silence(LEAD_SECONDS)]
        for case_id in ids:
            parts += [speech[case_id], silence(PAUSE_SECONDS)]
        samples = np.concatenate(parts)
        level = np.mean([speech_power(speech[case_id]) for case_id in ids])
        write_wav(HERE / "sessions" / f"{session_id}.wav", finish(samples, level, 2000 + number))
        sessions.append({"id": session_id, "audio": f"sessions/{session_id}.wav",
                         "utterances": [{k: v for k, v in case_entry(by_id[i], "").items() if k != "audio"} for i in ids]})
    header = "# Spoken fixtures made by make_fixtures.py (espeak-ng); format: /work/shared/eval/FORMAT.md.\n"
    (HERE / "cases.yaml").write_text(header + yaml.safe_dump({"version": 1, "cases": entries}, sort_keys=False, width=120, default_flow_style=None))
    (HERE / "recordings.yaml").write_text(
        "# Multi-utterance recordings made by make_fixtures.py: utterances in order, ~1.2 s pauses between.\n"
        "# Not a sessions file of FORMAT.md (no simulated person): the recordings' expected utterances.\n"
        + yaml.safe_dump({"version": 1, "sessions": sessions}, sort_keys=False, width=120, default_flow_style=None))


if __name__ == "__main__":
    main()
