"""PocketSphinx as a streaming `Recognizer`: the embedded default, with no model download.

Speech is found frame by frame (30 ms) by PocketSphinx's WebRTC-style `Vad`, gated by loudness:
a frame counts as voice only when it is also some dB above an adaptive noise floor. Without the
gate, steady noise at 10 dB SNR looks like speech to the VAD forever, so an utterance only ended
at the maximum length. An utterance starts when most of a short window is voice (as PocketSphinx's
own `Endpointer` would decide) and ends after the configurable trailing silence, timed from the
last run of voiced frames: a pause never ends an utterance whose speech has resumed.

Accuracy hinges on the cepstral mean (CMN). In streaming mode PocketSphinx subtracts a mean
carried over from earlier utterances, which is wrong for a new voice or room: on the fixtures
that alone cost some ten points of word error rate against decoding each file as a whole. So
0.8 s and 1.6 s into each utterance the decoder's mean is set to that utterance's own and the
audio so far is decoded again: this happens while the person is still speaking (or early in the
trailing silence of a short command), never after the endpoint.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder, Vad

from voice.asr.recognizer import Transcript, Word
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.asr.pocketsphinx_lm.build import DomainLM, build_domain_lm, bundled_model_dir
from voice.errors import VoiceError

START_WINDOW = 0.3  # seconds of audio judged together when deciding that speech has started
START_RATIO = 0.5  # share of voiced frames in it that starts an utterance (noisy speech has gaps)
VAD_MODE = Vad.MEDIUM_STRICT
# A voiced frame must be this much louder than the noise floor (speech at 10 dB SNR has vowels
# well above it), and the floor, which follows any quieter frame at once, creeps up this fast
# so that it finds a louder room again.
GATE_DB = 6.0
FLOOR_RISE_DB_PER_SECOND = 2.0
# Consecutive voiced frames that count as speech resuming (one is often a noise click).
VOICED_RUN = 2
# Audio kept while nobody speaks, so an utterance starts with the speech the VAD needed to see.
HISTORY_SECONDS = 1.0
# Background audio decoded before the VAD's speech start: the acoustic model wants silence
# before the first phone, and the VAD's start is often a few ms into the first word.
PRE_ROLL_SECONDS = 0.3
# Utterance lengths (pre-roll included) at which the cepstral mean is refitted and the audio so
# far decoded again, while the person still speaks (or early in the trailing silence of a short
# command). Each costs an end_utt and a re-decode of that audio (together about 0.1-0.2 s of CPU);
# a single refit at 1 s scored 0.313 fixture WER, these two 0.309.
CMN_REFIT_SECONDS = (0.8, 1.6)
# How many frames PocketSphinx's live CMN weighs the mean it starts an utterance with (CMN_WIN in its cmn_live.c).
CMN_PRIOR_FRAMES = 500


class PocketSphinxRecognizer:
    """Streaming decode with a domain language model and endpointing, as the `Recognizer` protocol asks."""

    name = "pocketsphinx"

    def __init__(
        self,
        lm: DomainLM | None = None,
        trailing_silence: float = 0.5,
        max_utterance: float = 20.0,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        """`lm=None` uses the generic English model in the wheel (poor for symptoms, but always there)."""
        if sample_rate != SAMPLE_RATE:
            raise VoiceError(f"PocketSphinx needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz; resample the input first.")
        if max_utterance <= 0:
            raise VoiceError("The maximum utterance length must be positive; pass a number of seconds above 0.")
        self.set_trailing_silence(trailing_silence)
        self.max_utterance = max_utterance
        self.lm = lm
        started = time.perf_counter()
        model = bundled_model_dir()
        files = {"hmm": str(model / "en-us")}
        if lm is not None:
            files.update(lm=str(lm.lm_path), dict=str(lm.dict_path))
        try:
            self._decoder = Decoder(**files, loglevel="FATAL")
        except (RuntimeError, ValueError) as err:
            where = lm.lm_path.parent if lm is not None else model
            raise VoiceError(f"PocketSphinx could not load its model from {where}; delete that cache folder or reinstall pocketsphinx.") from err
        self._frame_rate = int(self._decoder.config["frate"])
        self.load_time = time.perf_counter() - started
        self._restart()

    @classmethod
    def from_phrases(cls, phrases: Iterable[str], cache_dir: Path | None = None, **options: float) -> "PocketSphinxRecognizer":
        """A recogniser whose language model is built (or taken from the cache) for these phrases."""
        return cls(build_domain_lm(phrases, cache_dir), **options)

    def set_trailing_silence(self, seconds: float) -> None:
        """Takes effect from the next frame, even in the middle of an utterance."""
        if seconds <= 0:
            raise VoiceError("The trailing silence must be positive; pass a number of seconds above 0.")
        self.trailing_silence = seconds

    def accept(self, pcm: bytes) -> bool:
        """Stops at the first endpoint: audio after it waits for the next `accept` or `result` call."""
        self._pending += pcm
        return self._run()

    def partial(self) -> str:
        if self._ready is not None:
            return self._ready.text
        if self._utt_start is None:
            return ""
        hyp = self._decoder.hyp()
        return " ".join(_clean(w) for w in hyp.hypstr.split() if _is_word(w)) if hyp else ""

    def result(self) -> Transcript:
        if self._ready is None and not self._run():
            if self._utt_start is not None:
                if self._pending:
                    self._decoder.process_raw(bytes(self._pending), False, False)
                self._finish()
            self._pending.clear()
        transcript = self._ready or Transcript("", confidence=0.0, engine=self.name)
        self._ready = None
        return transcript

    def reset(self) -> None:
        if self._utt_start is not None:
            self._decoder.end_utt()
        self._restart()

    def _restart(self) -> None:
        self._gate = SpeechGate()
        self._frame_bytes = self._gate.frame_bytes
        self._window: deque[bool] = deque(maxlen=round(START_WINDOW * SAMPLE_RATE * SAMPLE_WIDTH / self._frame_bytes))
        self._pending = bytearray()
        self._history = bytearray()
        self._history_start = 0  # sample index of the first byte in _history
        self._clock = 0  # samples seen since the last restart
        self._utt_start: int | None = None
        self._voiced_run = 0
        self._last_voice = 0.0  # seconds; when the current utterance last had voice
        self._utt_audio = bytearray()  # the current utterance, kept until its last CMN refit
        self._refits: list[int] = []  # byte lengths of _utt_audio at which to refit
        self._prior: list[float] = []  # the cepstral mean the current decode started with
        self._ready: Transcript | None = None

    def _run(self) -> bool:
        """Feed whole VAD frames from the pending audio until an utterance ends."""
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            if self._step(frame):
                return True
        return False

    def _step(self, frame: bytes) -> bool:
        voiced = self._gate.voiced(frame)
        self._window.append(voiced)
        self._clock += len(frame) // SAMPLE_WIDTH
        if self._utt_start is None:
            self._history += frame
            if self._speech_in_window():
                self._begin(self._clock - len(self._window) * self._frame_bytes // SAMPLE_WIDTH)
            else:
                self._trim_history()
            return False
        self._decoder.process_raw(frame, False, False)
        self._refit_when_due(frame)
        now = self._clock / SAMPLE_RATE
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        if self._voiced_run >= VOICED_RUN:
            self._last_voice = now
        if now - self._last_voice >= self.trailing_silence:
            self._finish()
            return True
        if self._clock - self._utt_start >= self.max_utterance * SAMPLE_RATE:
            self._finish()
            if self._speech_in_window():
                self._begin(self._clock)
            return True
        return False

    def _speech_in_window(self) -> bool:
        return len(self._window) == self._window.maxlen and sum(self._window) >= START_RATIO * len(self._window)

    def _begin(self, start: int) -> None:
        """Start decoding a pre-roll before sample `start`, catching up on the audio the VAD held back."""
        start = max(start - int(PRE_ROLL_SECONDS * SAMPLE_RATE), self._history_start)
        held_back = bytes(self._history[(start - self._history_start) * SAMPLE_WIDTH:])
        self._restart_decoding(held_back)
        self._refits = [int(s * SAMPLE_RATE) * SAMPLE_WIDTH for s in CMN_REFIT_SECONDS]
        self._utt_start = start
        self._last_voice = self._clock / SAMPLE_RATE
        self._history.clear()
        self._history_start = self._clock

    def _refit_when_due(self, frame: bytes) -> None:
        if not self._refits:
            return
        self._utt_audio += frame
        if len(self._utt_audio) >= self._refits[0]:
            del self._refits[0]
            self._decoder.end_utt()
            self._set_own_cmn()
            self._restart_decoding(bytes(self._utt_audio))
        if not self._refits:
            self._utt_audio = bytearray()

    def _set_own_cmn(self) -> None:
        """Set the cepstral mean of the audio just decoded, worked out from how the running mean moved.

        At the end of an utterance PocketSphinx's live CMN averages the utterance's frames with the
        mean it started from, weighed as CMN_PRIOR_FRAMES frames; undoing that average gives the
        utterance's own mean without any extra pass over the audio.
        """
        frames = len(self._utt_audio) // (SAMPLE_WIDTH * SAMPLE_RATE // self._frame_rate)
        if frames <= 0:
            return
        moved = _cmn_of(self._decoder)
        own = [((CMN_PRIOR_FRAMES + frames) * m - CMN_PRIOR_FRAMES * p) / frames for m, p in zip(moved, self._prior)]
        self._decoder.set_cmn(",".join(f"{x:.4f}" for x in own))

    def _restart_decoding(self, audio: bytes) -> None:
        """Decode `audio` afresh from the start of an utterance, with the cepstral mean set now."""
        self._utt_audio = bytearray(audio)
        self._decoder.start_utt()
        self._prior = _cmn_of(self._decoder)
        if audio:
            self._decoder.process_raw(audio, False, False)

    def _trim_history(self) -> None:
        excess = len(self._history) - int(HISTORY_SECONDS * SAMPLE_RATE) * SAMPLE_WIDTH
        if excess > 0:
            del self._history[:excess]
            self._history_start += excess // SAMPLE_WIDTH

    def _finish(self) -> None:
        self._decoder.end_utt()
        words = tuple(
            Word(_clean(seg.word), seg.start_frame / self._frame_rate, (seg.end_frame + 1) / self._frame_rate,
                 min(max(seg.prob, 0.0), 1.0))
            for seg in self._decoder.seg()
            if _is_word(seg.word)
        )
        confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
        self._ready = Transcript(" ".join(w.text for w in words), words, confidence, self.name)
        self._utt_start = None
        self._history_start = self._clock


def _cmn_of(decoder: Decoder) -> list[float]:
    return [float(x) for x in decoder.get_cmn(False).split(",")]


class SpeechGate:
    """Voice or not, one 30 ms frame at a time: the VAD's verdict, and loud enough above the noise floor."""

    def __init__(self) -> None:
        self._vad = Vad(mode=VAD_MODE)
        self.frame_bytes: int = self._vad.frame_bytes
        self._rise = FLOOR_RISE_DB_PER_SECOND * self._vad.frame_length
        self.floor: float | None = None  # dB; None until the first frame

    def voiced(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        level = 10.0 * float(np.log10(np.mean(samples * samples) + 1.0))
        self.floor = level if self.floor is None or level < self.floor else self.floor + self._rise
        return level >= self.floor + GATE_DB and self._vad.is_speech(frame)


def _is_word(token: str) -> bool:
    """Fillers such as <s>, <sil>, [NOISE] are not words."""
    return not token.startswith(("<", "["))


def _clean(token: str) -> str:
    """Drop the alternate-pronunciation mark: "the(2)" -> "the"."""
    return token.split("(", 1)[0]
