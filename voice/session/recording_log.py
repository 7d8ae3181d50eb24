"""`--log DIR`: each conversation's captions and heard audio, private and never overwritten.

What people tell the assistant is health information in their own voice, so each run gets its
own folder, named by when it started (`DIR/session-20261129-153000/`, `-2` and on when two start
in the same second), readable only by its owner (0700), and every file in it is created new and
owner-only (0600):

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
from voice.audio.wavfile import WavSink, private_opener
from voice.errors import VoiceError
from voice.session.listening import Utterance

log = logging.getLogger(__name__)

TRANSCRIPT = "transcript.txt"


class RecordingLog:
    """One conversation's folder under the --log directory."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.transcript = folder / TRANSCRIPT
        self._count = 0
        self._failed = False

    @classmethod
    def start(cls, root: str | os.PathLike[str], started: float | None = None) -> RecordingLog:
        """Make a new private conversation folder under `root` (created 0700 if missing)."""
        root = Path(root).expanduser()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder = _new_folder(root, f"session-{stamp}")
            _create_private(folder / TRANSCRIPT)
        except OSError as error:
            raise VoiceError(f"cannot keep the log in {root}: {error.strerror or error}; "
                             f"give --log a folder you can write to") from None
        return cls(folder)

    def save(self, utterance: Utterance) -> None:
        """Keep one heard utterance: its audio and what was heard, under the next number."""
        if self._failed:
            return
        self._count += 1
        stem = self.folder / f"utterance-{self._count:03d}"
        try:
            with WavSink(stem.with_suffix(".wav"), private=True) as sink:
                sink.play(SpeechAudio(utterance.pcm, SAMPLE_RATE))
            with open(stem.with_suffix(".txt"), "x", encoding="utf-8", opener=private_opener) as text:
                text.write(utterance.transcript.text + "\n")
        except (OSError, VoiceError) as error:
            self._failed = True
            log.warning("Stopped saving the log in %s: %s", self.folder, getattr(error, "strerror", None) or error)


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
