"""A trigram language model and pronouncing dictionary for knee and leg talk, built for PocketSphinx.

PocketSphinx's generic English model mishears symptom descriptions badly; a small model
trained on the knowledge base's phrases, expanded into many paraphrases, fixes that. The
5,000 most common English words are added at a low count so off-topic speech comes out as
ordinary words instead of invented symptoms. Built files are cached by a hash of their
inputs, so only the first start-up pays for the build.
"""
from __future__ import annotations

import hashlib
import os
import random
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voice.errors import VoiceError

DATA_DIR = Path(__file__).with_name("data")
COMMON_WORDS_FILE = DATA_DIR / "common_words.txt"
EXTRA_PRONUNCIATIONS_FILE = DATA_DIR / "extra_pronunciations.dict"
COMMON_WORD_COUNT = 20

# --- corpus -------------------------------------------------------------------------------

_PARTS = (
    "knee", "knees", "kneecap", "leg", "legs", "thigh", "calf", "shin", "shins", "ankle", "foot",
    "feet", "hip", "lower back", "back", "heel", "toes", "hamstring", "groin", "lower leg",
    "upper leg", "whole leg", "left knee", "right knee", "left leg", "right leg",
    "back of my knee", "front of my knee", "inside of my knee", "outside of my knee",
    "front of my thigh", "back of my thigh", "side of my thigh", "sole of my foot",
)
_FEELINGS = (
    "hurts", "aches", "is sore", "is swollen", "is stiff", "is painful", "is tender", "is red",
    "is hot", "is warm", "is numb", "is weak", "is tight", "is tired", "feels weak", "feels stiff",
    "feels numb", "feels tight", "feels hot", "feels warm", "feels tingly", "feels unstable",
    "feels wobbly", "throbs", "tingles", "burns", "gives way", "keeps giving way", "locks",
    "clicks", "pops", "buckles", "keeps swelling", "looks deformed", "looks swollen",
    "looks bent", "is killing me", "is cramping", "really hurts", "hurts a lot", "aches all the time",
)
_SYMPTOMS = (
    "pain", "a pain", "sharp pain", "a sharp pain", "a dull ache", "an ache", "aching", "swelling",
    "stiffness", "numbness", "tingling", "weakness", "pins and needles", "cramps", "a cramp",
    "tightness", "redness", "warmth", "burning", "a burning pain", "throbbing pain",
    "shooting pain", "discomfort", "muscle spasms", "instability", "inflammation",
    "severe pain", "constant pain",
)
_ACTIVITIES = (
    "walk", "run", "jump", "climb stairs", "go up stairs", "go down stairs", "kneel", "squat",
    "stand up", "sit down", "bend my knee", "straighten my leg", "play football", "exercise",
    "sleep", "get up", "move", "put weight on it", "twist", "turn", "get out of bed", "cycle",
)
_ABILITIES = (
    "walk", "bear weight", "bear weight on my leg", "put weight on my leg", "put any weight on it",
    "stand", "stand up", "bend my knee", "straighten my knee", "climb stairs", "move my leg",
    "feel my foot", "feel my toes", "sleep", "run",
)
_DURATIONS = (
    "for a few days", "for two days", "for three days", "for a week", "for two weeks",
    "for three weeks", "for weeks", "for a month", "for months", "for a long time",
    "since yesterday", "since last week", "since last month", "since my injury", "since i fell",
    "since the fall", "all day", "every morning", "at night",
)
_SPREADS = ("goes down", "goes up", "spreads", "radiates", "moves", "shoots down", "travels")
_PLACES = (
    "into my calf", "into my thigh", "down my shin", "to my ankle", "to my foot", "to my hip",
    "up to my thigh", "into my lower back", "down my leg", "up my leg", "to my heel",
)
_CAUSES = (
    "i fell", "i twisted my knee", "i twisted my ankle", "i hurt my knee", "i injured my knee",
    "i injured my knee playing football", "i tore my meniscus", "i tore my acl",
    "i injured my ligament", "a fall", "an injury", "a sports injury", "a car accident",
    "playing sport", "running", "jumping", "a long walk",
)
_COMMANDS = (
    "repeat", "repeat that", "repeat that please", "say that again", "say it again", "again",
    "what did you say", "pardon", "sorry", "slower", "slow down", "speak slower",
    "speak more slowly", "faster", "speak faster", "louder", "speak up", "speak louder",
    "quieter", "softer", "speak quieter", "tell me more", "more", "more please",
    "tell me more about that", "what can i say", "help", "what can you do", "start over",
    "start again", "reset", "new question", "stop", "stop talking", "be quiet", "cancel",
    "goodbye", "bye", "good bye", "quit", "exit", "thank you", "thanks", "yes", "no", "yeah",
    "yes please", "no thanks", "nope", "okay", "ok", "hello", "hi",
    "when should i see a doctor", "should i see a doctor", "do i need a doctor",
    "what should i do", "what does that mean", "is it serious", "what is it", "why",
    "why does my leg hurt", "do bad knees cause leg pain", "can my knee cause leg pain",
    "how can knee problems cause leg pain", "what is referred pain", "what is gait",
)
_TOPIC_FRAMES = (
    "{}", "i have {}", "i think i have {}", "i was told i have {}", "my doctor said {}",
    "what is {}", "tell me about {}", "tell me more about {}", "is it {}", "could it be {}",
    "can {} cause leg pain", "i have {} in my knee",
)


