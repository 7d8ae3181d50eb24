"""Speak a reply sentence by sentence: the first sentence plays while the rest is synthesised.

Synthesis and playback run on their own threads, so the loop can listen while the assistant
speaks and `stop()` (a key press, or the person's voice) cuts it at once; a synthesis failure
never hides the text: the captions already showed it.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from knowledge.text import pronounce
from voice.audio.format import AudioSink, SpeechAudio
from voice.tts.synthesizer import Synthesizer
from voice.errors import VoiceError

CACHE_ENTRIES = 64  # fixed texts (greeting, prompts, advice) come back often


@dataclass(frozen=True)
class Spoken:
    """How a Say went: completed or cut, how long it played, and when it fell silent
    (`time.monotonic()`; without an echo canceller the microphone's audio until then is the assistant's own)."""

    completed: bool
    seconds: float
    error: str | None = None
    ended_at: float = 0.0
    started: int = 0  # sentences that began to play


class Playback:
    """Speech under way on its own threads; `wait()` gives how it went."""

    def __init__(self, run: "Callable[[], Spoken]"):
        self._result: list[Spoken] = []
        self._thread = threading.Thread(target=lambda: self._result.append(run()), daemon=True)
        self._thread.start()

    def playing(self) -> bool:
        return self._thread.is_alive()

    def wait(self) -> Spoken:
        self._thread.join()
        return self._result[0] if self._result else Spoken(False, 0.0, "speech stopped unexpectedly", time.monotonic())


class Speaker:
    """Synthesiser plus sink, with a small cache keyed by text and voice settings; `pronunciations`
    (from the knowledge pack) say words as captions do not write them ("ACL" -> "A C L")."""

    def __init__(self, synthesizer: Synthesizer, sink: AudioSink, pronunciations: Mapping[str, str] | None = None):
        self.synthesizer = synthesizer
        self.sink = sink
        self.pronunciations = dict(pronunciations or {})
        self._stop = threading.Event()
        self._cache: OrderedDict[tuple, SpeechAudio] = OrderedDict()
        self._playback: Playback | None = None

    def set_voice(self, rate: int, volume: float) -> None:
        self.synthesizer.rate = rate
        self.synthesizer.volume = volume

    def speak(self, sentences: Sequence[str]) -> Spoken:
        """Say `sentences` and return when done or cut."""
        return self.start(sentences).wait()

    def start(self, sentences: Sequence[str]) -> Playback:
        """Begin saying `sentences` and return at once."""
        self._stop.clear()
        self._playback = Playback(lambda: self._speak(tuple(sentences)))
        return self._playback

    def _speak(self, sentences: Sequence[str]) -> Spoken:
        clips: queue.Queue[SpeechAudio | None] = queue.Queue()
        played: dict[str, float] = {"seconds": 0.0, "started": 0}
        failure: list[BaseException] = []
        player = threading.Thread(target=self._play, args=(clips, played, failure), daemon=True)
        player.start()
        error = None
        try:
            for sentence in sentences:
                if self._stop.is_set():
                    break
                clips.put(self._synthesize(sentence))
        except VoiceError as exc:
            error = str(exc)
        finally:
            clips.put(None)
            player.join()
        if failure:
            error = str(failure[0])
        return Spoken(not self._stop.is_set() and error is None, played["seconds"], error, time.monotonic(),
                      int(played["started"]))

    def stop(self) -> None:
        """Cut speech now; safe from any thread."""
        self._stop.set()
        self.sink.stop()

    def close(self) -> None:
        """Cut speech and wait for its threads: a sound device opened while the program exits
        (PortAudio shutting down) crashes the process."""
        self.stop()
        if self._playback is not None:
            self._playback.wait()

    def _synthesize(self, text: str) -> SpeechAudio:
        key = (text, self.synthesizer.rate, round(self.synthesizer.volume, 3), getattr(self.synthesizer, "voice", None))
        audio = self._cache.get(key)
        if audio is None:
            audio = self.synthesizer.synthesize(pronounce(text, self.pronunciations))
            self._cache[key] = audio
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return audio

    def _play(self, clips: "queue.Queue[SpeechAudio | None]", played: dict[str, float],
              failure: list[BaseException]) -> None:
        while (clip := clips.get()) is not None:
            if self._stop.is_set() or failure:
                continue
            played["started"] += 1
            try:
                self.sink.play(clip)
            except VoiceError as exc:
                failure.append(exc)
                continue
            played["seconds"] += clip.duration
