"""PocketSphinx as a streaming `Recognizer`: the embedded default, with no model download.

It decodes what the endpointer hands it (voice/asr/endpointing.py decides where utterances
start and end). Accuracy hinges on the cepstral mean (CMN). In streaming mode PocketSphinx
subtracts a mean carried over from earlier utterances, which is wrong for a new voice or room:
on the fixtures that alone cost some ten points of word error rate against decoding each file
as a whole. So 0.8 s and 1.6 s into each utterance the decoder's mean is set to that utterance's
own and the audio so far is decoded again: this happens while the person is still speaking (or
early in the trailing silence of a short command), never after the endpoint.
"""
from __future__ import annotations

import itertools
import math
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pocketsphinx import Decoder, NGramModel

from voice.asr.generic_check import GenericCheck
from voice.asr.recognizer import MAX_ALTERNATIVES, Alternative, Transcript, Word
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.asr.pocketsphinx_lm.build import DomainLM, Lexicon, PackSpeech, build_domain_lm, bundled_model_dir
from voice.asr.pocketsphinx_lm.phrases import accent_variants, build_phrase_lm, phrase_words
from voice.errors import VoiceError

# Utterance lengths (pre-roll included) at which the cepstral mean is refitted and the audio so
# far decoded again, while the person still speaks (or early in the trailing silence of a short
# command). Each costs an end_utt and a re-decode of that audio (together about 0.1-0.2 s of CPU);
# a single refit at 1 s scored 0.313 fixture WER, these two 0.309.
CMN_REFIT_SECONDS = (0.8, 1.6)
# Hypotheses read from the N-best list to find MAX_ALTERNATIVES distinct texts: many differ only in
# pronunciation variants or fillers (60 gave 17 to 46 distinct texts on the fixtures, in 2 to 20 ms).
NBEST_SEARCHED = 60
# How many frames PocketSphinx's live CMN weighs the mean it starts an utterance with (CMN_WIN in its cmn_live.c).
CMN_PRIOR_FRAMES = 500