def _templated_sentences(rng: random.Random) -> list[str]:
    """Paraphrases of symptoms, negations and commands; combinations are sampled to stay small."""
    out: list[str] = []
    for part in _PARTS:
        out += [f"my {part} {feeling}" for feeling in _FEELINGS]
        out += [f"i have {symptom} in my {part}" for symptom in _SYMPTOMS]
        out += [f"pain in my {part}", f"my {part}", f"it's my {part}", f"my {part} is fine",
                f"there's pain in my {part}", f"why does my {part} hurt", f"why does my {part} ache",
                f"my {part} doesn't hurt", f"no pain in my {part}", f"my {part} isn't swollen"]
    for ability in _ABILITIES:
        out += [f"i can't {ability}", f"i cannot {ability}", f"i can not {ability}",
                f"i can {ability}", f"i can still {ability}", f"i can't {ability} anymore"]
    for symptom in _SYMPTOMS:
        out += [f"no {symptom}", f"there is no {symptom}", f"i don't have {symptom}",
                f"i have {symptom}", f"{symptom} and swelling", f"just {symptom}"]
    for cause in _CAUSES:
        out += [f"after {cause}", f"my knee hurts after {cause}", f"sudden severe pain after {cause}",
                f"it started after {cause}", f"the pain started when {cause}"]
    for duration in _DURATIONS:
        out += [f"it has hurt {duration}", f"my knee has hurt {duration}",
                f"the pain has lasted {duration}", f"it's been hurting {duration}",
                f"i have had knee pain {duration}"]
    out += ["rest doesn't help", "rest does not help", "it doesn't get better with rest",
            "it doesn't improve with rest", "it gets worse", "it gets better with rest",
            "it's getting worse", "it's not getting better", "the swelling went down"]
    out += list(_COMMANDS)
    sampled = (
        ("my {} hurts when i {}", (_PARTS, _ACTIVITIES), 500),
        ("{} in my {} when i {}", (_SYMPTOMS, _PARTS, _ACTIVITIES), 1500),
        ("my {} hurts and the pain {} {}", (_PARTS, _SPREADS, _PLACES), 800),
        ("my {} {} and my {} {}", (_PARTS, _FEELINGS, _PARTS, _FEELINGS), 1500),
        ("my {} {} {}", (_PARTS, _FEELINGS, _DURATIONS), 800),
        ("i have {} in my {} {}", (_SYMPTOMS, _PARTS, _DURATIONS), 600),
    )
    for template, slots, count in sampled:
        out += [template.format(*(rng.choice(slot) for slot in slots)) for _ in range(count)]
    out += [f"the pain {s} {pl}" for s in _SPREADS for pl in _PLACES]
    out += [f"it hurts when i {a}" for a in _ACTIVITIES]
    return out


_SENTENCE_BREAK = re.compile(r"[.!?;:()\[\]\"\n]+|,\s")
_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "12": "twelve", "20": "twenty",
}


