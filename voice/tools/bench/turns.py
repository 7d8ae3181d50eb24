"""One fixture through the real assistant (`run_assistant`), timed through its observer.

The fixture arrives as a microphone would deliver it: in real time from shortly before the
moment that matters, so whatever the assistant does while the person is silent (decoding,
matching, synthesising ahead) overlaps that silence exactly as it would at a kiosk. Speech goes
to a sink that plays nothing and returns at once. Each turn is a fresh session, as a new person
at the kiosk is: the first reply to a description is what is timed.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from voice.app import Mode, run_assistant
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH, SpeechAudio
from voice.settings import Settings
from voice.tools.bench.fixtures import Fixture

BYTES_PER_SECOND = SAMPLE_RATE * SAMPLE_WIDTH


@dataclass(frozen=True)
class Turn:
    """What one fixture's turn showed, in seconds; None where that moment never came."""

    fixture: str
    cut_off: bool  # the turn ended before the person's last word (inside the pause, for a paused fixture)
    endpoint_delay: float | None = None  # true end of speech to the end of the turn
    final_decode: float | None = None  # end of the turn to its transcript
    response_latency: float | None = None  # end of the turn to the first sample of the reply
    speech_end_to_audio: float | None = None  # true end of speech to the first sample of the reply


def run_turn(fixture: Fixture, settings: Settings) -> Turn:
    """Play `fixture` to a new session of the assistant until its first reply starts (or the audio ends)."""
    moments = Moments()
    # A paused fixture has shown whether it was cut off once its speech is over: no need to wait for the reply.
    stop_at = fixture.speech_end if fixture.pause else None
    source = PacedSource(fixture, done=moments.replied, stop_at=stop_at)
    with open(os.devnull, "w", encoding="utf-8") as quiet, contextlib.redirect_stdout(quiet):
        run_assistant(settings, Mode(), source=source, sink=SilentSink(), observer=moments)
    return moments.turn(fixture, source.wall_time(fixture.speech_end), source.arrivals)


class Moments:
    """A `SessionObserver` that notes when each moment happened (perf_counter seconds)."""

    def __init__(self) -> None:
        self._endpoints: list[float] = []
        self._heard: list[float] = []
        self._playing: list[float] = []
        self._lock = threading.Lock()

    def ready(self) -> None:
        """The session's start-up is timed by the cold start, in a process of its own."""

    def endpoint(self) -> None:
        self._note(self._endpoints)

    def heard(self) -> None:
        self._note(self._heard)

    def playing(self) -> None:
        self._note(self._playing)

    def replied(self) -> bool:
        """The first reply to words heard has started."""
        with self._lock:
            return bool(self._heard) and any(t >= self._heard[0] for t in self._playing)

    def turn(self, fixture: Fixture, speech_end: float | None, arrivals: list[float]) -> Turn:
        """The figures of the first heard turn, timed from the true end of speech at `speech_end`.

        The turn ends when the audio that ended it arrived: the last block the source delivered
        before the endpoint was noted, so the recogniser's work on that block counts as response.
        """
        with self._lock:
            heard = self._heard[0] if self._heard else None
            noted = max((t for t in self._endpoints if heard is not None and t <= heard), default=None)
            audio = min((t for t in self._playing if heard is not None and t >= heard), default=None)
        ended = max((t for t in arrivals if noted is not None and t <= noted), default=None)
        if ended is None or heard is None:
            return Turn(fixture.name, cut_off=False)  # no endpoint: only the end of the audio ended the turn
        if speech_end is None:  # the turn ended before the audio even had to come in real time
            return Turn(fixture.name, cut_off=True)
        return Turn(fixture.name, ended < speech_end, ended - speech_end, heard - ended,
                    None if audio is None else audio - ended, None if audio is None else audio - speech_end)

    def _note(self, moments: list[float]) -> None:
        now = time.perf_counter()
        with self._lock:
            moments.append(now)


class PacedSource:
    """The fixture's audio as an `AudioSource`: after `fixture.pace_from`, no faster than real time,
    and a reader that falls behind is told what waits (`queued_frames`), as by the microphone.

    A read returns once the last sample it holds would have been captured, as a microphone's
    does. The source ends when `done()` says so, at `stop_at` seconds, or at the end of the audio.
    """

    def __init__(self, fixture: Fixture, done: Callable[[], bool], stop_at: float | None = None,
                 clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep):
        self._pcm = fixture.pcm
        self._pace_from = fixture.pace_from
        self._stop_at = len(fixture.pcm) if stop_at is None else int(stop_at * SAMPLE_RATE) * SAMPLE_WIDTH
        self._done = done
        self._clock = clock
        self._sleep = sleep
        self._offset = 0
        self._origin: float | None = None  # the clock reading at which audio time 0 would have been captured
        self.arrivals: list[float] = []  # clock readings at which each block was delivered

    def read(self, frames: int) -> bytes:
        if self._done() or self._offset >= self._stop_at:
            return b""
        chunk = self._pcm[self._offset:self._offset + frames * SAMPLE_WIDTH]
        end = (self._offset + len(chunk)) / BYTES_PER_SECOND
        if chunk and end > self._pace_from:
            if self._origin is None:
                self._origin = self._clock() - self._offset / BYTES_PER_SECOND
            wait = self._origin + end - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._offset += len(chunk)
        self.arrivals.append(self._clock())
        return chunk

    def queued_frames(self) -> int:
        """Frames whose capture time has passed and that were not yet read, as a microphone tells a
        listener that fell behind (it then takes them at once)."""
        if self._origin is None:
            return 0
        captured = min(round((self._clock() - self._origin) * SAMPLE_RATE) * SAMPLE_WIDTH, self._stop_at)
        return max(0, captured - self._offset) // SAMPLE_WIDTH

    def wall_time(self, seconds: float) -> float | None:
        """The clock reading at which the audio `seconds` in was captured (None if never reached in real time)."""
        return None if self._origin is None else self._origin + seconds

    def close(self) -> None:
        """Nothing to release."""


class SilentSink:
    """An `AudioSink` that plays nothing: `play` returns at once."""

    def play(self, audio: SpeechAudio) -> None:
        """Nothing to play: the observer has already noted the moment."""

    def stop(self) -> None:
        """Nothing is playing."""

    def close(self) -> None:
        """Nothing to release."""
