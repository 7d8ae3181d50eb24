"""The command line's options: taken before or after the command, checked against the one
declaration of the settings, contradictions refused, and the small commands (say, voices)."""
import argparse
import os
import subprocess
import sys
import wave

import pytest
from paths import AUDIO, ROOT

from voice.cli import build_parser, main
from voice.cli_options import settings_of
from voice.conversation.commands import command_phrases

CLI = [sys.executable, "-m", "voice"]


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Only the config files a test writes are read."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def cli(*args, stdin=None, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=180, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL, env=env)


def refused(capsys, *argv: str) -> str:
    """The one line `argv` is refused with (exit status 2, nothing on stdout)."""
    try:
        status = main(list(argv))
    except SystemExit as exit:
        status = exit.code
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1, (status, out, err)
    return err.strip()


# --- before or after the command --------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--text", "--mute", "run"], ["run", "--text", "--mute"], ["--text", "run", "--mute"], ["--text", "--mute"],
])
def test_assistant_options_work_before_or_after_run(argv):
    out = cli(*argv, stdin="goodbye\n")
    assert out.returncode == 0, out.stderr
    assert "Goodbye" in out.stdout and "microphone" not in out.stderr + out.stdout


@pytest.mark.parametrize("argv", [
    ["--silence", "0.2", "run"], ["run", "--silence", "0.2"], ["--silence", "0.2"],
    ["--silence", "3.0", "--rate", "120", "run"], ["run", "--rate", "120", "--silence", "3.0"],
])
def test_settings_given_before_or_after_run_reach_the_assistant(argv):
    settings = settings_of(build_parser().parse_args(argv))
    assert settings.silence == float(argv[argv.index("--silence") + 1])
    assert settings.rate == (120 if "--rate" in argv else 160)


def test_global_options_work_before_or_after_any_command(tmp_path):
    (tmp_path / "c.yaml").write_text("rate: 130\n")
    for argv in (["--config", str(tmp_path / "c.yaml"), "say", "hi"], ["say", "hi", "--config", str(tmp_path / "c.yaml")],
                 ["--rate", "130", "say", "hi"], ["say", "--rate", "130", "hi"]):
        assert settings_of(build_parser().parse_args(argv)).rate == 130


# --- errors name where the value came from ----------------------------------------------------

def test_a_bad_option_blames_the_option_not_a_missing_config_file(capsys):
    assert refused(capsys, "--rate", "5", "--text") == \
        "symptom-voice: --rate: must be between 80 and 400 words per minute (got 5)"


def test_a_bad_config_value_blames_file_and_key(capsys, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("volume: 0.05\n")
    assert refused(capsys, "--config", str(path), "--text") == \
        f"symptom-voice: {path}:volume: must be between 0.1 and 1 (got 0.05)"


def test_an_unusable_log_folder_is_one_line(capsys):
    line = refused(capsys, "--text", "--mute", "--log", "/proc/x")
    assert line.startswith("symptom-voice: ") and "/proc/x" in line


# --- contradictions ---------------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--text", "--input", "x.wav"], "--text reads typed lines instead of listening, so --input would be ignored"),
    (["--input", "x.wav", "run", "--text"], "--text reads typed lines instead of listening, so --input"),
    (["--text", "--silence", "1"], "so --silence would be ignored"),
    (["--mute", "--output", "x.wav"], "--mute turns speech off, so --output would be ignored"),
    (["--mute", "--rate", "120"], "--mute turns speech off, so --rate would be ignored"),
    (["--output", "x.wav", "--output-device", "2"], "so --output-device would be ignored"),
    (["--input", "x.wav", "--input-device", "2"], "so --input-device would be ignored"),
])
def test_contradictory_options_are_refused(capsys, argv, message):
    assert message in refused(capsys, *argv)


