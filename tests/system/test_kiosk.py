"""A kiosk between two people: after the idle timeout the first person's conversation is gone from
the screen, from the dialogue ("tell me more" must not continue it), from the typed history and
from the log. At a terminal (pexpect), typed through a pipe, and from a recording."""
import os
import subprocess
import sys
import time

import numpy as np
import pexpect
import soundfile
from paths import AUDIO, ROOT

from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from knowledge.reply import compose_reply
from voice.conversation.prompts import load_prompts
from voice.session.captions import FORGOTTEN

CLI = [sys.executable, "-m", "voice"]
KIOSK = ["--kiosk", "--mute", "--idle-timeout", "5"]
FIRST = "my kneecap hurts when i climb stairs"
PROMPTS = load_prompts()
KB = load_knowledge()
FIRST_ANSWER = compose_reply(Matcher(KB).match(FIRST), KB)
CLEAR = "\x1b[H\x1b[2J\x1b[3J"


def flat(text: str) -> str:
    """Caption text with its wrapping undone, to look for a sentence."""
    return " ".join(text.split())


def test_at_a_terminal_the_next_person_sees_and_recalls_nothing_of_the_last():
    child = pexpect.spawn(CLI[0], [*CLI[1:], *KIOSK, "--text"], cwd=str(ROOT), encoding="utf-8", timeout=60,
                          env={**os.environ, "TERM": "xterm"}, dimensions=(40, 100))
    child.expect("> ")
    child.sendline(FIRST)
    child.expect("> ")
    assert FIRST_ANSWER.sentences[0].split(",")[0] in child.before
    child.send("and my sh")  # begun, then the person walks away: 5 s idle, cleared within 9 s
    left = time.monotonic()
    child.expect_exact(CLEAR, timeout=9)
    assert time.monotonic() - left < 9
    child.expect("> ")
    assert child.before == ""  # the cleared screen shows nothing but the prompt
    child.send("\x1b[A" + "tell me more\r")  # Up recalls nothing, and the half-typed line is gone too
    child.expect("You: ([^\r\n]*)\r\n")
    assert child.match.group(1) == "tell me more"
    child.expect("> ")
    reply = flat(child.before)
    assert PROMPTS.more_first in reply and FIRST_ANSWER.more[0] not in reply
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()


def test_typed_through_a_pipe_the_next_person_starts_afresh(tmp_path):
    app = subprocess.Popen([*CLI, *KIOSK, "--text", "--log", str(tmp_path)], cwd=ROOT, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    app.stdin.write(FIRST + "\n")
    app.stdin.flush()
    time.sleep(9)
    out, err = app.communicate("tell me more\n", timeout=60)
    assert app.returncode == 0 and err == ""
    first, second = flat(out).split(f"*: {FORGOTTEN}")
    assert FIRST_ANSWER.sentences[0] in first and first.endswith(f"Assistant: {PROMPTS.goodbye} ")
    assert PROMPTS.more_first in second and FIRST_ANSWER.sentences[0] not in second
    logs = sorted(tmp_path.iterdir())
    assert len(logs) == 2
    assert f"You: {FIRST}" in (logs[0] / "transcript.txt").read_text()
    assert (logs[1] / "transcript.txt").read_text().startswith("You: tell me more\n")


def test_from_a_recording_the_next_person_is_greeted_afresh_and_logged_apart(tmp_path):
    """The first person, 9 s of silence, then the next person says "say that again" (the recogniser
    hears the fixtures' "tell me more" as "really mall": typing covers that one)."""
    first, rate = soundfile.read(AUDIO / "clean" / "c03.wav", dtype="int16")
    second, _ = soundfile.read(AUDIO / "clean" / "k02.wav", dtype="int16")
    silence = np.zeros(int(9 * rate), dtype=np.int16)
    recording = tmp_path / "two-people.wav"
    soundfile.write(recording, np.concatenate([first, silence, second, silence[:rate]]), rate)
    logs = tmp_path / "logs"
    done = subprocess.run([*CLI, *KIOSK, "--engine", "pocketsphinx", "--input", str(recording), "--log", str(logs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and done.stderr == ""
    before, after = flat(done.stdout).split(f"*: {FORGOTTEN}")
    assert "Runner's knee" in before and before.endswith(f"Assistant: {PROMPTS.goodbye} ")
    assert "You: say that again" in after and "Assistant: I explain how knee problems" in after
    assert "Runner's knee" not in after
    folders = sorted(logs.iterdir())
    assert [len(list(folder.glob("utterance-*.wav"))) for folder in folders] == [1, 1]
    assert (folders[1] / "utterance-001.txt").read_text().splitlines()[0] == "say that again"
