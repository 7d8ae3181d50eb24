"""What a newcomer meets: set-up with the network blocked, no audio hardware, a wrong model path,
an unwritable cache. Each runs the real command line (and, for set-up, the real Makefile).

The set-up test clones the repository and runs the Makefile's speech-model step in the clone with
the test run's own venv (`BIN=`), rather than a second `make setup` with a fresh venv: that would
download and install every Python package again (about a minute, and a registry the test cannot
block without also blocking pip). The model step and the assistant are what the network decides.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paths import AUDIO, ROOT

VENV_BIN = Path(sys.executable).parent
GREETING = ("Assistant: I explain how knee problems can cause pain in the leg: tell me where it hurts and what "
            "it feels like.")
NO_AUDIO_NOTE = ("*: No microphone and no speaker, so type what you would say and press Enter, and read my replies "
                 "here. Why: no microphone (input device) found: connect one and check the sound server "
                 "(PulseAudio/PipeWire) is running.")
POCKETSPHINX = "*: Listening with PocketSphinx (built in). For better recognition run: symptom-voice model download"


def lines(stdout: str) -> list[str]:
    """Caption lines with wrapped continuations joined and the keyboard prompt removed."""
    joined: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("  ") and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line.removeprefix("> "))
    return joined


def no_audio(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No sound server to be found, and a home of its own (no cached models)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent",
            **extra}


def offline() -> list[str]:
    """A prefix that runs a command in a network namespace of its own (loopback only, and down), where
    the machine allows it; the network guard on PYTHONPATH refuses outside connections either way."""
    try:
        usable = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        usable = False
    return ["unshare", "--net"] if usable else []


def assistant(*args: str, env: dict[str, str], cwd: Path = ROOT, stdin: str = "",
              prefix: list[str] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, str(VENV_BIN / "symptom-voice"), *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=240)


# --- no audio hardware --------------------------------------------------------------------------

def test_no_microphone_or_speaker_falls_back_to_typing_and_printing(tmp_path):
    run = assistant(env=no_audio(tmp_path), stdin="my knee hurts when I climb stairs\ngoodbye\n")
    assert run.returncode == 0 and run.stderr == ""
    said = lines(run.stdout)
    assert said[:3] == [NO_AUDIO_NOTE, GREETING, "You: my knee hurts when I climb stairs"]
    assert said[3].startswith("Assistant: Runner's knee")
    assert sum(line.startswith("*: No microphone") for line in said) == 1


def test_keyboard_mode_without_a_speaker_prints_instead_of_failing(tmp_path):
    run = assistant("--text", env=no_audio(tmp_path), stdin="goodbye\n")
    assert run.returncode == 0 and run.stderr == ""
    assert lines(run.stdout)[:2] == [
        "*: No speaker, so read my replies here. Why: no speaker (output device) found: connect one and check the "
        "sound server (PulseAudio/PipeWire) is running.", GREETING]


def test_a_microphone_asked_for_by_name_must_be_there(tmp_path):
    run = assistant("--input-device", "USB", env=no_audio(tmp_path))
    assert run.returncode == 2
    assert run.stderr.splitlines() == ["symptom-voice: no microphone (input device) found: connect one and check "
                                       "the sound server (PulseAudio/PipeWire) is running"]


def test_devices_says_when_there_are_none(tmp_path):
    run = assistant("devices", env=no_audio(tmp_path))
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.splitlines() == [
        "No microphone and no speaker found: connect one and check the sound server (PulseAudio or PipeWire) is "
        "running. Meanwhile the assistant can be typed to (--text) and print its replies."]


# --- the recogniser's files -----------------------------------------------------------------------

def heard_from_recording(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return assistant("--input", str(AUDIO / "clean" / "c03.wav"), "--output", str(tmp_path / "reply.wav"), env=env)


def test_a_model_path_that_does_not_exist_leaves_the_assistant_on_pocketsphinx(tmp_path):
    missing = tmp_path / "nonexist"
    run = heard_from_recording(tmp_path, no_audio(tmp_path, VOSK_MODEL_PATH=str(missing)))
    assert run.returncode == 0 and run.stderr == ""
    said = lines(run.stdout)
    unwrapped = said[0].replace(" ", "")  # captions wrap long paths at their hyphens
    assert unwrapped == (f"*: Vosk model folder {missing} does not exist: download vosk-model-small-en-us-0.15 from "
                         f"alphacephei.com/vosk/models and unzip it into ~/.cache/vosk, or pass --model DIR. "
                         f"Meanwhile listening with PocketSphinx (built in).").replace(" ", "")
    assert any(line.startswith("You: ") and "kneecap" in line for line in said)


def test_an_unwritable_cache_is_replaced_by_a_private_temporary_one(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    run = heard_from_recording(tmp_path, no_audio(tmp_path, XDG_CACHE_HOME=str(blocker / "cache")))
    assert run.returncode == 0
    (note,) = run.stderr.splitlines()
    assert note.startswith(f"Cannot write the speech model cache {blocker / 'cache' / 'symptom-voice' / 'pocketsphinx'} "
                           f"(Not a directory): building it in ")
    temporary = Path(note.split("building it in ")[1].split(" for this run")[0])
    assert not temporary.exists()  # removed when the assistant ended
    assert any(line.startswith("You: ") and "kneecap" in line for line in lines(run.stdout))


# --- set-up in a clean clone with the network blocked ---------------------------------------------

@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("newcomer") / "symptom-voice"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(path)], check=True, timeout=120)
    return path


def make(clone: Path, tmp_path: Path, *targets: str, env: dict[str, str], dry_run: bool = False,
         prefix: list[str] = ()) -> subprocess.CompletedProcess:
    """The clone's Makefile with this test run's venv, which it must take as it is (`-o`)."""
    return subprocess.run([*prefix, "make", "--no-print-directory", *(["-n"] if dry_run else []), "-C", str(clone),
                           "-o", str(VENV_BIN / "symptom-voice"), f"VENV={tmp_path / 'venv'}", f"BIN={VENV_BIN}",
                           *targets],
                          env=env, capture_output=True, text=True, timeout=120)


def test_setup_without_network_fails_fast_and_the_assistant_starts_on_pocketsphinx(clone, tmp_path):
    env = no_audio(tmp_path)
    blocked = offline()
    (tmp_path / "venv").mkdir()
    started = time.monotonic()
    step = make(clone, tmp_path, str(tmp_path / "venv" / "speech-model-tried"), env=env, prefix=blocked)
    elapsed = time.monotonic() - started
    assert step.returncode == 0, step.stderr
    assert elapsed < 15, elapsed  # the connect timeout is 5 s; a name that cannot be looked up fails at once
    assert step.stdout.splitlines() == [
        "Installing the Vosk English speech model (about 40 MB, checksum verified; the only download)",
        "Carrying on without it: the assistant listens with PocketSphinx (built in). To try again later: "
        "make speech-model"]
    (error,) = step.stderr.splitlines()
    assert error.startswith("symptom-voice: Cannot reach alphacephei.com (")
    assert error.endswith("): check your internet connection, or fetch https://alphacephei.com/vosk/models/"
                          "vosk-model-small-en-us-0.15.zip on another computer and install that copy with "
                          "`symptom-voice model download --url FILE.zip`.")
    assert not (tmp_path / "home" / ".cache" / "vosk").exists()
    assert (tmp_path / "venv" / "speech-model-tried").exists()  # tried once: `make run` does not wait again

    typed = assistant(env=env, cwd=clone, prefix=blocked, stdin="my knee hurts when I climb stairs\ngoodbye\n")
    assert typed.returncode == 0 and lines(typed.stdout)[:2] == [NO_AUDIO_NOTE, GREETING]
    spoken = assistant("--input", "audio_tests/clean/c03.wav", "--output", str(tmp_path / "reply.wav"), env=env,
                       cwd=clone, prefix=blocked)
    assert spoken.returncode == 0 and lines(spoken.stdout)[0] == POCKETSPHINX


def test_make_test_never_downloads_and_make_run_sets_up_the_model(clone, tmp_path):
    env = no_audio(tmp_path)
    test_plan = make(clone, tmp_path, "test", env=env, dry_run=True)
    run_plan = make(clone, tmp_path, "run", env=env, dry_run=True)
    assert test_plan.returncode == 0 and run_plan.returncode == 0
    assert "model download" not in test_plan.stdout and "pytest" in test_plan.stdout
    assert "symptom-voice model download" in run_plan.stdout
