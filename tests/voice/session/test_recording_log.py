"""`--log DIR`: a private folder per conversation, files never overwritten, failures never end the talk."""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time

import pytest

from paths import AUDIO, ROOT
from voice.asr.recognizer import Alternative, Transcript
from voice.audio.wavfile import load_wav
from voice.errors import VoiceError
from voice.session.listening import Utterance
from voice.session.recording_log import RecordingLog

CLI = [sys.executable, "-m", "voice"]


def mode(path) -> int:
    return path.stat().st_mode & 0o777


def utterance(text: str, samples: int = 1600) -> Utterance:
    return Utterance(Transcript(text), b"\x02\x00" * samples)


def test_two_conversations_started_in_the_same_second_get_their_own_folders(tmp_path):
    now = time.time()
    first, second = RecordingLog.start(tmp_path / "log", now), RecordingLog.start(tmp_path / "log", now)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    assert (first.folder.name, second.folder.name) == (f"session-{stamp}", f"session-{stamp}-2")
    for log in (first, second):
        log.save(utterance("my knee hurts"))
    assert (first.folder / "utterance-001.txt").read_text() == "my knee hurts\nconfidence: 1.00\n"
    assert sorted(p.name for p in second.folder.iterdir()) == ["transcript.txt", "utterance-001.txt",
                                                               "utterance-001.wav"]


def test_what_was_heard_is_kept_with_how_sure_and_the_other_guesses(tmp_path):
    log = RecordingLog.start(tmp_path / "log")
    heard = Transcript("and my calves feels tight too", confidence=0.734,
                       alternatives=(Alternative("and my calf feels tight too", -0.01),
                                     Alternative("and my cars feel tight", 0.3, generic=True)))
    log.save(Utterance(heard, b"\x02\x00" * 1600))
    assert (log.folder / "utterance-001.txt").read_text().splitlines() == [
        "and my calves feels tight too", "confidence: 0.73", "other guess: and my calf feels tight too",
        "other guess (generic model): and my cars feel tight"]


def test_folders_are_0700_and_files_0600(tmp_path):
    log = RecordingLog.start(tmp_path / "new" / "log")
    log.save(utterance("my knee hurts"))
    log.save(utterance("yes", samples=800))
    assert mode(tmp_path / "new" / "log") == 0o700 and mode(log.folder) == 0o700
    files = sorted(log.folder.iterdir())
    assert [p.name for p in files] == ["transcript.txt", "utterance-001.txt", "utterance-001.wav",
                                       "utterance-002.txt", "utterance-002.wav"]
    assert {mode(p) for p in files} == {0o600}
    assert load_wav(log.folder / "utterance-002.wav").pcm == b"\x02\x00" * 800


def test_the_next_person_gets_a_new_folder_made_when_they_first_speak(tmp_path):
    log = RecordingLog.start(tmp_path)
    first = log.folder
    log.caption("You: my knee hurts")
    log.save(utterance("my knee hurts"))
    log.caption("Assistant: Goodbye. Take care.")
    log.next_person()
    assert sorted(tmp_path.iterdir()) == [first]  # nobody came yet: no empty folder
    log.caption("You: tell me more")
    log.save(utterance("tell me more"))
    second = log.folder
    assert sorted(tmp_path.iterdir()) == sorted([first, second]) and second != first
    assert (first / "transcript.txt").read_text() == "You: my knee hurts\nAssistant: Goodbye. Take care.\n"
    assert (second / "transcript.txt").read_text() == "You: tell me more\n"
    assert (second / "utterance-001.txt").read_text().splitlines()[0] == "tell me more"
    assert mode(second) == 0o700 and {mode(p) for p in second.iterdir()} == {0o600}


def test_a_folder_that_cannot_be_made_is_one_line():
    with pytest.raises(VoiceError, match=r"^cannot keep the log in /proc/x: .*; give --log a folder you can write to$"):
        RecordingLog.start("/proc/x")


def test_a_log_that_stops_working_is_reported_once_and_the_talk_goes_on(tmp_path, caplog):
    log = RecordingLog.start(tmp_path)
    shutil.rmtree(log.folder)  # e.g. a removable disk pulled out
    with caplog.at_level(logging.WARNING):
        log.save(utterance("my knee hurts"))
        log.caption("You: my knee hurts")
        log.save(utterance("yes"))
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [f"Stopped saving the log in {log.folder}"]


def test_two_runs_with_the_same_log_folder_keep_both_conversations(tmp_path):
    logs = tmp_path / "logs"
    for run in range(2):
        done = subprocess.run([*CLI, "--engine", "pocketsphinx", "--input", str(AUDIO / "clean" / "c03.wav"),
                               "--output", str(tmp_path / "reply.wav"), "--log", str(logs)],
                              cwd=ROOT, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
        assert done.returncode == 0 and done.stderr == "", done.stderr
    sessions = sorted(logs.iterdir())
    assert len(sessions) == 2
    for session in sessions:
        heard = (session / "utterance-001.txt").read_text().splitlines()[0]
        assert "kneecap" in heard.split()
        assert f"You: {heard}" in (session / "transcript.txt").read_text().splitlines()
        assert load_wav(session / "utterance-001.wav").duration > 1.0
        assert {mode(p) for p in session.iterdir()} == {0o600} and mode(session) == 0o700


def test_log_option_with_an_unusable_folder_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run([*CLI, "--text", "--mute", "--log", str(blocker / "log")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, input="goodbye\n")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"symptom-voice: cannot keep the log in {blocker / 'log'}: Not a directory; "
                                        f"give --log a folder you can write to"]
