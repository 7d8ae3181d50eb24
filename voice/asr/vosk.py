"""Streaming speech recognition with Vosk (libvosk), behind the Recognizer protocol.

The endpointer (endpointing.py) decides where utterances end. libvosk still cuts the audio it
is given into segments by its own rules (conf/model.conf, which vosk 0.3.45 cannot change at
run time), so a long pause inside an utterance closes a segment: this module joins them.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from voice.asr.recognizer import MAX_ALTERNATIVES, Transcript
from voice.asr.vosk_results import Guess, parse_segment, partial_text, transcript
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.errors import VoiceError
from voice.asr.vosk_model import check_model_dir

UNKNOWN_WORD = "[unk]"
REDOWNLOAD_HINT = "its files may be damaged; download and unzip the model again"


@dataclass(frozen=True)
class VoskModel:
    """A loaded model; load it once and share it between recognisers."""

    path: Path
    model: Any = field(repr=False)
    load_time: float
    sample_rate: int
    supports_grammar: bool


def load_model(path: Path | str) -> VoskModel:
    """Check the folder, then load it with libvosk (quietly), timing the load in seconds."""
    path = Path(path)
    check_model_dir(path)
    vosk = _vosk()
    started = time.perf_counter()
    try:
        model = vosk.Model(str(path))
    except Exception as exc:
        raise VoiceError(f"Vosk could not load the model in {path} ({exc}): {REDOWNLOAD_HINT}.") from exc
    graph = path / "graph"
    return VoskModel(
        path=path,
        model=model,
        load_time=time.perf_counter() - started,
        sample_rate=model_sample_rate(path),
        supports_grammar=(graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file(),
    )


def model_sample_rate(path: Path) -> int:
    """The audio rate the model was trained on, from conf/mfcc.conf (Kaldi's default is 16 kHz)."""
    found = re.search(r"--sample-frequency=(\d+)", (Path(path) / "conf" / "mfcc.conf").read_text(errors="replace"))
    return int(found.group(1)) if found else SAMPLE_RATE


class VoskRecognizer:
    """Vosk behind the Recognizer protocol, with word times and confidences.

    Word times are seconds from the utterance's first audio (the first `accept` after
    `finish` or `reset`).
    """

    name = "vosk"

    def __init__(self, model: VoskModel | Path | str, sample_rate: int = SAMPLE_RATE,
                 vocabulary: Sequence[str] | None = None) -> None:
        self.model = model if isinstance(model, VoskModel) else load_model(model)
        if sample_rate < self.model.sample_rate:
            raise VoiceError(f"Vosk model {self.model.path.name} needs audio at {self.model.sample_rate} Hz "
                             f"or more, not {sample_rate} Hz: record at {self.model.sample_rate} Hz.")
        self.sample_rate = sample_rate
        self._fed = 0  # samples given to libvosk since this object was made
        self.set_vocabulary(vocabulary)

    @property
    def load_time(self) -> float:
        """Seconds libvosk took to load the model."""
        return self.model.load_time

    @property
    def vocabulary(self) -> list[str] | None:
        """The words recognition is restricted to, or None when it is not restricted."""
        return self._grammar

    def set_vocabulary(self, words: Sequence[str] | None) -> None:
        """Restrict recognition to `words` or phrases (plus "[unk]"), or lift the restriction with None.

        Phrases with a word the model does not know are dropped (if none is left, nothing is
        restricted); on a model without runtime grammars (no graph/HCLr.fst) the restriction is
        ignored. Drops the current utterance.
        """
        self._wanted = words
        grammar = self._known(words) if words is not None and self.model.supports_grammar else []
        vosk = _vosk()
        try:
            if grammar:
                recognizer = vosk.KaldiRecognizer(self.model.model, self.sample_rate, json.dumps(grammar))
            else:
                recognizer = vosk.KaldiRecognizer(self.model.model, self.sample_rate)
        except Exception as exc:
            raise VoiceError(f"Vosk could not start recognising with {self.model.path} ({exc}): "
                             f"{REDOWNLOAD_HINT}.") from exc
        recognizer.SetWords(True)
        recognizer.SetMaxAlternatives(MAX_ALTERNATIVES + 1)  # the best one, then the others
        self._grammar = grammar or None
        self._vocabulary = words
        self._recognizer = recognizer
        self._origin = self._now()  # libvosk counts time from when its recogniser was made
        self._start_utterance()

    def restrict(self, phrases: Sequence[str] | None) -> None:
        """`set_vocabulary` from the next utterance on, so none is cut short (libvosk cannot change
        its grammar in the middle of one)."""
        self._wanted = list(phrases) if phrases else None

    def accept(self, pcm: bytes) -> None:
        """Feed int16 mono PCM at `sample_rate`."""
        if self._started is None:
            if self._wanted != self._vocabulary:
                self.set_vocabulary(self._wanted)
            self._started = self._now()
        try:
            segment_ended = self._recognizer.AcceptWaveform(pcm)
        except Exception as exc:
            raise VoiceError(f"Vosk could not decode the audio ({exc}): feed it 16-bit mono PCM "
                             f"at {self.sample_rate} Hz.") from exc
        self._fed += len(pcm) // SAMPLE_WIDTH
        if segment_ended:
            self._segments.append(parse_segment(self._recognizer.Result(), self._origin))

    def partial(self) -> str:
        pending = partial_text(self._recognizer.PartialResult())
        return " ".join([guesses[0].text for guesses in self._segments if guesses] + ([pending] if pending else []))

    def finish(self) -> Transcript:
        """Close the utterance: everything libvosk still holds joins the closed segments."""
        self._segments.append(parse_segment(self._recognizer.FinalResult(), self._origin))
        start = self._now() if self._started is None else self._started
        heard = transcript(self._segments, start, self.name)
        self._start_utterance()
        return heard

    def reset(self) -> None:
        self._recognizer.FinalResult()  # libvosk's Reset() keeps a word that is still being decoded
        self._start_utterance()

    def _start_utterance(self) -> None:
        self._segments: list[list[Guess]] = []  # each closed segment's guesses, on the stream clock
        self._started: float | None = None  # stream time of the utterance's first audio

    def _known(self, phrases: Sequence[str]) -> list[str]:
        wanted = dict.fromkeys(" ".join(p.lower().split()) for p in [*phrases, UNKNOWN_WORD] if p.strip())
        return [phrase for phrase in wanted
                if all(self.model.model.vosk_model_find_word(word) != -1 for word in phrase.split())]

    def _now(self) -> float:
        return self._fed / self.sample_rate


def _vosk() -> Any:
    """The vosk module, with libvosk's log lines silenced (errors still reach VoiceError)."""
    try:
        import vosk
    except (ImportError, OSError) as exc:
        raise VoiceError(f"Vosk is not installed ({exc}): run pip install vosk.") from exc
    vosk.SetLogLevel(-1)
    return vosk

