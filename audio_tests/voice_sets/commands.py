"""How often the spoken commands are recognised, across voices and speaking rates, in a quiet room.

    python audio_tests/voice_sets/commands.py [--engine pocketsphinx] [--context anything|question|both]

Each of the ten commands is said by every voice of voice_set.py (both splits; hibari-tts's when
it is installed) at three speaking rates, over a noise floor 30 to 40 dB below the speech, and
goes through the assistant's own path: the endpointer, the recogniser, then the dialogue's
classification. `anything` listens as after an answer (open recognition); `question` as when a
yes/no question is pending, so the recogniser listens for the answers and the commands.
"""
from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from voice_set import VOICES, _espeak, _hibari, _noise, available  # noqa: E402

from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.matcher import Matcher  # noqa: E402
from voice.app import build_ears, whole_turn  # noqa: E402
from voice.asr.answers import HearsAnswers  # noqa: E402
from voice.asr.utterances import UtteranceEnded, UtteranceStream  # noqa: E402
from voice.audio.convert import to_int16_pcm  # noqa: E402
from voice.audio.format import SAMPLE_RATE  # noqa: E402
from voice.conversation.commands import Command  # noqa: E402
from voice.conversation.events import Expect, Heard  # noqa: E402
from voice.conversation.utterance import classify  # noqa: E402
from voice.session.listening import turn_policy  # noqa: E402

COMMANDS = {"stop": Command.STOP, "repeat": Command.REPEAT, "tell me more": Command.MORE,
            "start over": Command.START_OVER, "help": Command.HELP, "slower": Command.SLOWER,
            "faster": Command.FASTER, "louder": Command.LOUDER, "quieter": Command.QUIETER,
            "goodbye": Command.GOODBYE}
RATES = (0.8, 1.0, 1.3)  # times each voice's own rate
SNR_DB = (30.0, 40.0)
SPEECH_LEVEL = 3000.0
LEAD_SECONDS, TAIL_SECONDS = 0.4, 1.2
# Silence the synthesiser left around the words is cut below this share of the peak: at 5% the
# release of a final "p" ("stop", "help") went too.
TRIM = 0.001
CONTEXTS = {"anything": (Expect.ANYTHING, ()), "question": (Expect.YES_NO, ("yes", "no"))}  # as the dialogue asks


def said(voice_id: str, rate: float, text: str) -> bytes:
    """`text` in that voice at `rate` times its speed, with its own noise floor, as 16 kHz PCM."""
    voice = VOICES[voice_id]
    voice = replace(voice, rate=round(voice.rate * rate))
    speech = _hibari(text, voice) if voice.engine == "hibari" else _espeak(text, voice)
    sound = np.flatnonzero(np.abs(speech) > TRIM * np.abs(speech).max())
    speech = speech[sound[0]: sound[-1] + 1]
    speech *= SPEECH_LEVEL / np.sqrt(np.mean(speech[np.abs(speech) > 0.05 * np.abs(speech).max()] ** 2))
    padded = np.concatenate([np.zeros(int(LEAD_SECONDS * SAMPLE_RATE)), speech,
                             np.zeros(int(TAIL_SECONDS * SAMPLE_RATE))])
    rng = np.random.default_rng(zlib.crc32(f"{voice_id}|{rate}|{text}".encode()))
    noise = _noise(voice.noise, padded.size, rng) * SPEECH_LEVEL * 10 ** (-rng.uniform(*SNR_DB) / 20)
    return to_int16_pcm(padded + noise)


def heard(stream: UtteranceStream, pcm: bytes) -> Heard:
    """Every utterance the clip made, joined, as the dialogue would get it."""
    ended = [e for e in stream.feed(pcm) if isinstance(e, UtteranceEnded)]
    last = stream.flush()
    transcripts = [e.transcript for e in ended + ([last] if last else []) if e.transcript.text]
    if len(transcripts) == 1:
        t = transcripts[0]
        return Heard(t.text, t.confidence, t.alternatives)
    return Heard(" ".join(t.text for t in transcripts), min((t.confidence for t in transcripts), default=0.0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--model")
    parser.add_argument("--context", choices=(*CONTEXTS, "both"), default="both")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    kb = load_knowledge()
    match = Matcher(kb).match
    recognizer = build_ears(kb, args.engine, args.model).recognizer
    clips = [(v, r, text, said(v, r, text)) for v in VOICES if available(v) for r in RATES for text in COMMANDS]
    for context in CONTEXTS if args.context == "both" else (args.context,):
        expect, answers = CONTEXTS[context]
        if isinstance(recognizer, HearsAnswers):
            recognizer.expect(answers)
        stream = UtteranceStream(recognizer, turn_policy(0.5, expect, whole_turn(kb)))
        right: Counter[str] = Counter()
        by_voice: Counter[str] = Counter()
        for voice_id, rate, text, pcm in clips:
            words = heard(stream, pcm)
            got = classify(words, expect, match).command
            ok = got == COMMANDS[text]
            right[text] += ok
            by_voice[voice_id] += ok
            if not ok and args.verbose:
                print(f"  miss {voice_id} x{rate} {text!r}: heard {words.text!r}")
        per_command = len(clips) // len(COMMANDS)
        total = sum(right.values())
        print(f"{args.engine}, {context} context: {total}/{len(clips)} = {100 * total / len(clips):.1f}% "
              f"({len(by_voice)} voices x {len(RATES)} rates)")
        print("  by command: " + ", ".join(f"{t} {100 * right[t] / per_command:.0f}%" for t in COMMANDS))
        per_voice = len(clips) // len(by_voice)
        print("  by voice:   " + ", ".join(f"{v} {100 * n / per_voice:.0f}%" for v, n in by_voice.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
