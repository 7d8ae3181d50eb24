"""A live conversation at the (virtual) microphone, in a room whose speaker leaks into it at -12 dB.

A synthesised person (espeak-ng, a voice the product never uses) says a symptom, "stop" 2.5 s into
the answer, "repeat that" 1 s after the cut, and a new symptom 1 s after that answer ends, while
the speaker's monitor is watched. The assistant sets up the sound server's echo canceller itself.
Timings are printed (pytest -s); the bounds here catch breakage, the figures are in the README.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pexpect
import pytest
from live_scenario import SCENARIO, Person, Session, SpeakerWatch, Utterance, run_scenario
from paths import ROOT

from voice.audio.echo_cancel import EchoCanceller

pytestmark = pytest.mark.audio
CUT_WITHIN = 0.8  # seconds from the end of "stop" to the end of the assistant's speech
ASSISTANT = [sys.executable, "-m", "voice", "--engine", "pocketsphinx"]
HALF_DUPLEX = "*: I can't listen while I speak ("
FULL_DUPLEX = "*: Echo cancelling is on"


# Through the room echo the embedded recogniser hears the one-word "stop" as another short word in
# most runs ("now", "um"; 10 of 12 by hand), which cuts the answer all the same; a run where nothing
# at all was heard for it was seen in 2 of 11 earlier. A second run of the whole scenario keeps that
# from failing CI while a product that never hears it still fails.
ATTEMPTS = 2


def test_a_person_is_heard_over_and_after_the_answers(virtual_audio, tmp_path):
    failures = []
    for attempt in range(ATTEMPTS):
        folder = tmp_path / f"attempt-{attempt + 1}"
        folder.mkdir()
        with virtual_audio.room_echo():
            run = run_scenario(ASSISTANT, {**os.environ, **virtual_audio.client_env}, folder, cwd=ROOT)
        print(f"\nattempt {attempt + 1}:\n" + run.report())
        problems = _problems(run)
        if not problems:
            return
        failures.append("; ".join(problems) + "\n" + run.report())
    pytest.fail("\n\n".join(failures))


def _problems(run) -> list[str]:
    """What went wrong in one run of the scenario (nothing when the person was served)."""
    if FULL_DUPLEX not in "\n".join(line for _, line in run.captions):
        return ["the echo canceller was not used"]
    if len(run.steps) < 4:
        return [f"the scenario stopped after {len(run.steps)} utterance(s)"]
    symptom, stop, repeat, second = run.steps
    problems = []
    if stop.stopped_at is None or stop.stopped_at - stop.ended > CUT_WITHIN:
        problems.append("speech was not cut within 0.8 s of the end of 'stop'")
    heard, strays = _heard_per_step(run)
    problems += [f"heard when the person was silent: {line!r}" for line in strays]
    problems += [f"not heard: {step.said}" for step, words in zip(run.steps, heard) if not words]
    if heard[0] and not {"knee", "leg", "weight"} & set(" ".join(heard[0]).split()):
        problems.append(f"the symptom was heard as {heard[0]}")
    if heard[2] and "repeat" not in " ".join(heard[2]):
        problems.append(f"'repeat that' was heard as {heard[2]}")
    if heard[3] and not {"shin", "walk"} & set(" ".join(heard[3]).split()):
        problems.append(f"the second symptom was heard as {heard[3]}")
    problems += [f"no reply to {step.said!r} within 2 s" for step in (symptom, repeat, second)
                 if step.reply_at is None or step.reply_at - step.ended >= 2.0]
    return problems


def _heard_per_step(run) -> tuple[list[list[str]], list[str]]:
    """The `You:` captions of each utterance: printed after it ended (at its endpoint), at most 3 s
    later. A caption that belongs to no utterance is the assistant's own voice taken for the person's."""
    heard: list[list[str]] = [[] for _ in run.steps]
    strays = []
    for moment, line in run.captions:
        if not line.startswith("You: "):
            continue
        owners = [i for i, step in enumerate(run.steps) if step.ended <= moment <= step.ended + 3.0]
        if owners:
            heard[owners[-1]].append(line[len("You: "):])
        else:
            strays.append(line)
    return heard, strays


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


# --- bad input: the live conversation degrades to the best mode that still works ---------------


def test_a_canceller_that_will_not_load_leaves_half_duplex_that_still_hears_everything(virtual_audio, tmp_path):
    """The sound server refuses the echo canceller (a `pactl` in front of the real one refuses to
    load it): one caption says so, and the person is still heard right after an answer."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "pactl").write_text('#!/bin/sh\n[ "$1" = load-module ] && { echo "Failure: Module initialization failed" >&2;'
                                ' exit 1; }\nexec /usr/bin/pactl "$@"\n')
    (shim / "pactl").chmod(0o755)
    env = {**os.environ, **virtual_audio.client_env, "PATH": f"{shim}:{os.environ['PATH']}"}
    symptom, second = (Utterance.synthesise(text, tmp_path) for text in (SCENARIO[0], SCENARIO[3]))
    watch = SpeakerWatch(env)
    with virtual_audio.room_echo():
        session = Session(ASSISTANT, env, ROOT)
        try:
            greeting = watch.first_loud_after(time.monotonic(), 60)
            watch.quiet_from(greeting, 60, quiet=1.0)
            Person(env, tmp_path).say(symptom)
            answer = watch.first_loud_after(time.monotonic() - 1.0, 15)
            ended = watch.quiet_from(answer, 90, quiet=1.0)
            time.sleep(max(0.0, ended + 0.5 - time.monotonic()))
            Person(env, tmp_path).say(second)
            heard = session.wait_for(lambda lines: any("shin" in line for line in lines if line.startswith("You: ")), 20)
        finally:
            status = session.stop()
            watch.close()
    lines = session.lines()
    notes = [line for line in lines if line.startswith(HALF_DUPLEX)]
    assert len(notes) == 1 and "would not load its echo canceller" in notes[0], lines
    assert heard and status == 130 and not any("Traceback" in line for line in lines), lines
    assert virtual_audio.modules("module-echo-cancel") == []


