"""A live conversation at the (virtual) microphone, in a room whose speaker leaks into it at -12 dB.

A synthesised person (espeak-ng, a voice the product never uses) says a symptom, "stop" 2.5 s into
the answer, "repeat that" 1 s after the cut, and a new symptom 1 s after that answer ends, while
the speaker's monitor is watched. The assistant sets up the sound server's echo canceller itself.
Timings are printed (pytest -s); the bounds here catch breakage, the figures are in the README.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import pexpect
import pytest
from live_scenario import SpeakerWatch, run_scenario
from paths import ROOT

pytestmark = pytest.mark.audio
CUT_WITHIN = 0.8  # seconds from the end of "stop" to the end of the assistant's speech
ASSISTANT = [sys.executable, "-m", "voice", "--engine", "pocketsphinx"]


def test_a_person_is_heard_over_and_after_the_answers(virtual_audio, tmp_path):
    with virtual_audio.room_echo():
        run = run_scenario(ASSISTANT, {**os.environ, **virtual_audio.client_env}, tmp_path, cwd=ROOT)
    print("\n" + run.report())
    assert "*: Echo cancelling is on" in "\n".join(line for _, line in run.captions), run.report()
    symptom, stop, repeat, second = run.steps
    assert stop.stopped_at is not None and stop.stopped_at - stop.ended <= CUT_WITHIN, run.report()
    heard = _heard_per_step(run)
    assert all(heard), f"not heard: {[s.said for s, h in zip(run.steps, heard) if not h]}\n{run.report()}"
    assert {"knee", "leg", "weight"} & set(" ".join(heard[0]).split()), run.report()
    assert "repeat" in " ".join(heard[2]) and {"shin", "walk"} & set(" ".join(heard[3]).split()), run.report()
    for step in (symptom, repeat, second):
        assert step.reply_at is not None and step.reply_at - step.ended < 2.0, run.report()


def _heard_per_step(run) -> list[list[str]]:
    """The `You:` captions of each utterance: printed after it ended (at its endpoint), at most 3 s
    later. A caption that belongs to no utterance is the assistant's own voice taken for the person's."""
    heard: list[list[str]] = [[] for _ in run.steps]
    for moment, line in run.captions:
        if not line.startswith("You: "):
            continue
        owners = [i for i, step in enumerate(run.steps) if step.ended <= moment <= step.ended + 3.0]
        assert owners, f"heard when the person was silent: {line!r}\n{run.report()}"
        heard[owners[-1]].append(line[len("You: "):])
    return heard


def test_escape_cuts_the_answer_while_typing(virtual_audio):
    """`--text` with speech on: Escape cuts the spoken answer, and typing goes on."""
    watch = SpeakerWatch({**os.environ, **virtual_audio.client_env})
    child = pexpect.spawn(sys.executable, ["-m", "voice", "--text"], cwd=str(ROOT), encoding="utf-8", timeout=60,
                          env={**os.environ, **virtual_audio.client_env, "TERM": "dumb"}, dimensions=(40, 120))
    try:
        child.expect("> ")
        watch.quiet_from(time.monotonic(), 30, quiet=1.0)
        child.sendline("my knee is swollen and hot after a fall")
        child.expect("Assistant: ")
        talking = watch.first_loud_after(time.monotonic(), 20)
        assert talking is not None, "the answer was never spoken"
        time.sleep(1.5)
        pressed = time.monotonic()
        child.send("\x1b")
        stopped = watch.quiet_from(pressed - 0.5, 20, quiet=1.0)
        child.expect("> ")
        child.sendline("goodbye")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
        watch.close()
    print(f"\nEscape -> speech stopped: {stopped - pressed:.2f} s")
    assert stopped is not None and stopped - pressed < 0.8
    played = np.array(watch.levels)
    assert played.size and played.max() > 0.01
