"""`symptom-voice eval SESSIONS.yaml`: whole conversations by voice through the real recognisers.

PocketSphinx hears words, so one clearly spoken warning sign is asserted; the generated Vosk test
model recognises sound, not language, so with it only the mechanics and the JSON are asserted.
"""
import json
import shlex
import subprocess
import sys

from paths import AUDIO, ROOT

CLI = [sys.executable, "-m", "voice"]
# A tune voice of the voice sets (espeak-ng en-us with room noise), as a --tts-command.
VOICE = f"{shlex.quote(sys.executable)} {shlex.quote(str(AUDIO / 'voice_sets' / 'voice_set.py'))} speak us {{text}} {{wav}}"
SESSIONS = """\
version: 1
sessions:
  - id: swollen
    says: "my knee is red and swollen and feels hot"
    truth: {locations: [knee], warnings: [swelling_redness_warmth], topics: []}
  - id: cough
    says: "i have had a cough for three days"
    truth: {out_of_scope: true}
  - id: recorded
    says: "repeat that"
    audio: "%s"
    truth: {locations: [knee], warnings: [], topics: [patellofemoral_pain]}
""" % (AUDIO / "clean" / "k01.wav")
SUMMARY_KEYS = {"sessions", "warning_recall", "warning_false_alarms", "explained", "out_of_scope_accuracy",
                "turns_to_first_explanation_median", "turns_to_first_explanation_p95", "assistant_seconds_median",
                "assistant_seconds_p95", "person_word_error_rate"}
SESSION_KEYS = {"id", "turns", "warnings_advised", "topics_explained", "locations_explained",
                "person_turns_to_first_explanation", "assistant_seconds"}


def cli(*args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=600,
                          stdin=subprocess.DEVNULL)


def sessions_file(tmp_path):
    path = tmp_path / "sessions.yaml"
    path.write_text(SESSIONS)
    return path


def check_shape(data):
    assert set(data) == {"summary", "sessions"}
    assert set(data["summary"]) == SUMMARY_KEYS and data["summary"]["sessions"] == 3
    for session in data["sessions"]:
        assert set(session) == SESSION_KEYS
        turns = session["turns"]
        assert all(set(turn) == {"who", "text", "heard"} for turn in turns)
        assert turns[0]["who"] == "assistant" and turns[0]["text"]  # the greeting
        person = [turn for turn in turns if turn["who"] == "person"]
        assert 1 <= len(person) <= 8
        assert all(turn["heard"] is None for turn in turns if turn["who"] == "assistant")
        assert session["assistant_seconds"] > 0
    return {session["id"]: session for session in data["sessions"]}


def test_sessions_with_pocketsphinx(tmp_path):
    out = cli("eval", "--engine", "pocketsphinx", "--json", "--tts-command", VOICE, str(sessions_file(tmp_path)))
    assert out.returncode == 0, out.stderr
    sessions = check_shape(json.loads(out.stdout))
    swollen = sessions["swollen"]
    assert swollen["turns"][1] == {"who": "person", "text": "my knee is red and swollen and feels hot",
                                   "heard": swollen["turns"][1]["heard"]}
    assert "swelling_redness_warmth" in swollen["warnings_advised"]
    assert swollen["person_turns_to_first_explanation"] == 1
    assert not sessions["cough"]["topics_explained"] and not sessions["cough"]["warnings_advised"]
    assert sessions["recorded"]["turns"][1]["heard"]  # the recording, not the synthesiser, was heard


def test_sessions_with_the_vosk_test_model(tmp_path):
    from vosk_test_model import write_test_model

    model = write_test_model(tmp_path / "model", words=("alpha",))
    out = cli("eval", "--engine", "vosk", "--model", str(model), "--json", "--tts-command", VOICE,
              str(sessions_file(tmp_path)))
    assert out.returncode == 0, out.stderr
    sessions = check_shape(json.loads(out.stdout))
    heard = [turn["heard"] for s in sessions.values() for turn in s["turns"] if turn["who"] == "person"]
    assert heard and all(set(h.split()) == {"alpha"} for h in heard)  # every turn reached libvosk as sound


def test_text_report_and_default_voice(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("version: 1\nsessions:\n  - id: one\n    says: my knee is swollen\n"
                    "    truth: {locations: [knee], warnings: [swelling_redness_warmth]}\n")
    out = cli("eval", "--engine", "pocketsphinx", str(path))
    assert out.returncode == 0, out.stderr
    assert "sessions: 1" in out.stdout and "warning recall:" in out.stdout


def test_bad_voice_commands_and_files_are_one_clear_line(tmp_path):
    path = sessions_file(tmp_path)
    for command, said in (("espeak-ng {text}", "{wav}"), ("no-such-synthesiser {text} {wav}", "was not found"),
                          ("false {text} {wav}", "exit status 1"), ("'unclosed {wav}", "not a valid command")):
        out = cli("eval", "--engine", "pocketsphinx", "--tts-command", command, str(path))
        assert out.returncode == 2 and said in out.stderr, (command, out.stderr)
        assert len(out.stderr.strip().splitlines()) <= 2 and "Traceback" not in out.stderr
    out = cli("eval", "--tts-command", VOICE, "tests/knowledge/cases/typed_cases.yaml")
    assert out.returncode == 2 and "cases file, not sessions" in out.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nsessions:\n  - id: x\n    truth: {}\n")
    out = cli("eval", str(broken))
    assert out.returncode == 2 and "'says'" in out.stderr and "Traceback" not in out.stderr


def test_tts_command_words_are_substituted_without_a_shell(tmp_path):
    marker = tmp_path / "ran"
    script = 'espeak-ng -w "$1" "$0" && touch ' + shlex.quote(str(marker))
    voice = "sh -c " + shlex.quote(script) + " {text} {wav}"
    path = tmp_path / "semi.yaml"
    path.write_text("version: 1\nsessions:\n  - id: semi\n    says: \"my knee; rm -rf nothing\"\n"
                    "    truth: {locations: [knee]}\n")
    out = cli("eval", "--engine", "pocketsphinx", "--json", "--tts-command", voice, str(path))
    assert out.returncode == 0, out.stderr
    assert marker.exists()
    assert json.loads(out.stdout)["sessions"][0]["turns"][1]["text"] == "my knee; rm -rf nothing"
