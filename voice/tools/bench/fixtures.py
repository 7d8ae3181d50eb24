"""The audio the bench plays to the assistant: each spoken fixture as recorded, and with a pause spliced in.

Every fixture is followed by its own background noise, as a microphone keeps delivering after
speech ends. The paused ones are cut at a word boundary after "and", "my" or "the" (listed in
`audio_tests/pauses.yaml`, found by aligning each fixture's text) and the same noise is played
there for 0.6 to 1.2 s: a person stopping to think, whom the assistant must not cut off.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from knowledge.evaluation import load_cases
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.errors import VoiceError

FIXTURES = Path(__file__).resolve().parents[3] / "audio_tests"
PAUSES_FILE = FIXTURES / "pauses.yaml"
PAD_SECONDS = 2.0  # after the speech: longer than any trailing-silence wait
NOISE_TAIL_SECONDS = 0.25  # the fixture's last stretch, speech-free, repeated as padding and pauses
FRAME_SECONDS = 0.01
FLOOR_MARGIN = 2.0  # a frame is speech when its RMS is over twice the noise floor's (+6 dB)
SMOOTH_FRAMES = 5  # frames whose power is averaged before it is compared with the floor
# Audio up to this long before the moment that matters (a pause, or the end of speech) may be fed
# faster than real time: the recognisers decode at 0.2-0.5x real time, so they would have kept up.
PACE_LEAD_SECONDS = 1.0


@dataclass(frozen=True)
class Pause:
    """Background noise spliced into a fixture mid-sentence."""

    at: float  # seconds into the fixture: the word boundary where the pause starts
    seconds: float
    after: str  # the word said just before it


@dataclass(frozen=True)
class Fixture:
    """One turn's audio for the bench, and the moments in it that the figures are measured from."""

    name: str
    recording: Path  # the fixture's file, as recorded
    pcm: bytes  # 16 kHz mono int16: the speech, then its background noise for PAD_SECONDS
    speech_end: float  # seconds to the end of the person's last word
    pause: Pause | None = None

    @property
    def pace_from(self) -> float:
        """Seconds of audio that may be fed as fast as it is read; the rest comes in real time."""
        first = self.pause.at if self.pause else self.speech_end
        return max(0.0, first - PACE_LEAD_SECONDS)


def load_fixtures(limit: int | None = None) -> tuple[list[Fixture], list[Fixture]]:
    """The spoken fixtures, and the paused ones; `limit` keeps the first few of each."""
    if not (FIXTURES / "cases.yaml").is_file() or not PAUSES_FILE.is_file():
        raise VoiceError(f"the spoken fixtures are not in {FIXTURES}: run the bench from a source checkout")
    audio = {case.id: case.audio for case in load_cases(FIXTURES / "cases.yaml") if case.audio}
    pauses = yaml.safe_load(PAUSES_FILE.read_text(encoding="utf-8"))["pauses"]
    plain = [_fixture(name, path, _read(path)) for name, path in list(audio.items())[:limit]]
    paused = [_paused(entry, audio[entry["case"]]) for entry in pauses[:limit]]
    return plain, paused


def speech_end(pcm: bytes) -> float:
    """Seconds to the end of the last 10 ms frame louder than the noise floor (by 6 dB), with
    the frames' power averaged over 50 ms.

    The floor is the median of the quietest tenth of the frames: every fixture has silence at
    both ends, carrying the same noise as under the speech. Without the averaging, pink noise
    crossed the margin on its own: ends 0.39 to 0.67 s late on the three pink-noise fixtures
    (against the clean recordings they were made from), so an endpoint after the last word
    counted as a cut-off; with it, every noisy fixture's end is within 0.18 s before its clean
    one's (the last word's fading tail is under the noise) and no clean one moves more than 0.03 s.
    """
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frame = int(SAMPLE_RATE * FRAME_SECONDS)
    count = len(samples) // frame
    if count == 0:
        return 0.0
    power = np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1)
    power = np.convolve(power, np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES, mode="same")
    floor = float(np.median(np.sort(power)[: max(1, count // 10)]))
    loud = np.flatnonzero(power > FLOOR_MARGIN ** 2 * max(floor, 1.0))
    return max(0, int(loud[-1]) + 1 - SMOOTH_FRAMES // 2) * FRAME_SECONDS if loud.size else 0.0


def _read(path: Path) -> bytes:
    from voice.audio.wavfile import read_wav

    return read_wav(path)[1]


def _fixture(name: str, recording: Path, pcm: bytes, pause: Pause | None = None) -> Fixture:
    return Fixture(name, recording, pcm + _noise(pcm, PAD_SECONDS), speech_end(pcm), pause)


def _paused(entry: dict, recording: Path) -> Fixture:
    pcm = _read(recording)
    pause = Pause(float(entry["at"]), float(entry["pause"]), str(entry["after"]))
    cut = int(pause.at * SAMPLE_RATE) * SAMPLE_WIDTH
    spliced = pcm[:cut] + _noise(pcm, pause.seconds) + pcm[cut:]
    return _fixture(f"{entry['case']} +{pause.seconds:.1f}s after '{pause.after}'", recording, spliced, pause)


def _noise(pcm: bytes, seconds: float) -> bytes:
    """`seconds` of the recording's own background noise: its speech-free last stretch, repeated."""
    tail = pcm[-int(SAMPLE_RATE * NOISE_TAIL_SECONDS) * SAMPLE_WIDTH:]
    size = int(SAMPLE_RATE * seconds) * SAMPLE_WIDTH
    return (tail * (size // len(tail) + 1))[:size]
