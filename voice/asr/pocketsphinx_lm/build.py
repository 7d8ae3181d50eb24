"""A trigram language model and pronouncing dictionary for the knowledge pack's talk, built for PocketSphinx.

PocketSphinx's generic English model mishears symptom descriptions badly; a small model
trained on how people describe their trouble fixes that. The corpus is short symptom sentences
sampled from the pack's templates (its speech section: body parts x feelings x activities x
durations x causes x negations), plus the knowledge base's phrases, the spoken commands and the
domain's emergency and crisis phrases, each also standing alone, since that is how people say them. Long summaries only add their
words. The 5,000 most common English words are added at a low count so off-topic speech comes out as
ordinary words instead of invented symptoms. Built files are cached by a hash of their
inputs, so only the first start-up pays for the build.
"""
from __future__ import annotations

import atexit
import errno
import hashlib
import logging
import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import text as knowledge_text
from knowledge.text import spoken_sentences
from voice.errors import VoiceError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
COMMON_WORDS_FILE = DATA_DIR / "common_words.txt"
COMMON_WORD_COUNT = 20
# Probability mass each context keeps back for unseen words. ArpaBoLM's default 0.5 let frequent
# words reached by backing off ("really", "all") outbid a command's own seen word sequence.
DISCOUNT_MASS = 0.25

# --- corpus -------------------------------------------------------------------------------

# Sentences drawn from the templates; enough that every slot value meets most of its neighbours.
TEMPLATE_SENTENCES = 24000
# Share of the corpus where a phrase (a knowledge-base name, a command, a yes or no) is the whole
# utterance. Commands are short, so they need a strong sentence-level prior to beat the symptom
# talk (measured: 0.6 beat 0.3 on spoken commands and descriptions alike).
PHRASE_SHARE = 0.6
# Phrases up to this many words are names and commands; longer texts (summaries) are prose.
SHORT_PHRASE_WORDS = 6
FRAMES_PER_PHRASE = 3  # of the pack's frames ("i think i have {}"), drawn for each short phrase
# Share of the corpus (against the templates' sentences) for the phrases of an emergency or a crisis,
# half alone and half in its own frames (else the pack's). Without them the model bent such speech
# into leg words ("i want to end my life" -> "i want to and my life"). On 12 such sentences in the tune voices
# (3 voices, noise): answered as an emergency 3 -> 14 of 36 (0.05: 13); the tune cases that are
# not one taken for one 0 -> 1 of 96 ("at all" heard "end it all"); commands 37 -> 36 of 90.
# Said in an emergency's own frames ("i want to {}") instead of a leg complaint's ("i think i have
# {}"): on 16 other such sentences answered 17 -> 19 of 48, and "i want to end my life" heard
# right in 3 of the 3 tune voices (0 before); commands 36 of 90 as before (at 0.05, 33).
URGENT_SHARE = 0.02
_SLOT = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class PackSpeech:
    """How people talk about the pack's area (its speech section), as plain data: weighted sentence
    templates whose `{slot}`s are filled from lists that may nest slots, frames a pack phrase is
    said in, pronunciations (CMU phones) of its words that cmudict lacks, and the phrases of an
    emergency or a crisis (the domain's), which a person may say whatever the pack is about."""

    templates: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    frames: tuple[str, ...] = ()
    phones: dict[str, str] = field(default_factory=dict)
    urgent: tuple[str, ...] = ()
    said_in: dict[str, tuple[str, ...]] = field(default_factory=dict)  # an urgent phrase's own frames

    @classmethod
    def of(cls, kb: object) -> "PackSpeech":
        """The knowledge pack's speech section (checked by `kb check`: slots defined, phones valid) and
        its domain's emergency phrases."""
        speech = getattr(kb, "speech")
        emergencies = getattr(kb, "domain").emergencies
        urgent = tuple(phrase for emergency in emergencies for phrase in emergency.phrases)
        said_in = {phrase: emergency.frames for emergency in emergencies if emergency.frames for phrase in emergency.phrases}
        return cls(tuple(t.template for t in speech.templates), tuple(t.weight for t in speech.templates),
                   dict(speech.slots), tuple(speech.frames), dict(speech.phones), urgent, said_in)

    def sample(self, count: int, rng: random.Random) -> list[str]:
        if not self.templates:
            return []
        return [self.fill(template, rng) for template in rng.choices(self.templates, self.weights, k=count)]

    def fill(self, text: str, rng: random.Random) -> str:
        while "{" in text:
            text = _SLOT.sub(lambda m: rng.choice(self.slots[m.group(1)]), text)
        return " ".join(text.split())


def corpus_sentences_from_text(text: str) -> list[str]:
    """Free text as the sentences a recogniser would output (knowledge.text's spoken form)."""
    return spoken_sentences(text)


