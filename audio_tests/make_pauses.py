"""Find where the spoken fixtures can pause mid-sentence: the word boundary after each "and", "my"
and "the" that has words on both sides, by aligning the fixture's own text with PocketSphinx.

`symptom-voice bench` splices a pause of the fixture's background noise in at each boundary and
counts how often the assistant takes the pause for the end of the turn. Run from anywhere:
`python audio_tests/make_pauses.py`; it rewrites pauses.yaml beside this file (deterministic).
"""
from __future__ import annotations

import tempfile
import wave
from pathlib import Path

import yaml
from pocketsphinx import Decoder

from knowledge.evaluation import load_cases
from knowledge.loader import load_knowledge
from voice.asr.pocketsphinx_lm.build import Lexicon, bundled_model_dir

HERE = Path(__file__).resolve().parent
CONTINUES = ("and", "my", "the")  # a pause after these is a person thinking, not the end of what they say
PAUSES = (0.6, 0.8, 1.0, 1.2)  # seconds, taken in turn: the range people pause for mid-sentence
FRAMES_PER_SECOND = 100


def word_starts(decoder: Decoder, pcm: bytes, text: str) -> list[float]:
    """Seconds at which each word of `text` starts in `pcm`, by forced alignment."""
    decoder.set_align_text(text)
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    words = [s for s in decoder.seg() if not s.word.startswith(("<", "["))]
    if len(words) != len(text.split()):
        raise SystemExit(f"alignment of {text!r} found {len(words)} words")
    return [s.start_frame / FRAMES_PER_SECOND for s in words]


def main() -> None:
    cases = [c for c in load_cases(HERE / "cases.yaml") if c.audio]
    model = bundled_model_dir()
    phones = load_knowledge().speech.phones
    lines, _ = Lexicon.load(model / "cmudict-en-us.dict", phones).pronounce(w for c in cases for w in c.say.split())
    entries = []
    with tempfile.TemporaryDirectory() as folder:
        dictionary = Path(folder) / "fixtures.dict"
        dictionary.write_text("\n".join(lines) + "\n")
        decoder = Decoder(hmm=str(model / "en-us"), dict=str(dictionary), lm=None, loglevel="FATAL")
        for case in cases:
            words = case.say.split()
            boundaries = [n + 1 for n, w in enumerate(words[:-1]) if w in CONTINUES and n > 0]
            if not boundaries:
                continue
            with wave.open(str(case.audio)) as audio:
                starts = word_starts(decoder, audio.readframes(audio.getnframes()), case.say)
            for n in boundaries:
                entries.append({"case": case.id, "after": words[n - 1], "at": round(starts[n], 2),
                                "pause": PAUSES[len(entries) % len(PAUSES)]})
    header = ("# Mid-sentence pauses for `symptom-voice bench`: where each fixture (by case id) is cut, after which\n"
              "# word, and for how long its background noise is played there. Made by make_pauses.py.\n")
    (HERE / "pauses.yaml").write_text(header + yaml.safe_dump({"version": 1, "pauses": entries}, sort_keys=False,
                                                              default_flow_style=None, width=120))


if __name__ == "__main__":
    main()