def test_no_sound_server_is_one_clear_reason(tmp_path):
    """A PulseAudio that is not running: the real pactl finds none, and that is the reason given."""
    empty = tmp_path / "runtime"
    empty.mkdir(mode=0o700)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    environ["XDG_RUNTIME_DIR"] = str(empty)
    canceller = EchoCanceller(run=lambda args: subprocess.run(["pactl", *args], capture_output=True, text=True,
                                                              env=environ, timeout=10), environ={})
    assert canceller.start() == "no PulseAudio or PipeWire sound server is running" and not canceller.active


def test_a_microphone_that_vanishes_while_it_speaks(virtual_audio, tmp_path):
    """The sound server dies during the greeting: captions say so, nothing crashes, and once it is
    back the canceller is loaded again and the person is heard."""
    env = {**os.environ, **virtual_audio.client_env}
    symptom = Utterance.synthesise(SCENARIO[3], tmp_path)
    session = Session(ASSISTANT, env, ROOT)
    try:
        assert session.wait_for(lambda lines: any(line.startswith("Assistant: ") for line in lines), 60)
        time.sleep(1.0)  # the greeting is being spoken
        virtual_audio.stop_daemon()
        assert session.wait_for(lambda lines: any("Still waiting for the microphone" in line for line in lines), 30)
        virtual_audio.start_daemon(rescan_portaudio=False)
        assert session.wait_for(lambda lines: "*: The microphone is working again." in lines, 40), session.lines()
        for _ in range(3):
            time.sleep(4.0)  # pacing only: the apology is being said
            Person(env, tmp_path).say(symptom)
            if session.wait_for(lambda lines: any("shin" in line for line in lines if line.startswith("You: ")), 15):
                break
    finally:
        status = session.stop()
    lines = session.lines()
    assert any("shin" in line for line in lines if line.startswith("You: ")), lines
    modes = [line for line in lines if line.startswith((HALF_DUPLEX, FULL_DUPLEX))]
    assert modes[-1].startswith(FULL_DUPLEX), f"the canceller did not come back: {lines}"
    assert status == 130 and not any("Traceback" in line for line in lines), lines
    assert len(virtual_audio.modules("module-echo-cancel")) == 0
