"""A whole conversation at the virtual microphone with the room echo: the person answers what the captions ask.

Run by hand to talk to the assistant as a person would, with a voice it hears badly or well
(starts its own daemon with the room echo, prints every caption and each reply's delay):

    python tests/support/live_conversation.py VOICE "first words" ["CAPTION PART=>answer" ...]

Each rule answers the assistant's last caption that holds its part (the first rule that fits);
the answer "(silence)" says nothing for 20 s; a caption no rule fits ends the conversation. Example, a voice whose "hip" is misheard:

    python tests/support/live_conversation.py en-us+f3 "my hip aches since i started limping" \\
        "not sure I understood=>my hip aches since i started limping" "Is the pain in=>yes" \\
        "Where does it hurt=>my hip" "Any severe=>no" "anything else=>goodbye"
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from live_scenario import ROOT, Person, Session, SpeakerWatch, Utterance, echoing_room

MAX_TURNS = 12
REPLY_WAIT = 20.0  # seconds for the reply to start
ANSWER_WAIT = 90.0  # seconds for it to end
SILENCE = "(silence)"  # an answer that says nothing
SILENT_WAIT = 20.0  # seconds of saying nothing


def talk(command: list[str], env: dict[str, str], folder: Path, voice: str, first: str,
         rules: list[tuple[str, str]], cwd: Path) -> None:
    """Say `first`, then answer each reply by `rules` until none fits; print what happened."""
    session, person, watch = Session(command, env, cwd), Person(env, folder), SpeakerWatch(env)
    try:
        greeting = watch.first_loud_after(time.monotonic(), 60)
        if greeting is None:
            raise RuntimeError("the assistant never spoke its greeting:\n" + "\n".join(session.lines()))
        watch.quiet_from(greeting, 60, quiet=1.0)
        shown, words = 0, first
        for _ in range(MAX_TURNS):
            if words == SILENCE:  # say nothing: what does it do when nobody answers?
                reply = watch.first_loud_after(time.monotonic(), SILENT_WAIT)
                print(f"PERSON: (silent)  (it spoke again {'never' if reply is None else 'after a while'})")
                ended = reply
            else:
                step = person.say(Utterance.synthesise(words, folder, voice))
                reply = watch.first_loud_after(step.ended, REPLY_WAIT)
                print(f"PERSON: {words}  (reply {'none' if reply is None else f'{reply - step.ended:.2f} s'} after their speech)")
                ended = reply or step.ended
            if ended is not None:
                watch.quiet_from(ended, ANSWER_WAIT, quiet=1.0)
            lines = session.lines()
            print("\n".join("    " + line for line in lines[shown:]))
            shown = len(lines)
            asked = _last_said(lines)
            words = next((answer for part, answer in rules if part in asked), "")
            if not words:
                return
    finally:
        session.stop()
        watch.close()


def _last_said(lines: list[str]) -> str:
    """The assistant's last caption, its wrapped lines joined."""
    starts = [n for n, line in enumerate(lines) if line.startswith("Assistant: ")]
    if not starts:
        return ""
    said = [lines[starts[-1]]]
    said += [line.strip() for line in lines[starts[-1] + 1:] if line.startswith(" ")]
    return " ".join(said)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    voice, first = argv[0], argv[1]
    rules = [tuple(rule.split("=>", 1)) for rule in argv[2:] if "=>" in rule]
    with tempfile.TemporaryDirectory() as scratch, echoing_room(Path(scratch)) as env:
        talk([sys.executable, "-m", "voice", "--engine", "pocketsphinx"], env, Path(scratch), voice, first, rules, ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
