"""Typing to the assistant as a person does: at a terminal (a pseudo-terminal driven by pexpect),
and through pipes, where the output must stay plain text."""
import os
import re
import subprocess
import sys

import pexpect
from paths import ROOT

CLI = [sys.executable, "-m", "voice"]
LEFT, UP = "\x1b[D", "\x1b[A"
CODE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x07\x08\r]")


def terminal(*args: str, columns: int = 100) -> pexpect.spawn:
    return pexpect.spawn(CLI[0], [*CLI[1:], "--text", "--mute", *args], cwd=str(ROOT), encoding="utf-8",
                         timeout=60, env={**os.environ, "TERM": "xterm"}, dimensions=(40, columns))


def finish(child: pexpect.spawn) -> None:
    child.sendline("goodbye")
    child.expect("Goodbye")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_arrow_keys_edit_the_line_and_up_recalls_the_previous_one():
    child = terminal()
    child.expect("> ")
    child.send("my kne hurts" + LEFT * 6 + "e\r")  # a typo mended in the middle of the line
    child.expect("You: ([^\r\n]*)\r\n")
    assert child.match.group(1) == "my knee hurts"
    child.expect("> ")
    child.send(UP + "\r")
    child.expect("You: ([^\r\n]*)\r\n")
    assert child.match.group(1) == "my knee hurts"
    assert "[D" not in CODE.sub("", child.before) and "[A" not in CODE.sub("", child.before)
    child.expect("> ")
    finish(child)


def test_piped_lines_are_read_plainly_and_the_output_has_no_escape_codes():
    for large in ([], ["--large"]):
        done = subprocess.run([*CLI, "--text", "--mute", *large], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, input="my knee hurts\ngoodbye\n")
        assert done.returncode == 0 and done.stderr == ""
        assert "\x1b" not in done.stdout and "You: my knee hurts" in done.stdout and "Goodbye" in done.stdout


def test_large_is_sentence_case_high_contrast_and_what_is_typed_is_shown_large_too():
    child = terminal("--large")
    child.expect("> ")
    greeting = child.before
    assert "\x1b[1;97;40m Assistant: I explain" in greeting and "I EXPLAIN" not in greeting
    assert child.before.endswith("\x1b[1;93;40m ")  # the prompt styles what is typed
    child.send("my knee is red and swollen\r")
    child.expect("\x1b\\[1;93;40m You: my knee is red and swollen")
    child.expect("> ")
    answer = [line for line in CODE.sub("", child.before).splitlines() if line.strip()]
    assert answer and max(map(len, answer)) <= 42 and not any(line.strip().isupper() for line in answer)
    finish(child)


def test_output_into_head_ends_quietly():
    typed = "my knee hurts\n" * 200
    done = subprocess.run(f"{sys.executable} -m voice --text --mute | head -n 2", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, input=typed)
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr == ""
