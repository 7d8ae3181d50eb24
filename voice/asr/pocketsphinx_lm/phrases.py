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
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from voice.asr.pocketsphinx_lm.build import write_lm
from voice.errors import VoiceError

# cmudict is American English; many people say the phrases' vowels and r's otherwise. Each phrase word
# also gets these pronunciations, in the narrow recogniser only (which hears the answers and the
# commands): without the r's after a vowel (England, Wales, Australia: "fast-uh" for "faster"), and
# with the vowels of Scotland and the north of England (a pure [o:] in "no" and "slower", an open [a]
# in "faster" and "calf"). Commands said by the tune voices (audio_tests/voice_sets/commands.py), after an
# answer / at a question: 53 / 50 of 120 -> 64 / 65 (Scottish 27 / 23% -> 47 / 43%, Lancashire 57 / 50%
# -> 67 / 70%), short replies taken for commands as before (1 / 2 of 120). Tune sessions explained:
# Scottish 57 -> 71%, Lancashire 43 -> 57% ("my calf" heard); the Scottish "no" was heard 11 -> 9 of 12
# times (both "sole" at the safety question went on as after "no"). A rounded "stop" too ("AA" -> "AO")
# heard "no" 2 times of 12 and commands 65 / 64 of 120.
# Not in the open recogniser: given "no" said so there, it heard the American voice's "and now it looks
# out of shape" as "and no it's looks ...", a flipped word to ask about.
VOWEL_SHIFTS = {"OW": "AO", "AE": "AA"}
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
VARIANT_NUMBERS = (7, 8, 9)  # dictionary names for them ("no(9)"), above cmudict's own (2) to (4)
PHRASE_REPEATS = 20  # each phrase's count in the corpus
OTHER_WORD_COUNT = 1  # each other word's count: present, but far less likely than any phrase
DISCOUNT_MASS = 0.5  # ArpaBoLM's default: the mass each context keeps for words it has not seen


def phrase_words(phrases: Iterable[str]) -> set[str]:
    return {word for phrase in phrases for word in phrase.lower().split()}


def non_rhotic(phones: list[str]) -> list[str]:
    """An r after a vowel and before no vowel is not said; the r-coloured vowel is a plain one."""
    kept = [p for before, p, after in zip(["", *phones], phones, [*phones[1:], ""])
            if not (p == "R" and before in VOWELS and after not in VOWELS)]
    return ["AH" if p == "ER" else p for p in kept]


def shifted_vowels(phones: list[str]) -> list[str]:
    return [VOWEL_SHIFTS.get(p, p) for p in phones]


def accent_variants(phrases: Iterable[str], pronounce: Callable[[str], str | None]) -> dict[str, str]:
    """Other accents' pronunciations of the phrases' words (see VOWEL_SHIFTS), named as the dictionary
    names a word's other pronunciations ("no(9)"); `pronounce` gives a word's own, or None."""
    variants: dict[str, str] = {}
    for word in sorted(phrase_words(phrases)):
        said = (pronounce(word) or "").split()
        if not said:
            continue
        others = [non_rhotic(said), shifted_vowels(said), shifted_vowels(non_rhotic(said))]
        unique = [" ".join(o) for o in dict.fromkeys(map(tuple, others)) if list(o) != said]
        variants.update({f"{word}({n})": phones for n, phones in zip(VARIANT_NUMBERS, unique)})
    return variants


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
