"""A narrow language model for the few phrases a question expects (its answers and the commands).

The phrases carry nearly all of the model; every other word of the dictionary is kept as a weak
unigram, so speech that is none of them comes out as loose words (which the caller rejects)
instead of being forced into the nearest phrase. Measured on spoken commands and descriptions
(tune voices, see audio_tests/voice_sets/commands.py): a closed vocabulary or a strict grammar
turned 6 to 17% of non-answers ("it hurts more") into commands, the weak unigrams none.
Built in about 0.2 s and cached by a hash of its inputs beside the domain model it extends (in the
same folder, so a temporary one when the cache cannot be written).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from voice.asr.pocketsphinx_lm.build import write_lm
from voice.errors import VoiceError

# Pronunciations cmudict (American English) lacks of the words people answer questions with, as
# other accents say them: Scottish and northern English "no" is a pure [o:]. Given to the narrow
# recogniser only, which hears the answers: in the tune sessions (audio_tests/voice_sets) the
# Scottish voice's "no" was heard "sole" 12 times of 12, with this 1 (the other tune voices' the
# same). In the open recogniser as well, the American voice's "and now it looks out of shape" came
# out "and no it's looks ...", a flipped word to ask about.
ACCENT_PHONES = {"no": "N AO"}
PHRASE_REPEATS = 20  # each phrase's count in the corpus
OTHER_WORD_COUNT = 1  # each other word's count: present, but far less likely than any phrase
DISCOUNT_MASS = 0.5  # ArpaBoLM's default: the mass each context keeps for words it has not seen


def phrase_words(phrases: Iterable[str]) -> set[str]:
    return {word for phrase in phrases for word in phrase.lower().split()}


def accent_variants(phrases: Iterable[str]) -> dict[str, str]:
    """The phrases' words that other accents say otherwise (ACCENT_PHONES), named as the
    dictionary names a word's other pronunciations ("no(9)")."""
    return {f"{word}(9)": ACCENT_PHONES[word] for word in sorted(phrase_words(phrases) & ACCENT_PHONES.keys())}


def build_phrase_lm(phrases: Sequence[str], other_words: Iterable[str], folder: Path) -> Path:
    """The binary LM for `phrases` (lower-case words), built in `folder` or taken from it."""
    sentences = sorted({" ".join(p.lower().split()) for p in phrases if p.strip()})
    vocabulary = sorted(set(other_words) | phrase_words(sentences))
    key = hashlib.sha256("\n".join([*sentences, "--", *vocabulary]).encode()
                         + Path(__file__).read_bytes()).hexdigest()[:16]
    path = folder / f"{key}.lm.bin"
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise VoiceError(f"Cannot write the speech model cache {path.parent}: {err.strerror}; "
                         "set XDG_CACHE_HOME to a writable folder.") from err
    write_lm(sentences * PHRASE_REPEATS, vocabulary, path, word_count=OTHER_WORD_COUNT, discount_mass=DISCOUNT_MASS)
    return path