def acronyms_in(texts: Iterable[str]) -> set[str]:
    """Upper-case tokens (ACL, MCL) that are spoken letter by letter."""
    return {t.lower() for text in texts for t in re.findall(r"\b[A-Z]{2,5}\b", text)}


def build_corpus(phrases: Iterable[str], seed: int = 0, speech: PackSpeech = PackSpeech()) -> list[str]:
    """Training sentences: talk sampled from the pack's templates, plus each phrase alone and in a few frames.

    Short phrases are the words people echo back (condition names, commands, yes and no); long
    texts (summaries) only add their words and short-range word order, once.
    """
    rng = random.Random(seed)
    out = speech.sample(TEMPLATE_SENTENCES, rng)
    frames = speech.frames
    texts = [corpus_sentences_from_text(phrase) for phrase in phrases]
    short = [s for sentences in texts if _short(sentences) for s in sentences]
    repeats = max(1, round(PHRASE_SHARE * TEMPLATE_SENTENCES / max(1, len(short))))
    for sentences in texts:
        if not _short(sentences):  # prose: its words and their order, once, however its commas cut it
            out += sentences
            continue
        for sentence in sentences:
            out += [sentence] * repeats
            out += [frame.format(sentence) for frame in rng.sample(frames, min(FRAMES_PER_PHRASE, len(frames)))]
    return out + urgent_talk(speech, rng)


def _short(sentences: list[str]) -> bool:
    """A name, a command or an answer ("Runner's knee (patellofemoral pain syndrome)"), not prose
    that commas cut into short pieces ("pain felt away from the knee")."""
    return sum(len(s.split()) for s in sentences) <= SHORT_PHRASE_WORDS