def corpus_sentences_from_text(text: str) -> list[str]:
    """Split free text into lower-case sentences of plain words, as a recogniser would output them."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode()
    sentences = []
    for chunk in _SENTENCE_BREAK.split(text):
        chunk = re.sub(r"\b\d+\b", lambda m: _NUMBERS.get(m.group(), " "), chunk)
        words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", chunk.replace("-", " "))
        if words:
            sentences.append(" ".join(words).lower())
    return sentences


def acronyms_in(texts: Iterable[str]) -> set[str]:
    """Upper-case tokens (ACL, MCL) that are spoken letter by letter."""
    return {t.lower() for text in texts for t in re.findall(r"\b[A-Z]{2,5}\b", text)}


def build_corpus(phrases: Iterable[str], seed: int = 0) -> list[str]:
    """Training sentences: each phrase, the phrase in question and statement frames, and templates."""
    rng = random.Random(seed)
    out: list[str] = []
    for phrase in phrases:
        sentences = corpus_sentences_from_text(phrase)
        out += sentences * 3
        for sentence in sentences:
            if len(sentence.split()) <= 4:
                out += [frame.format(sentence) for frame in _TOPIC_FRAMES]
    out += _templated_sentences(rng)
    return out


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
    """Known pronunciations (cmudict plus hand-written ones) and the rules that derive new ones."""

    entries: dict[str, list[str]]
    acronyms: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, cmudict: Path, extra: Path = EXTRA_PRONUNCIATIONS_FILE) -> "Lexicon":
        entries: dict[str, list[str]] = {}
        for path in (cmudict, extra):
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.startswith(";;"):
                    continue
                word, phones = line.split(maxsplit=1)
                entries.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(phones.split(" #")[0].strip())
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
                    raise VoiceError(f"No pronunciation for the word {word!r}: add it to {EXTRA_PRONUNCIATIONS_FILE}.")
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
) -> DomainLM:
    """The domain LM and dictionary for `phrases`, from the cache when the same inputs were built before."""
    phrases = list(phrases)
    sentences = build_corpus(phrases, seed)
    generic = common_words() if extra_words is None else list(extra_words)
    acronyms = acronyms_in(phrases)
    # This module's own source is part of the key, so a changed build never reuses stale files.
    key = hashlib.sha256(
        "\n".join([*sorted(acronyms), *sentences, "--", *generic]).encode()
        + EXTRA_PRONUNCIATIONS_FILE.read_bytes()
        + Path(__file__).read_bytes()
    ).hexdigest()[:16]
    folder = (cache_dir or default_cache_dir()) / key
    lm_path, dict_path, made_path = folder / "domain.lm.bin", folder / "domain.dict", folder / "made.dict"
    started = time.perf_counter()
    if lm_path.is_file() and dict_path.is_file() and made_path.is_file():
        words = frozenset(line.split()[0] for line in dict_path.read_text().splitlines() if "(" not in line.split()[0])
        made = dict(line.split(" ", 1) for line in made_path.read_text().splitlines() if line)
        return DomainLM(lm_path, dict_path, words, made, time.perf_counter() - started, True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise VoiceError(f"Cannot write the speech model cache {folder}: {err.strerror}; set XDG_CACHE_HOME to a writable folder.") from err
    lexicon = Lexicon.load(bundled_model_dir() / "cmudict-en-us.dict")
    lexicon.acronyms = acronyms
    words = {w for s in sentences for w in s.split()} | {w for w in generic if lexicon.known(w)}
    dict_lines, made = lexicon.pronounce(words)
    _write_lm(sentences, sorted(words), lm_path)
    _atomic_write(dict_path, "\n".join(dict_lines) + "\n")
    _atomic_write(made_path, "".join(f"{w} {p}\n" for w, p in sorted(made.items())))
    return DomainLM(lm_path, dict_path, frozenset(words), made, time.perf_counter() - started, False)


def _write_lm(sentences: list[str], vocabulary: list[str], lm_path: Path) -> None:
    """Train the trigram model in ARPA form, then store it in binary form, which loads in milliseconds."""
    from pocketsphinx import Config, LogMath, NGramModel
    from pocketsphinx.lm import ArpaBoLM

    with tempfile.TemporaryDirectory(dir=lm_path.parent) as tmp:
        word_file = Path(tmp) / "words.txt"
        word_file.write_text("\n".join(vocabulary) + "\n")
        lm = ArpaBoLM(text="\n".join(sentences), add_start=True, word_file=str(word_file),
                      word_file_count=COMMON_WORD_COUNT, case="lower")
        lm.compute()
        arpa = Path(tmp) / "domain.arpa"
        lm.write_file(str(arpa))
        partial = Path(tmp) / "domain.lm.bin"
        NGramModel(Config(), LogMath(), str(arpa)).write(str(partial), NGramModel.str_to_type("dmp"))
        os.replace(partial, lm_path)


def _atomic_write(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
