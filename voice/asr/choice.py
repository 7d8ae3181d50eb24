"""Choose and build the recogniser: Vosk when its model is found, else PocketSphinx from its wheel.

The choice is said out loud in the captions, with how to get Vosk when it is not in use, so a
user always knows which ears the assistant has. With "auto", a Vosk model that cannot be loaded
(a wrong $VOSK_MODEL_PATH, a half-copied folder) is named and left out: the assistant never
fails to start for want of its better recogniser.
"""
from __future__ import annotations

from dataclasses import dataclass

from knowledge.text import spoken_sentences
from voice.asr.pocketsphinx_lm.build import PackSpeech
from voice.asr.answers import AnswerRecognizer
from voice.asr.recognizer import Recognizer
from voice.errors import VoiceError
from voice.asr.vosk_model import find_model


@dataclass(frozen=True)
class Language:
    """What people say to the assistant, for language models and grammars (given by the app's wiring)."""

    domain: tuple[str, ...]  # the knowledge base's phrases and the texts people echo back from it
    commands: tuple[str, ...]  # spoken commands and yes/no answers
    speech: PackSpeech = PackSpeech()  # how people talk about the pack's area

    def words(self) -> list[str]:
        """Every word of the phrases as a recogniser writes it ("can't", "eleven"), for a restricted
        vocabulary: an emergency's words included, whatever the pack is about."""
        return sorted({word for phrase in self.domain + self.commands + self.speech.urgent
                       for sentence in spoken_sentences(phrase) for word in sentence.split()})


@dataclass(frozen=True)
class Ears:
    recognizer: Recognizer
    notice: str  # one line for the captions: which engine, and how to get a better one


def build_recognizer(language: Language, engine: str = "auto", model: str | None = None,
                     restrict_vocabulary: bool = False) -> Ears:
    """The recogniser `engine` names ("auto", "vosk" or "pocketsphinx"); VoiceError if it cannot be had."""
    passed_over = ""
    if engine in ("auto", "vosk"):
        location = find_model(model)
        if location is None and engine == "vosk":
            raise VoiceError("no Vosk model found: run 'symptom-voice model download', or pass --model DIR")
        if location is not None:
            from voice.asr.vosk import VoskRecognizer, load_model

            try:
                loaded = load_model(location.path)
            except VoiceError as error:
                if engine == "vosk":
                    raise
                passed_over = f"{error} "  # auto: say what is wrong with it, and listen all the same
            else:
                vocabulary = language.words() if restrict_vocabulary else None
                open_ears = VoskRecognizer(loaded, vocabulary=vocabulary)
                notice = f"Listening with Vosk ({location.path})."
                if not loaded.supports_grammar:  # a big model: no narrow grammars, but better ears
                    return Ears(open_ears, notice)
                return Ears(AnswerRecognizer(open_ears, VoskRecognizer(loaded), language.commands), notice)
    from voice.asr.pocketsphinx import PocketSphinxRecognizer

    open_ears = PocketSphinxRecognizer.from_phrases(language.domain + language.commands, speech=language.speech)
    recognizer = AnswerRecognizer(open_ears, PocketSphinxRecognizer(open_ears.lm, flat_pass=False), language.commands)
    notice = "Listening with PocketSphinx (built in)."
    if passed_over:
        notice = passed_over + "Meanwhile listening with PocketSphinx (built in)."
    elif engine == "auto":
        notice += " For better recognition run: symptom-voice model download"
    return Ears(recognizer, notice)
