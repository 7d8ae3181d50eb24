"""The moments of a session that someone outside it may want to time: the seam the bench measures through.

`run_assistant(..., observer=)` hands one observer to the parts that see each moment happen;
each method is called on the thread where the moment happens, as it happens, and must return
at once. Nothing in the session depends on what an observer does.
"""
from __future__ import annotations

import os
from typing import Protocol

from voice.audio.format import AudioSink, SpeechAudio

# Set in the environment of `symptom-voice`, this makes the process end the moment it is ready to
# listen, with its own exit status (so a run that never got ready cannot pass for one that did):
# the bench's cold start runs the real command line this way.
EXIT_WHEN_READY = "SYMPTOM_VOICE_EXIT_WHEN_READY"
READY_EXIT_STATUS = 3


class SessionObserver(Protocol):
    """Told when the assistant is ready, when a turn ends and is heard, and when speech goes out."""

    def ready(self) -> None:
        """Everything is loaded and the greeting is out: the assistant listens for the first time."""

    def endpoint(self) -> None:
        """The listener decided that the person's turn has ended (before its final decode)."""

    def heard(self) -> None:
        """The turn's transcript is out, with words in it."""

    def playing(self) -> None:
        """A clip of the assistant's speech is handed to the speaker now."""


class Unobserved:
    """The observer when nobody is watching."""

    def ready(self) -> None:
        """Nobody to tell."""

    def endpoint(self) -> None:
        """Nobody to tell."""

    def heard(self) -> None:
        """Nobody to tell."""

    def playing(self) -> None:
        """Nobody to tell."""


class ExitWhenReady(Unobserved):
    """Ends the process the moment the assistant is ready, so whoever started it times start-up alone."""

    def ready(self) -> None:
        os._exit(READY_EXIT_STATUS)  # at once: tidying up would be counted as start-up


def observer_from_environment() -> SessionObserver:
    """`ExitWhenReady` when `EXIT_WHEN_READY` is set, else nobody."""
    return ExitWhenReady() if os.environ.get(EXIT_WHEN_READY) else Unobserved()


class ObservedSink:
    """An `AudioSink` that tells the observer as each clip starts to play."""

    def __init__(self, sink: AudioSink, observer: SessionObserver):
        self._sink = sink
        self._observer = observer

    def play(self, audio: SpeechAudio) -> None:
        self._observer.playing()
        self._sink.play(audio)

    def stop(self) -> None:
        self._sink.stop()

    def close(self) -> None:
        self._sink.close()
