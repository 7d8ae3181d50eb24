"""Transcribe a whole WAV file with a streaming recogniser, joining every utterance in it.

Used by `symptom-voice transcribe` and by the evaluation of spoken cases, so both measure the
exact streaming path the assistant uses at the microphone.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from voice.asr.recognizer import Alternative, Recognizer, Transcript
from voice.asr.utterances import UtteranceEnded, UtteranceStream
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.audio.wavfile import WavSource

BLOCK_FRAMES = SAMPLE_RATE // 10


@dataclass(frozen=True)
class FileTranscript:
    transcript: Transcript
    audio_seconds: float
    decode_seconds: float

    @property
    def real_time_factor(self) -> float:
        return self.decode_seconds / self.audio_seconds if self.audio_seconds else 0.0


def transcribe_file(path: Path, recognizer: Recognizer) -> FileTranscript:
    source = WavSource(path)
    stream = UtteranceStream(recognizer)
    recognizer.reset()
    parts: list[Transcript] = []
    fed = 0
    started = time.perf_counter()
    while pcm := source.read(BLOCK_FRAMES):
        parts += [event.transcript for event in stream.feed(pcm) if isinstance(event, UtteranceEnded)]
        fed += len(pcm)
    last = stream.flush()
    if last is not None:
        parts.append(last.transcript)
    elapsed = time.perf_counter() - started
    source.close()
    heard = [p for p in parts if p.text]
    words = tuple(w for p in heard for w in p.words)
    confidence = sum(p.confidence for p in heard) / len(heard) if heard else 0.0
    text = " ".join(p.text for p in heard)
    # Other guesses belong to one utterance; a file of several keeps only the generic model's
    # guesses, which follow the audio utterance by utterance and so join into one.
    alternatives = heard[0].alternatives if len(heard) == 1 else _joined_generic(heard)
    return FileTranscript(Transcript(text, words, confidence, recognizer.name, alternatives),
                          fed / (SAMPLE_WIDTH * SAMPLE_RATE), elapsed)


def _joined_generic(parts: list[Transcript]) -> tuple[Alternative, ...]:
    guesses = [next((a for a in p.alternatives if a.generic), None) for p in parts]
    if not guesses or None in guesses:
        return ()
    return (Alternative(" ".join(g.text for g in guesses if g.text), sum(g.score for g in guesses), generic=True),)