class PocketSphinxRecognizer:
    """Streaming decode with a domain language model, as the `Recognizer` protocol asks."""

    name = "pocketsphinx"

    def __init__(self, lm: DomainLM | None = None, sample_rate: int = SAMPLE_RATE,
                 generic_check: GenericCheck | None = None, flat_pass: bool = True) -> None:
        """`lm=None` uses the generic English model in the wheel (poor for symptoms, but always there).
        `generic_check` also hears each utterance with that generic model, for its guess as an alternative.
        `flat_pass=False` leaves out PocketSphinx's second, flat-lexicon pass over the utterance, done
        at its end: for the narrow recogniser of a few phrases that pass was 75 of its 82 ms at the
        endpoint (median, audio_tests/clean) and a third of its CPU."""
        if sample_rate != SAMPLE_RATE:
            raise VoiceError(f"PocketSphinx needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz; resample the input first.")
        self.lm = lm
        started = time.perf_counter()
        model = bundled_model_dir()
        files = {"hmm": str(model / "en-us")}
        if lm is not None:
            files.update(lm=str(lm.lm_path), dict=str(lm.dict_path))
        try:
            self._decoder = Decoder(**files, fwdflat=flat_pass, loglevel="FATAL")
        except (RuntimeError, ValueError) as err:
            where = lm.lm_path.parent if lm is not None else model
            raise VoiceError(f"PocketSphinx could not load its model from {where}; delete that cache folder or reinstall pocketsphinx.") from err
        self._frame_rate = int(self._decoder.config["frate"])
        self._generic = generic_check
        self._check_wanted = True  # from the next utterance on
        self._checking = False  # in the current utterance
        self.load_time = time.perf_counter() - started
        self._open = False  # an utterance is being decoded
        self._utt_audio = bytearray()  # the current utterance, kept until its last CMN refit
        self._refits: list[int] = []  # byte lengths of _utt_audio at which to refit
        self._accepted = 0  # bytes of the person's audio decoded in the current (or just finished) utterance
        self._fitted: str | None = None  # the cepstral mean set at its last refit
        self._prior: list[float] = []  # the cepstral mean the current decode started with
        self._search: str | None = None  # the phrase search in use; None: the whole language model
        self._wanted: str | None = None  # the one to use from the next utterance on
        self._searches: dict[tuple[str, ...], str] = {}  # phrase sets -> their searches in the decoder

    @classmethod
    def from_phrases(cls, phrases: Iterable[str], cache_dir: Path | None = None,
                     speech: PackSpeech = PackSpeech()) -> "PocketSphinxRecognizer":
        """A recogniser whose language model is built (or taken from the cache) for these phrases and
        the knowledge pack's speech section."""
        return cls(build_domain_lm(phrases, cache_dir, speech=speech), generic_check=GenericCheck())

    def restrict(self, phrases: Sequence[str] | None) -> None:
        """Listen for these phrases (other words are only weakly possible) from the next utterance
        on; None listens with the whole language model again. Ignored without a domain model."""
        if self.lm is None:
            return
        if not phrases:
            self._wanted = None
            return
        key = tuple(phrases)
        if key not in self._searches:  # every listen restricts: the LM's hash and load are done once per set
            path = build_phrase_lm(phrases, self.lm.words, self.lm.lm_path.parent / "phrases")
            name = path.name.split(".")[0]
            if name not in self._searches.values():
                self._add_words(phrase_words(phrases))
                self._add_pronunciations(accent_variants(phrases, self._decoder.lookup_word))
                self._decoder.add_lm(name, NGramModel(self._decoder.config, self._decoder.logmath, str(path)))
            self._searches[key] = name
        self._wanted = self._searches[key]

    def check_generic(self, wanted: bool) -> None:
        """Whether the generic model hears the utterances from the next one on: only open descriptions
        need its check on what the domain model bent into leg words; answers to a question do not."""
        self._check_wanted = wanted

    def accept(self, pcm: bytes) -> None:
        if not self._open:
            if self._wanted != self._search:
                self._decoder.activate_search(self._wanted)
                self._search = self._wanted
            self._open = True
            self._checking = self._generic is not None and self._check_wanted
            self._refits = _refit_bytes()
            self._accepted = 0
            self._fitted = None
            self._restart_decoding(b"")
        self._decode(pcm)
        self._refit_if_due()

    def resume(self, pcm: bytes) -> None:
        """Decoded again in one pass, starting with the cepstral mean fitted to it (see `Adapts`).

        A fresh decode would refit at 0.8 s and 1.6 s again, each decoding the audio so far once
        more: in 10 dB noise, where short pauses between words come and go, resuming cost 0.4 to
        1.4 s of CPU each time and the decode fell seconds behind the speech.
        """
        if self._open or self._fitted is None:
            self.reset()
            self.accept(pcm)
            return
        self._open = True
        self._refits = [at for at in _refit_bytes() if at > self._accepted]
        self._decoder.set_cmn(self._fitted)
        self._restart_decoding(b"")
        if self._checking:
            self._generic.start(self._fitted)
        self._accepted = 0
        self._decode(pcm)
        self._refit_if_due()

    def pad(self, pcm: bytes) -> None:
        """Decoded, but no refit is due on it and it is not kept for one (see `Adapts`)."""
        if not self._open:
            self.accept(pcm)
            return
        self._decoder.process_raw(pcm, False, False)
        if self._checking:
            self._generic.accept(pcm)

    def partial(self) -> str:
        if not self._open:
            return ""
        hyp = self._decoder.hyp()
        return " ".join(_clean(w) for w in hyp.hypstr.split() if _is_word(w)) if hyp else ""

    def finish(self) -> Transcript:
        if not self._open:
            return Transcript("", confidence=0.0, engine=self.name)
        self._close()
        words = tuple(
            Word(_clean(seg.word), seg.start_frame / self._frame_rate, (seg.end_frame + 1) / self._frame_rate,
                 min(max(seg.prob, 0.0), 1.0))
            for seg in self._decoder.seg() or ()
            if _is_word(seg.word)
        )
        confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
        text = " ".join(w.text for w in words)
        generic = self._generic.finish(self._decoder.get_cmn(False)) if self._checking else None
        return Transcript(text, words, confidence, self.name, self._alternatives(text) + ((generic,) if generic else ()))

    def reset(self) -> None:
        if self._open:
            self._close()
        self._fitted = None
        if self._generic is not None:
            self._generic.reset()

    def _add_words(self, words: Iterable[str]) -> None:
        """Give the decoder's dictionary the words it lacks, pronounced as the LM build would."""
        missing = sorted(w for w in words if self._decoder.lookup_word(w) is None)
        if not missing:
            return
        lines, _ = Lexicon.load(bundled_model_dir() / "cmudict-en-us.dict").pronounce(missing)
        pronounced = dict(line.split(" ", 1) for line in lines)
        self._add_pronunciations({word: phones for word, phones in pronounced.items() if "(" not in word})

    def _add_pronunciations(self, pronunciations: dict[str, str]) -> None:
        """Add the ones the dictionary lacks, updating the search once, after the last: updated after
        each, the narrow recogniser's first question (its answers and the commands) took 0.75 s."""
        new = [(word, phones) for word, phones in pronunciations.items() if self._decoder.lookup_word(word) is None]
        for at, (word, phones) in enumerate(new, 1):
            self._decoder.add_word(word, phones, at == len(new))

    def _alternatives(self, best: str) -> tuple[Alternative, ...]:
        """The other texts of the N-best list, likeliest first, scored in natural-log units against its top.

        Word posteriors (the words' confidences) come from the lattice; the N-best list is a separate
        search over it, so its top may differ from the best path's text.
        """
        scores: dict[str, float] = {}
        for hyp in itertools.islice(self._decoder.nbest() or (), NBEST_SEARCHED):
            if hyp is None:  # the binding yields None for a search that found no path (a 0.5 s utterance)
                continue
            text = " ".join(_clean(w) for w in hyp.hypstr.split() if _is_word(w))
            score = math.log(max(hyp.score, sys.float_info.min))  # the binding gives exp(log score)
            if text and score > scores.get(text, -math.inf):
                scores[text] = score
        if not scores:
            return ()
        top = max(scores.values())
        others = sorted((t for t in scores if t != best), key=lambda t: -scores[t])[:MAX_ALTERNATIVES]
        return tuple(Alternative(t, round(scores[t] - top, 4)) for t in others)

    def _close(self) -> None:
        self._decoder.end_utt()
        self._open = False
        self._utt_audio = bytearray()
        self._refits = []

    def _refit_if_due(self) -> None:
        if self._refits and len(self._utt_audio) >= self._refits[0]:
            del self._refits[0]
            self._decoder.end_utt()
            self._set_own_cmn()
            self._fitted = self._decoder.get_cmn(False)
            if self._checking:
                self._generic.start(self._fitted)
            self._restart_decoding(bytes(self._utt_audio))
            if not self._refits:
                self._utt_audio = bytearray()

    def _decode(self, pcm: bytes) -> None:
        if not pcm:
            return
        self._accepted += len(pcm)
        if self._refits:
            self._utt_audio += pcm
        self._decoder.process_raw(pcm, False, False)
        if self._checking:
            self._generic.accept(pcm)

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
        self._decoder.start_utt()
        self._prior = _cmn_of(self._decoder)
        if audio:
            self._decoder.process_raw(audio, False, False)


def _refit_bytes() -> list[int]:
    return [int(s * SAMPLE_RATE) * SAMPLE_WIDTH for s in CMN_REFIT_SECONDS]


def _cmn_of(decoder: Decoder) -> list[float]:
    return [float(x) for x in decoder.get_cmn(False).split(",")]


def _is_word(token: str) -> bool:
    """Fillers such as <s>, <sil>, [NOISE] are not words."""
    return not token.startswith(("<", "["))


def _clean(token: str) -> str:
    """Drop the alternate-pronunciation mark: "the(2)" -> "the"."""
    return token.split("(", 1)[0]