def test_speech_options_are_refused_when_the_config_file_mutes(capsys, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("mute: true\n")
    assert refused(capsys, "--config", str(path), "--output", "x.wav") == (
        "symptom-voice: the config file turns speech off (mute: true), so --output would be ignored: "
        "add --no-mute to hear it")


@pytest.mark.parametrize("argv", [["--text", "ask", "knee"], ["--kiosk", "say", "hi"], ["--engine", "vosk", "voices"],
                                  ["ask", "--rate", "100", "knee"], ["transcribe", "x.wav", "--mute"]])
def test_an_assistant_option_given_to_another_command_is_refused(capsys, argv):
    option = next(word for word in argv if word in ("--text", "--kiosk", "--engine", "--rate", "--mute"))
    assert f"{option} is an option of the assistant" in refused(capsys, *argv)


def test_mute_alone_means_captions_without_speech_and_needs_no_audio_device(tmp_path):
    """Voice in, captions out: a person who can speak but not hear, or a machine without a speaker."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}
    out = cli("--engine", "pocketsphinx", "--input", str(AUDIO / "clean/c03.wav"), "--mute", env=env)
    assert out.returncode == 0, out.stderr
    assert "You:" in out.stdout and "Assistant:" in out.stdout and "Press Space" not in out.stdout


# --- help -------------------------------------------------------------------------------------

def all_parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from all_parsers(child)


def test_every_option_of_every_command_has_help():
    parsers = list(all_parsers(build_parser()))
    missing = [f"{p.prog} {a.option_strings or a.dest}" for p in parsers
               for a in p._actions if not a.help and not isinstance(a, argparse._SubParsersAction)]
    missing += [f"{p.prog} {c.dest}" for p in parsers for a in p._actions
                if isinstance(a, argparse._SubParsersAction) for c in a._choices_actions if not c.help]
    assert missing == []


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"]])
def test_help_lists_the_spoken_commands(capsys, argv):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    out = capsys.readouterr().out
    assert exit.value.code == 0 and "spoken commands" in out
    assert all(f'"{phrases[0]}"' in out for phrases in command_phrases().values())


# --- say and voices ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "..."])
def test_say_refuses_nothing_to_say(capsys, text):
    assert "nothing to say" in refused(capsys, "say", text)


@pytest.mark.parametrize("argv, message", [
    (["say", "--rate", "5", "hi"], "--rate: must be between 80 and 400 words per minute (got 5)"),
    (["say", "hi", "--volume", "5"], "--volume: must be between 0.1 and 1 (got 5)"),
    (["--rate", "500", "say", "hi"], "--rate: must be between 80 and 400 words per minute (got 500)"),
])
def test_say_refuses_a_voice_out_of_range(capsys, argv, message):
    assert refused(capsys, *argv) == f"symptom-voice: {message}"


def test_say_with_options_before_and_after(tmp_path):
    slow, fast = tmp_path / "slow.wav", tmp_path / "fast.wav"
    assert main(["--rate", "100", "say", "Tell me where it hurts.", "--output", str(slow)]) == 0
    assert main(["say", "--output", str(fast), "Tell me where it hurts.", "--rate", "300"]) == 0
    with wave.open(str(slow)) as a, wave.open(str(fast)) as b:
        assert a.getnframes() > 2 * b.getnframes()


def test_voices_lists_and_filters(capsys):
    assert main(["voices"]) == 0
    every = capsys.readouterr().out.splitlines()
    assert main(["voices", "english"]) == 0
    english = capsys.readouterr().out.splitlines()
    assert len(every) > len(english) > 3 and any(line.startswith("gmw/en-us ") for line in english)
    assert all("english" in line.lower() or "(en" in line for line in english)
    assert "symptom-voice voices" in refused(capsys, "voices", "zzz-no-such-voice")


def test_an_unknown_voice_points_to_the_voices_command(capsys, tmp_path):
    assert "run 'symptom-voice voices'" in refused(capsys, "say", "hi", "--voice", "zzz-no-such-voice",
                                                   "--output", str(tmp_path / "x.wav"))
