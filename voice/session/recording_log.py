"""`--log DIR`: each conversation's captions and heard audio, private and never overwritten.

What people tell the assistant is health information in their own voice, so each conversation
(each run, and at a kiosk each person) gets its own folder, named by when it started
(`DIR/session-20261129-153000/`, `-2` and on when two start in the same second), readable only by
its owner (0700), and every file in it is created new and owner-only (0600):

    transcript.txt        every caption line, as printed
    utterance-001.wav     the audio of each heard utterance (16 kHz mono)
    utterance-001.txt     what the recogniser heard in it

A file that cannot be written is reported once and the conversation goes on without the log.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from voice.audio.format import SAMPLE_RATE, SpeechAudio
from voice.asr.recognizer import Transcript
from voice.audio.wavfile import WavSink, private_opener
from voice.errors import VoiceError
from voice.session.listening import Utterance

log = logging.getLogger(__name__)

TRANSCRIPT = "transcript.txt"


class RecordingLog:
    """The --log folder's conversations: one private folder for each person.

    At a kiosk `next_person()` closes the current conversation; the next folder is made when the
    next person's first words arrive, so a kiosk nobody uses leaves no empty folders.
    """

    def __init__(self, root: Path, folder: Path):
        self.root = root
        self.folder = folder
        self.transcript = folder / TRANSCRIPT
        self._count = 0
        self._failed = False
        self._next = False

    @classmethod
    def start(cls, root: str | os.PathLike[str], started: float | None = None) -> RecordingLog:
        """Make a new private conversation folder under `root` (created 0700 if missing)."""
        root = Path(root).expanduser()
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder = _new_conversation(root, started)
        except OSError as error:
            raise VoiceError(f"cannot keep the log in {root}: {error.strerror or error}; "
                             f"give --log a folder you can write to") from None
        return cls(root, folder)

    def next_person(self) -> None:
        """Whatever comes next belongs to another person: keep it in a new folder."""
        self._next = True

    def caption(self, line: str) -> None:
        """Add one caption line, as printed, to the transcript."""
        if not self._ready():
            return
        try:
            with self.transcript.open("a", encoding="utf-8") as transcript:
                transcript.write(line + "\n")
        except OSError as error:
            self._stop(error)

    def save(self, utterance: Utterance) -> None:
        """Keep one heard utterance: its audio and what was heard, under the next number."""
        if not self._ready():
            return
        self._count += 1
        stem = self.folder / f"utterance-{self._count:03d}"
        try:
            with WavSink(stem.with_suffix(".wav"), private=True) as sink:
                sink.play(SpeechAudio(utterance.pcm, SAMPLE_RATE))
            with open(stem.with_suffix(".txt"), "x", encoding="utf-8", opener=private_opener) as text:
                text.write(_heard(utterance.transcript))
        except (OSError, VoiceError) as error:
            self._stop(error)

    def _ready(self) -> bool:
        """False once the log failed; after `next_person()`, first makes the new person's folder."""
        if self._next:
            self._next = False
            try:
                self.folder = _new_conversation(self.root, None)
            except OSError as error:
                self._stop(error)
                return False
            self.transcript = self.folder / TRANSCRIPT
            self._count = 0
            self._failed = False
        return not self._failed

    def _stop(self, error: OSError | VoiceError) -> None:
        self._failed = True
        log.warning("Stopped saving the log in %s: %s", self.folder, getattr(error, "strerror", None) or error)


def _heard(transcript: Transcript) -> str:
    """The words on the first line; then how sure the recogniser was and its other guesses, which
    the dialogue also weighs (an "I'm not sure I understood" to well-heard words is explained by them)."""
    guesses = "".join(f"other guess{' (generic model)' if g.generic else ''}: {g.text}\n" for g in transcript.alternatives)
    return f"{transcript.text}\nconfidence: {transcript.confidence:.2f}\n{guesses}"


def _new_conversation(root: Path, started: float | None) -> Path:
    """A new private folder named by the time, with its empty transcript."""
    folder = _new_folder(root, "session-" + time.strftime("%Y%m%d-%H%M%S", time.localtime(started)))
    _create_private(folder / TRANSCRIPT)
    return folder


def _new_folder(root: Path, name: str) -> Path:
    """`root/name`, or `root/name-2`, `-3`...: created here, so no earlier run's files are touched."""
    for attempt in range(1, 1000):
        folder = root / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask; this one must not be
        return folder
    raise FileExistsError(f"too many sessions named {name}")


def _create_private(path: Path) -> None:
    with open(path, "x", opener=private_opener):
        pass
