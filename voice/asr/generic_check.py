"""A second opinion on each utterance from PocketSphinx's generic English language model.

The domain language model finds the leg words people say, and bends other speech into them: on
132 real laptop recordings it heard a leg word in 54 of 118 other complaints, while the wheel's
generic model did in 1 (and in 5 of the 14 leg complaints, against the domain model's 12). Their
disagreement is the signal understanding uses to keep such speech out of scope, so the generic
model hears the same audio as it streams and its guess travels as an `Alternative` marked `generic`.

It starts decoding at the recogniser's first cepstral-mean refit, with that utterance's own mean
(the mean carried over from earlier utterances costs accuracy), and then keeps pace with the audio,
so at the endpoint only the last chunk is left to decode. Its model (27 MB) is loaded at start-up
(0.3-0.45 s), so a running kiosk's memory does not jump when the first description comes.
"""
from __future__ import annotations

import logging

from pocketsphinx import Decoder

from voice.asr.pocketsphinx_lm.build import bundled_model_dir
from voice.asr.recognizer import Alternative

log = logging.getLogger(__name__)


# One quick search pass: the default second passes (fwdflat, bestpath) ran at the endpoint and
# took 0.29 s median, 0.86 s at worst, on real recordings; without them and with at most 3000 HMMs
# a frame, the end costs 13 ms and the streaming decode a real-time factor of 0.14 instead of 0.37.
SEARCH = {"fwdflat": False, "bestpath": False, "maxhmmpf": 3000}


class GenericCheck:
    """Decodes an utterance with the generic language model, fed the same audio as the recogniser.

    A generic model that cannot be loaded is said once and the check is left out: it is a second
    opinion, and the domain model still hears everything.
    """

    def __init__(self) -> None:
        self._loaded: Decoder | None = None
        self._broken = False
        self._waiting = bytearray()  # audio heard before the utterance's own mean is known
        self._decoding = False
        self._load()

    def accept(self, pcm: bytes) -> None:
        """More audio of the current utterance."""
        if self._decoding:
            self._loaded.process_raw(pcm, False, False)
        elif not self._broken:
            self._waiting += pcm

    def start(self, cmn: str) -> None:
        """Begin decoding with this cepstral mean (PocketSphinx's comma-separated form), once per utterance."""
        if self._decoding or self._load() is None:
            return
        self._loaded.set_cmn(cmn)
        self._loaded.start_utt()
        self._decoding = True
        if self._waiting:
            self._loaded.process_raw(bytes(self._waiting), False, False)
        self._waiting = bytearray()

    def finish(self, cmn: str) -> Alternative | None:
        """The generic model's guess at the utterance (decoded now with `cmn` if it never started)."""
        self.start(cmn)
        if not self._decoding:
            return None
        self._loaded.end_utt()
        self._decoding = False
        hyp = self._loaded.hyp()
        words = [w.split("(", 1)[0] for w in (hyp.hypstr.split() if hyp else ()) if not w.startswith(("<", "["))]
        return Alternative(" ".join(words), float(hyp.score) if hyp else 0.0, generic=True)

    def reset(self) -> None:
        """Drop the current utterance unheard."""
        if self._decoding:
            self._loaded.end_utt()
        self._decoding = False
        self._waiting = bytearray()

    def _load(self) -> Decoder | None:
        if self._loaded is None and not self._broken:
            model = bundled_model_dir()
            try:
                self._loaded = Decoder(hmm=str(model / "en-us"), lm=str(model / "en-us.lm.bin"),
                                       dict=str(model / "cmudict-en-us.dict"), loglevel="FATAL", **SEARCH)
            except (RuntimeError, ValueError) as err:
                self._broken = True
                self._waiting = bytearray()
                log.warning("PocketSphinx could not load its generic model from %s (%s): utterances are "
                            "not checked against it; reinstall pocketsphinx.", model, err)
        return self._loaded