def urgent_talk(speech: PackSpeech, rng: random.Random) -> list[str]:
    """The phrases of an emergency or a crisis, each as often as the others, alone and in its own frames (else the pack's)."""
    urgent = [(s, speech.said_in.get(phrase) or speech.frames or ("{}",))
              for phrase in speech.urgent for s in corpus_sentences_from_text(phrase)]
    if not urgent:
        return []
    each = max(2, round(URGENT_SHARE * TEMPLATE_SENTENCES / len(urgent)))
    return [text for sentence, frames in urgent
            for text in [sentence] * (each - each // 2) + [rng.choice(frames).format(sentence) for _ in range(each // 2)]]


def knowledge_phrases(kb: object) -> list[str]:
    """Everything a person might echo back from the knowledge base: phrases, titles and summaries."""
    texts: list[str] = []
    for group in ("topics", "locations", "warnings"):
        for entry in getattr(kb, group):
            texts += list(entry.phrases)
            texts.append(entry.title)
            texts += [getattr(entry, name) for name in ("summary", "more", "advice") if getattr(entry, name, "")]
    return texts


# --- pronunciations -----------------------------------------------------------------------

_LETTERS = {
    "a": "EY", "b": "B IY", "c": "S IY", "d": "D IY", "e": "IY", "f": "EH F", "g": "JH IY",
    "h": "EY CH", "i": "AY", "j": "JH EY", "k": "K EY", "l": "EH L", "m": "EH M", "n": "EH N",
    "o": "OW", "p": "P IY", "q": "K Y UW", "r": "AA R", "s": "EH S", "t": "T IY", "u": "Y UW",
    "v": "V IY", "w": "D AH B AH L Y UW", "x": "EH K S", "y": "W AY", "z": "Z IY",
}
# Letter-to-sound rules, longest spelling first; a rough last resort for unknown words.
_GRAPHEMES = (
    ("tion", "SH AH N"), ("sion", "ZH AH N"), ("igh", "AY"), ("tch", "CH"), ("ph", "F"),
    ("sh", "SH"), ("ch", "CH"), ("th", "TH"), ("ng", "NG"), ("ck", "K"), ("qu", "K W"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("ai", "EY"),
    ("ay", "EY"), ("oa", "OW"), ("oi", "OY"), ("oy", "OY"), ("au", "AO"), ("aw", "AO"),
    ("er", "ER"), ("ir", "ER"), ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"),
    ("a", "AE"), ("b", "B"), ("c", "K"), ("d", "D"), ("e", "EH"), ("f", "F"), ("g", "G"),
    ("h", "HH"), ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"),
    ("o", "AA"), ("p", "P"), ("r", "R"), ("s", "S"), ("t", "T"), ("u", "AH"), ("v", "V"),
    ("w", "W"), ("x", "K S"), ("y", "Y"), ("z", "Z"),
)
_VOICELESS = {"P", "T", "K", "F", "TH"}
_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}


def letter_to_sound(word: str) -> str:
    """Phones guessed from spelling: good enough to let the decoder find a rare word, not more."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    if letters.endswith("e") and len(letters) > 3:
        letters = letters[:-1]
    phones: list[str] = []
    i = 0
    while i < len(letters):
        if letters[i] == "c" and i + 1 < len(letters) and letters[i + 1] in "eiy":
            phones.append("S")
            i += 1
            continue
        if letters[i] == "y" and i == len(letters) - 1 and i > 0:
            phones.append("IY")
            i += 1
            continue
        for spelling, sound in _GRAPHEMES:
            if letters.startswith(spelling, i):
                if not phones or phones[-1] != sound:
                    phones.append(sound)
                i += len(spelling)
                break
    return " ".join(phones)


@dataclass
class Lexicon:
    """Known pronunciations (cmudict plus the pack's) and the rules that derive new ones."""

    entries: dict[str, list[str]]
    acronyms: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, cmudict: Path, extra: Mapping[str, str] | None = None) -> "Lexicon":
        """cmudict, then `extra` (word -> phones: the knowledge pack's speech phones)."""
        entries: dict[str, list[str]] = {}
        for line in cmudict.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith(";;"):
                continue
            word, phones = line.split(maxsplit=1)
            entries.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(phones.split(" #")[0].strip())
        for word, phones in (extra or {}).items():
            entries.setdefault(word, []).append(phones)
        return cls(entries)

    def known(self, word: str) -> bool:
        return word in self.entries

    def derive(self, word: str) -> str | None:
        """A pronunciation built from known words: an acronym, a suffix on a known stem, or a compound."""
        if word in self.acronyms:
            return " ".join(_LETTERS[c] for c in word)
        american = _american_spelling(word)
        if american != word and american in self.entries:
            return self.entries[american][0]
        stem_rules = (
            ("'s", ""), ("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("d", ""),
            ("ing", ""), ("ing", "e"), ("ly", "le"), ("ly", ""), ("y", ""), ("y", "e"), ("er", ""),
            ("ness", ""),
        )
        for suffix, restore in stem_rules:
            stem = word[: -len(suffix)] + restore if word.endswith(suffix) else ""
            if len(stem) >= 2 and stem in self.entries:
                return _add_suffix(self.entries[stem][0], suffix, restore)
        for cut in range(2, len(word) - 1):
            head, tail = word[:cut], word[cut:]
            if len(head) >= 3 and len(tail) >= 3 and head in self.entries and tail in self.entries:
                return f"{self.entries[head][0]} {self.entries[tail][0]}"
        return None

    def pronounce(self, words: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        """Dictionary lines for `words`, and the pronunciations that had to be made up."""
        lines: list[str] = []
        made: dict[str, str] = {}
        for word in sorted(set(words)):
            if word in self.entries:
                variants = self.entries[word]
            else:
                phones = self.derive(word) or letter_to_sound(word)
                if not phones:
                    raise VoiceError(f"No pronunciation for the word {word!r}: add it to the knowledge pack's "
                                     "speech phones.")
                made[word] = phones
                variants = [phones]
            lines.append(f"{word} {variants[0]}")
            lines += [f"{word}({n}) {phones}" for n, phones in enumerate(variants[1:], start=2)]
        return lines, made


def _american_spelling(word: str) -> str:
    """cmudict spells the American way: "favouring" -> "favoring", "stabilise" -> "stabilize"."""
    word = re.sub(r"our(?=s?$|ing$|ed$|ite)", "or", word)
    return re.sub(r"is(e|es|ed|ing|ation)$", r"iz\1", word)


def _add_suffix(stem_phones: str, suffix: str, restore: str) -> str:
    """The stem's phones plus the suffix, voiced or not to match the stem's last sound."""
    phones = stem_phones.split()
    last = phones[-1]
    if suffix in ("s", "es", "'s", "ies"):
        ending = ["IH", "Z"] if last in _SIBILANT else ["S"] if last in _VOICELESS else ["Z"]
    elif suffix in ("ed", "d"):
        ending = ["IH", "D"] if last in ("T", "D") else ["T"] if last in _VOICELESS | _SIBILANT - {"Z", "ZH", "JH"} else ["D"]
    elif suffix == "ing":
        ending = ["IH", "NG"]
    elif suffix in ("ly", "y"):
        if restore == "le" and phones[-2:] == ["AH", "L"]:
            phones, ending = phones[:-2], ["L", "IY"]
        else:
            ending = ["L", "IY"] if suffix == "ly" else ["IY"]
    elif suffix == "er":
        ending = ["ER"]
    else:
        ending = ["N", "AH", "S"]
    return " ".join(phones + ending)


# --- building and caching -----------------------------------------------------------------


@dataclass(frozen=True)
class DomainLM:
    """Files for `Decoder(lm=..., dict=...)` and what the build had to guess."""

    lm_path: Path
    dict_path: Path
    words: frozenset[str]
    made_pronunciations: dict[str, str]
    build_seconds: float
    from_cache: bool


def common_words(path: Path = COMMON_WORDS_FILE) -> list[str]:
    return [w for w in path.read_text(encoding="utf-8").split("\n") if w and not w.startswith("#")]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "symptom-voice" / "pocketsphinx"


def bundled_model_dir() -> Path:
    """The acoustic model, dictionary and generic LM inside the pocketsphinx wheel."""
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


def build_domain_lm(
    phrases: Iterable[str],
    cache_dir: Path | None = None,
    extra_words: Sequence[str] | None = None,
    seed: int = 0,
    speech: PackSpeech = PackSpeech(),
) -> DomainLM:
    """The domain LM and dictionary for `phrases` and the pack's `speech`, from the cache when the
    same inputs were built before."""
    started = time.perf_counter()
    phrases = list(phrases)
    generic = common_words() if extra_words is None else list(extra_words)
    acronyms = acronyms_in(phrases)
    # The key covers every input of the build, this module's and the normaliser's source included, so
    # a changed build never reuses stale files and a cached start-up needn't expand the templates at all.
    key = hashlib.sha256(
        "\n".join([str(seed), *phrases, "--", *generic, "--", repr(speech)]).encode()
        + Path(__file__).read_bytes()
        + Path(knowledge_text.__file__).read_bytes()
    ).hexdigest()[:16]
    folder = (cache_dir or default_cache_dir()) / key
    lm_path, dict_path, made_path = folder / "domain.lm.bin", folder / "domain.dict", folder / "made.dict"
    if lm_path.is_file() and dict_path.is_file() and made_path.is_file():
        words = frozenset(line.split()[0] for line in dict_path.read_text().splitlines() if "(" not in line.split()[0])
        made = dict(line.split(" ", 1) for line in made_path.read_text().splitlines() if line)
        return DomainLM(lm_path, dict_path, words, made, time.perf_counter() - started, True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as err:
        folder = _temporary_cache(folder, err)
        lm_path, dict_path, made_path = folder / "domain.lm.bin", folder / "domain.dict", folder / "made.dict"
    sentences = build_corpus(phrases, seed, speech)
    lexicon = Lexicon.load(bundled_model_dir() / "cmudict-en-us.dict", speech.phones)
    lexicon.acronyms = acronyms
    words = {w for s in sentences for w in s.split()} | {w for w in generic if lexicon.known(w)}
    dict_lines, made = lexicon.pronounce(words)
    write_lm(sentences, sorted(words), lm_path)
    atomic_write(dict_path, "\n".join(dict_lines) + "\n")
    atomic_write(made_path, "".join(f"{w} {p}\n" for w, p in sorted(made.items())))
    return DomainLM(lm_path, dict_path, frozenset(words), made, time.perf_counter() - started, False)


def _temporary_cache(wanted: Path, error: OSError) -> Path:
    """An unwritable cache must not stop start-up: build in a private temporary folder (0700,
    removed at exit) for this run, and say so once."""
    temporary = Path(tempfile.mkdtemp(prefix="symptom-voice-lm-"))
    atexit.register(shutil.rmtree, temporary, ignore_errors=True)
    log.warning("Cannot write the speech model cache %s (%s): building it in %s for this run; set "
                "XDG_CACHE_HOME to a writable folder to keep it between runs.", wanted.parent,
                error.strerror or error, temporary)
    return temporary


def write_lm(sentences: list[str], vocabulary: list[str], lm_path: Path, word_count: int = COMMON_WORD_COUNT,
             discount_mass: float = DISCOUNT_MASS) -> None:
    """Train a trigram model in ARPA form, then store it in binary form, which loads in milliseconds.

    Every word of `vocabulary` is seen `word_count` more times, so it can be recognised anywhere.
    """
    from pocketsphinx import Config, LogMath, NGramModel
    from pocketsphinx.lm import ArpaBoLM

    with tempfile.TemporaryDirectory(dir=lm_path.parent) as tmp:
        word_file = Path(tmp) / "words.txt"
        word_file.write_text("\n".join(vocabulary) + "\n")
        lm = ArpaBoLM(text="\n".join(sentences), add_start=True, word_file=str(word_file),
                      word_file_count=word_count, discount_mass=discount_mass, case="lower")
        lm.compute()
        arpa = Path(tmp) / "domain.arpa"
        lm.write_file(str(arpa))
        partial = Path(tmp) / "domain.lm.bin"
        NGramModel(Config(), LogMath(), str(arpa)).write(str(partial), NGramModel.str_to_type("dmp"))
        os.replace(partial, lm_path)


def atomic_write(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
