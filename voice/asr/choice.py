"""Choose and build the recogniser: Vosk when its model is found, else PocketSphinx from its wheel.

The choice is said out loud in the captions, with how to get Vosk when it is not in use, so a
user always knows which ears the assistant has.
"""
from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import KnowledgeBase
from voice.conversation.commands import spoken_phrases
from voice.asr.recognizer import Recognizer
from voice.errors import VoiceError
from voice.asr.vosk_model import find_model


@dataclass(frozen=True)
class Ears:
    recognizer: Recognizer
    notice: str  # one line for the captions: which engine, and how to get a better one


def build_recognizer(kb: KnowledgeBase, engine: str = "auto", model: str | None = None,
                     trailing_silence: float = 0.5, restrict_vocabulary: bool = False) -> Ears:
    """The recogniser `engine` names ("auto", "vosk" or "pocketsphinx"); VoiceError if it cannot be had."""
    if engine in ("auto", "vosk"):
        location = find_model(model)
        if location is not None or engine == "vosk":
            from voice.asr.vosk import VoskRecognizer, load_model

            if location is None:
                raise VoiceError("no Vosk model found: run 'symptom-voice model download', or pass --model DIR")
            loaded = load_model(location.path)
            vocabulary = domain_words(kb) if restrict_vocabulary else None
            return Ears(VoskRecognizer(loaded, vocabulary=vocabulary, trailing_silence=trailing_silence),
                        f"Listening with Vosk ({location.path}).")
    from voice.asr.pocketsphinx_lm.build import knowledge_phrases
    from voice.asr.pocketsphinx import PocketSphinxRecognizer

    recognizer = PocketSphinxRecognizer.from_phrases(knowledge_phrases(kb) + spoken_phrases(),
                                                     trailing_silence=trailing_silence)
    notice = "Listening with PocketSphinx (built in)."
    if engine == "auto":
        notice += " For better recognition run: symptom-voice model download"
    return Ears(recognizer, notice)


def domain_words(kb: KnowledgeBase) -> list[str]:
    """Every word of the knowledge base's phrases and of the spoken commands, for a restricted grammar."""
    phrases = [p for group in (kb.topics, kb.locations, kb.warnings) for entry in group for p in entry.phrases]
    return sorted({word for phrase in phrases + spoken_phrases() for word in phrase.lower().split() if word.isalpha()})
