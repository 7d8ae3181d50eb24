"""How often the spoken commands are recognised, across voices and speaking rates, in a quiet room.

    python audio_tests/voice_sets/commands.py [--engine pocketsphinx] [--context anything|question|both]

Each of the ten commands is said by every voice of voice_set.py (both splits; hibari-tts's when
it is installed) at three speaking rates, over a noise floor 30 to 40 dB below the speech, and
goes through the assistant's own path: the endpointer, the recogniser, then the dialogue's
classification. `anything` listens as after an answer (open recognition); `question` as when a
yes/no question is pending, so the recogniser listens for the answers and the commands.

Things that are not commands go the same way, each voice at its own rate: the short replies
below (the ones a narrow recogniser could bend into a command) and, with --not-commands all, the
voice sets' descriptions (each voice says its own split's cases.yaml). Any of them taken for a command is counted as a false command.
"""
from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from voice_set import VOICES, _espeak, _hibari, _noise, available  # noqa: E402

from knowledge.loader import load_knowledge  # noqa: E402
from knowledge.matcher import Matcher  # noqa: E402
from voice.app import build_ears, whole_turn  # noqa: E402
from voice.asr.answers import HearsAnswers  # noqa: E402
from voice.asr.utterances import UtteranceEnded, UtteranceStream  # noqa: E402
from voice.audio.convert import to_int16_pcm  # noqa: E402
from voice.audio.format import SAMPLE_RATE  # noqa: E402
from voice.conversation.commands import Command, find_command  # noqa: E402
from voice.conversation.events import Expect, Heard  # noqa: E402
from voice.conversation.utterance import classify  # noqa: E402
from voice.session.listening import OverSpeech, turn_policy  # noqa: E402

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
# Short replies a person gives in this dialogue that are not commands, some sharing a command's
# words ("more or less", "it hurts more", "not so bad") or sounds ("my shin", "slowly getting worse").
NOT_COMMANDS = (
    "my knee", "my left knee", "it hurts more", "more or less", "the back of my knee", "sometimes",
    "when i walk", "about a week", "worse at night", "on the outside", "both legs", "my calf",
    "it is swollen", "it aches", "when i run", "a sharp pain", "it is better now", "after football",
    "my shin", "it throbs", "i think so", "i do not know", "it started yesterday", "stiff in the morning",
    "not so bad", "slowly getting worse", "going down stairs", "my hip", "it feels loose", "the pain stops",
)
CASES = Path(__file__).resolve().parent  # <split>/cases.yaml
# As the dialogue listens: after an answer, at a yes/no question, and over its own speech.
CONTEXTS = {"anything": (Expect.ANYTHING, (), turn_policy), "question": (Expect.YES_NO, ("yes", "no"), turn_policy),
            "speech": (Expect.ANYTHING, (), lambda silence, expect, complete: OverSpeech(silence))}


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
    parser.add_argument("--context", choices=(*CONTEXTS, "both", "all"), default="both",
                        help="both: anything and question; all: speech too")
    parser.add_argument("--split", choices=("tune", "heldout"), help="only this split's voices")
    parser.add_argument("--not-commands", choices=("none", "short", "all"), default="short",
                        help="things that are not commands to say: none, the short replies, or those and the voice sets' cases")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    args = parser.parse_args(argv)
    kb = load_knowledge()
    match = Matcher(kb).match
    recognizer = build_ears(kb, args.engine, args.model).recognizer
    voices = [v for v in VOICES if available(v) and args.split in (None, VOICES[v].split)]
    clips = [(v, r, text, said(v, r, text)) for v in voices for r in RATES for text in COMMANDS]
    others = [(v, text, said(v, 1.0, text)) for v in voices for text in not_commands(args.not_commands, VOICES[v].split)]
    contexts = {"both": ("anything", "question"), "all": tuple(CONTEXTS)}.get(args.context, (args.context,))
    for context in contexts:
        expect, answers, policy = CONTEXTS[context]
        if isinstance(recognizer, HearsAnswers):
            recognizer.expect(answers)
        stream = UtteranceStream(recognizer, policy(0.5, expect, whole_turn(kb)))
        right: Counter[str] = Counter()
        by_voice: Counter[str] = Counter()
        other_command = 0
        for voice_id, rate, text, pcm in clips:
            words = heard(stream, pcm)
            got = classify(words, expect, match).command
            ok = got == COMMANDS[text]
            right[text] += ok
            by_voice[voice_id] += ok
            other_command += got is not None and not ok
            if not ok and args.verbose:
                print(f"  miss {voice_id} x{rate} {text!r}: heard {words.text!r}")
        per_command = len(clips) // len(COMMANDS)
        total = sum(right.values())
        print(f"{args.engine}, {context} context: {total}/{len(clips)} = {100 * total / len(clips):.1f}% "
              f"({len(by_voice)} voices x {len(RATES)} rates)")
        print(f"  taken for another command: {other_command}/{len(clips)}")
        print("  by command: " + ", ".join(f"{t} {100 * right[t] / per_command:.0f}%" for t in COMMANDS))
        per_voice = len(clips) // len(by_voice)
        print("  by voice:   " + ", ".join(f"{v} {100 * n / per_voice:.0f}%" for v, n in by_voice.items()))
        for split in ("tune", "heldout"):
            n = sum(by_voice[v] for v in by_voice if VOICES[v].split == split)
            of = per_voice * sum(VOICES[v].split == split for v in by_voice)
            if of:
                print(f"  {split}: {n}/{of} = {100 * n / of:.1f}%")
        if others:
            wrong = 0
            for voice_id, text, pcm in others:
                words = heard(stream, pcm)
                got = classify(words, expect, match).command
                if got is not None:
                    wrong += 1
                    print(f"  false command {voice_id} {text!r}: heard {words.text!r} as {got.value}")
            print(f"  not commands taken for commands: {wrong}/{len(others)}")
    return 0


def not_commands(which: str, split: str) -> list[str]:
    """The short replies, and with "all" the cases of the voice's own split, that are not themselves commands."""
    if which == "none":
        return []
    cases = [] if which == "short" else [
        case["say"] for case in yaml.safe_load((CASES / split / "cases.yaml").read_text(encoding="utf-8"))["cases"]]
    return [text for text in (*NOT_COMMANDS, *cases) if find_command(text) is None]


if __name__ == "__main__":
    sys.exit(main())
