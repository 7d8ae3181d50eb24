"""Real PocketSphinx on the spoken fixtures in audio_tests/, with the domain LM built from the real knowledge base."""
from __future__ import annotations

import random
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge.evaluation import word_errors
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from voice.conversation.commands import spoken_phrases
from voice.asr.endpointing import TurnPolicy
from voice.asr.recognizer import MAX_ALTERNATIVES, Recognizer, Transcript
from voice.asr.utterances import UtteranceEnded, UtteranceStream
from voice.asr.pocketsphinx_lm.build import (DomainLM, Lexicon, PackSpeech, build_corpus, build_domain_lm, knowledge_phrases,
                             letter_to_sound)
from voice.asr.pocketsphinx_lm.phrases import accent_variants, non_rhotic, shifted_vowels
from voice.errors import VoiceError
from voice.asr.pocketsphinx import PocketSphinxRecognizer
from voice.audio.convert import resample, to_int16_pcm
from paths import AUDIO

CASES = yaml.safe_load((AUDIO / "cases.yaml").read_text())["cases"]
SESSIONS = yaml.safe_load((AUDIO / "recordings.yaml").read_text())["sessions"]
KEYWORDS = set(
    "knee kneecap calf thigh shin foot hip back leg pain hurts swollen red hot numbness tingling weak deformed "
    "severe injury meniscus osteoarthritis ligament tore tear limping muscles tight stairs jumping weeks rest "
    "can't bear weight inner front below unstable ache aches sudden lower injured doctor repeat again slower "
    "louder more over goodbye yes".split()
)
CHUNK = 2048  # 64 ms, as a microphone callback would deliver


def pcm_of(relative: str) -> bytes:
    with wave.open(str(AUDIO / relative)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        return wav.readframes(wav.getnframes())


def endpoints(stream: UtteranceStream, pcm: bytes) -> list[tuple[int, Transcript]]:
    """Stream `pcm` in chunks: each endpoint as (bytes fed up to the chunk that held it, its transcript)."""
    ended = []
    for start in range(0, len(pcm), CHUNK):
        ended += [(start + CHUNK, e.transcript) for e in stream.feed(pcm[start: start + CHUNK])
                  if isinstance(e, UtteranceEnded)]
    return ended


def transcribe(recognizer: PocketSphinxRecognizer, pcm: bytes, policy: TurnPolicy | None = None) -> list[str]:
    """Stream `pcm` in chunks behind the endpointer; one text per utterance with words, the last flushed."""
    stream = UtteranceStream(recognizer, policy)
    texts = [t.text for _, t in endpoints(stream, pcm)]
    last = stream.flush()
    if last is not None:
        texts.append(last.transcript.text)
    return [text for text in texts if text]


def scores(recognizer: PocketSphinxRecognizer, cases: list[dict]) -> tuple[float, float, float]:
    """Word error rate, medical/command keyword recall and the share of first words heard right over `cases`."""
    errors = words = found = keywords = first = 0
    for case in cases:
        heard = " ".join(transcribe(recognizer, pcm_of(case["audio"])))
        errors += word_errors(case["say"], heard)
        first += heard.split()[:1] == case["say"].replace("'", "").split()[:1]
        words += len(case["say"].split())
        remaining = heard.split()
        for word in case["say"].split():
            if word in KEYWORDS:
                keywords += 1
                if word in remaining:
                    found += 1
                    remaining.remove(word)
    return errors / words, found / keywords, first / len(cases)


@pytest.fixture(scope="module")
def domain_lm(tmp_path_factory: pytest.TempPathFactory) -> DomainLM:
    """The language model the assistant builds: knowledge-base phrases, the spoken commands and the
    pack's sentence templates."""
    kb = load_knowledge()
    phrases = knowledge_phrases(kb) + spoken_phrases()
    return build_domain_lm(phrases, cache_dir=tmp_path_factory.mktemp("lm-cache"), speech=PackSpeech.of(kb))


@pytest.fixture
def recognizer(domain_lm: DomainLM) -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer(domain_lm)


def test_implements_the_recognizer_protocol(recognizer: PocketSphinxRecognizer) -> None:
    assert isinstance(recognizer, Recognizer)
    assert recognizer.load_time > 0


def test_recognises_clean_spoken_symptoms_and_commands(recognizer: PocketSphinxRecognizer) -> None:
    wer, recall, first_words = scores(recognizer, [c for c in CASES if c["audio"].startswith("clean/")])
    assert wer < 0.45
    assert recall > 0.6
    assert first_words > 0.65  # the start of an utterance is decoded, not clipped (was 0.61 without pre-roll)


def test_recognises_some_keywords_in_noise(recognizer: PocketSphinxRecognizer) -> None:
    _, recall, _ = scores(recognizer, [c for c in CASES if c["audio"].startswith("noisy/")])
    assert recall > 0.25


def test_domain_lm_beats_the_generic_model(recognizer: PocketSphinxRecognizer) -> None:
    sample = [c for c in CASES if c["id"] in ("c03", "c09", "c12", "c16", "c19")]
    _, domain_recall, _ = scores(recognizer, sample)
    _, generic_recall, _ = scores(PocketSphinxRecognizer(None), sample)
    assert domain_recall > generic_recall


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s["id"])
def test_multi_utterance_recording_splits_into_its_utterances(recognizer: PocketSphinxRecognizer, session: dict) -> None:
    texts = transcribe(recognizer, pcm_of(session["audio"]))
    assert len(texts) == len(session["utterances"])


def test_whole_recording_in_one_call_still_yields_each_utterance(recognizer: PocketSphinxRecognizer) -> None:
    session = SESSIONS[0]
    texts = [e.transcript.text for e in UtteranceStream(recognizer).feed(pcm_of(session["audio"]))
             if isinstance(e, UtteranceEnded)]
    assert len(texts) == len(session["utterances"])
    assert "kneecap" in texts[0].split()


def test_the_silence_setting_decides_whether_a_pause_ends_the_utterance(recognizer: PocketSphinxRecognizer) -> None:
    yes_pause_yes = pcm_of("clean/k10.wav") * 2  # "yes", about 0.8 s of noise floor, "yes"
    assert len(transcribe(recognizer, yes_pause_yes, TurnPolicy(0.4))) == 2
    recognizer.reset()
    assert len(transcribe(recognizer, yes_pause_yes, TurnPolicy(1.2))) == 1


def test_endpoint_waits_for_the_trailing_silence(recognizer: PocketSphinxRecognizer) -> None:
    pcm = pcm_of("clean/k10.wav")  # 0.6 s of noise floor after the word
    assert transcribe(recognizer, pcm, TurnPolicy(0.3)) == ["yes"]
    patient = UtteranceStream(recognizer, TurnPolicy(2.0))
    assert endpoints(patient, pcm) == []
    assert patient.flush().transcript.text == "yes"


@pytest.mark.parametrize("name", ["c12_white10", "k01_white10"])
def test_steady_noise_does_not_hold_the_utterance_open(recognizer: PocketSphinxRecognizer, name: str) -> None:
    speech = np.frombuffer(pcm_of(f"noisy/{name}.wav"), dtype=np.int16)
    level = speech[:2400].astype(float).std()  # the file starts with 0.15 s of its noise alone
    tail = np.random.default_rng(0).normal(0.0, level, 2 * 16000)  # 2 s more of the same white noise
    pcm = np.concatenate([speech, tail]).astype(np.int16).tobytes()
    (ended_at, transcript), *_ = endpoints(UtteranceStream(recognizer), pcm)
    assert ended_at < len(speech) * 2 + 16000  # within 0.5 s of the end of the speech, not at max_utterance
    assert transcript.text


def test_long_speech_is_cut_at_the_maximum_utterance_length(recognizer: PocketSphinxRecognizer) -> None:
    stream = UtteranceStream(recognizer, max_utterance=1.0)
    assert len(endpoints(stream, pcm_of("clean/c16.wav"))) >= 2


def test_words_have_times_and_confidences(recognizer: PocketSphinxRecognizer) -> None:
    pcm = pcm_of("clean/c12.wav")
    (_, transcript), *_ = endpoints(UtteranceStream(recognizer), pcm)
    assert transcript.engine == "pocketsphinx"
    assert [w.text for w in transcript.words] == transcript.text.split()
    assert len(transcript.words) >= 5
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start < w.end < len(pcm) / 32000 for w in transcript.words)
    assert all(0 <= w.confidence <= 1 for w in transcript.words)
    assert 0 < transcript.confidence <= 1


def test_alternatives_are_the_other_texts_of_the_n_best_list(recognizer: PocketSphinxRecognizer) -> None:
    for name in ("clean/c03.wav", "clean/k05.wav", "noisy/c12_white10.wav"):
        (_, transcript), *_ = endpoints(UtteranceStream(recognizer), pcm_of(name))
        texts = [a.text for a in transcript.alternatives]
        assert 1 <= len(texts) <= MAX_ALTERNATIVES and len(set(texts)) == len(texts)
        assert transcript.text not in texts and all(texts)
        scores = [a.score for a in transcript.alternatives]
        assert scores == sorted(scores, reverse=True) and all(score <= 0 for score in scores)


def test_the_alternatives_hold_words_the_best_guess_missed(recognizer: PocketSphinxRecognizer) -> None:
    """Over the clean fixtures, the closest of the guesses has fewer word errors than the best one (48 against 61)."""
    best = closest = 0
    for case in (c for c in CASES if c["audio"].startswith("clean/")):
        stream = UtteranceStream(recognizer)
        heard = [t for _, t in endpoints(stream, pcm_of(case["audio"]))] + [e.transcript for e in [stream.flush()] if e]
        if len(heard) != 1:
            continue
        transcript = heard[0]
        best += word_errors(case["say"], transcript.text)
        closest += min(word_errors(case["say"], t) for t in [transcript.text, *(a.text for a in transcript.alternatives)])
    assert closest < 0.9 * best


def test_partial_then_reset_drops_the_utterance(recognizer: PocketSphinxRecognizer) -> None:
    pcm = pcm_of("clean/c16.wav")
    half = len(pcm) // 2 // CHUNK * CHUNK
    for start in range(0, half, CHUNK):
        recognizer.accept(pcm[start: start + CHUNK])
    assert recognizer.partial().split()[:2] == ["my", "knee"]
    recognizer.reset()
    assert recognizer.partial() == ""
    assert recognizer.finish().text == ""


def test_silence_gives_no_utterance_and_an_empty_transcript(recognizer: PocketSphinxRecognizer) -> None:
    floor = pcm_of("clean/k10.wav")[: 3200]  # the noise floor before the word
    stream = UtteranceStream(recognizer)
    assert stream.feed(floor * 20) == []
    assert stream.flush() is None
    assert recognizer.finish().text == ""


def test_bad_settings_and_files_give_voice_errors(domain_lm: DomainLM, tmp_path: Path) -> None:
    with pytest.raises(VoiceError):
        PocketSphinxRecognizer(domain_lm, sample_rate=8000)
    broken = tmp_path / "domain.lm.bin"
    broken.write_bytes(b"not a language model")
    with pytest.raises(VoiceError, match="delete that cache folder"):
        PocketSphinxRecognizer(DomainLM(broken, domain_lm.dict_path, domain_lm.words, {}, 0.0, True))


def test_lm_is_cached_by_corpus(domain_lm: DomainLM, tmp_path: Path) -> None:
    phrases = ["my knee hurts", "pain below the kneecap"]
    first = build_domain_lm(phrases, cache_dir=tmp_path, extra_words=["hello"])
    again = build_domain_lm(phrases, cache_dir=tmp_path, extra_words=["hello"])
    other = build_domain_lm([*phrases, "my shin aches"], cache_dir=tmp_path, extra_words=["hello"])
    assert (first.from_cache, again.from_cache, other.from_cache) == (False, True, False)
    assert again.lm_path == first.lm_path != other.lm_path
    assert again.made_pronunciations == first.made_pronunciations


def test_every_corpus_word_gets_a_pronunciation(tmp_path: Path) -> None:
    phrases = ["my knee tingles and my shins throb", "I tore my MPFL", "a kneeblorf feeling"]
    lm = build_domain_lm(phrases, cache_dir=tmp_path, extra_words=[])
    dictionary = {line.split()[0] for line in lm.dict_path.read_text().splitlines()}
    corpus_words = {w for sentence in build_corpus(phrases) for w in sentence.split()}
    assert corpus_words <= dictionary
    assert {"tingles", "shins", "kneeblorf"} <= set(lm.made_pronunciations)
    assert lm.made_pronunciations["mpfl"] == "EH M P IY EH F EH L"
    assert lm.made_pronunciations["tingles"].endswith("Z")
    recognizer = PocketSphinxRecognizer(lm)  # the decoder accepts every made-up pronunciation
    assert recognizer.finish().text == ""


def test_the_narrow_recogniser_hears_answers_as_other_accents_say_them_too(domain_lm: DomainLM) -> None:
    """cmudict is American: a Scottish "no" (a pure [o:]) was heard "sole" at a yes/no question.
    Open recognition keeps cmudict's alone ("now" came out "no" with it)."""
    narrow, open_ears = PocketSphinxRecognizer(domain_lm), PocketSphinxRecognizer(domain_lm)
    narrow.restrict(["yes", "no", "start over"])
    narrow.restrict(["yes", "no", "start over"])  # added once
    assert narrow._decoder.lookup_word("no(7)") == "N AO"
    assert narrow._decoder.lookup_word("start(7)") == "S T AA T"
    assert narrow._decoder.lookup_word("over(9)") == "AO V AH"
    assert narrow._decoder.lookup_word("yes(7)") is None  # said alike
    assert open_ears._decoder.lookup_word("no(7)") is None


def test_accent_variants_drop_the_r_after_a_vowel_and_shift_the_vowels() -> None:
    pronounce = {"more": "M AO R", "faster": "F AE S T ER", "three": "TH R IY", "knee": "N IY"}.get
    assert accent_variants(["tell me more", "faster", "three"], pronounce) == {
        "more(7)": "M AO", "faster(7)": "F AE S T AH", "faster(8)": "F AA S T ER", "faster(9)": "F AA S T AH"}
    assert non_rhotic("TH R IY".split()) == "TH R IY".split()  # an r before a vowel is said
    assert shifted_vowels("N OW".split()) == ["N", "AO"]
    assert accent_variants(["knee", "kneeblorf"], pronounce) == {}  # no other way, or no pronunciation


def test_pronunciations_are_derived_from_known_words() -> None:
    lexicon = Lexicon({"throb": ["TH R AA B"], "shin": ["SH IH N"], "knee": ["N IY"], "pad": ["P AE D"],
                       "walk": ["W AO K"]}, acronyms={"mcl"})
    assert lexicon.derive("throbs") == "TH R AA B Z"
    assert lexicon.derive("walked") == "W AO K T"
    assert lexicon.derive("kneepad") == "N IY P AE D"
    assert lexicon.derive("mcl") == "EH M S IY EH L"
    assert lexicon.derive("zzyzx") is None
    assert letter_to_sound("blorf") == "B L AO R F"
    with pytest.raises(VoiceError):
        lexicon.pronounce(["'"])


def test_the_packs_templates_expand_every_slot() -> None:
    """Undefined slots are refused by `kb check` (tests/knowledge/test_knowledge_loader.py)."""
    templates = PackSpeech.of(load_knowledge())
    sentences = templates.sample(500, random.Random(1))
    assert all("{" not in s and s == " ".join(s.split()) for s in sentences)
    assert len(set(sentences)) > 400
    assert "{} in my knee" in templates.frames and "i think i have {}" in templates.frames


def test_commands_stand_alone_in_the_corpus_as_often_as_symptom_talk_allows() -> None:
    corpus = build_corpus(["tell me more", "repeat that", "osteoarthritis", "Cartilage wears down. It hurts a lot over time."])
    assert corpus.count("tell me more") == corpus.count("osteoarthritis") > 1000
    # Prose is said once, however short the pieces its punctuation cuts it into.
    assert corpus.count("cartilage wears down") == corpus.count("it hurts a lot over time") == 1


def test_the_phrases_of_an_emergency_or_a_crisis_are_talk_of_their_own_in_the_corpus() -> None:
    speech = PackSpeech(frames=("i have {}",), urgent=("kill myself", "Chest pain."))
    corpus = build_corpus(["tell me more"], speech=speech)
    assert corpus.count("kill myself") == corpus.count("chest pain") > 100
    assert "i have chest pain" in corpus
    assert corpus.count("tell me more") == len(build_corpus(["tell me more"]))  # the commands keep their share


def test_an_emergency_with_frames_of_its_own_is_said_in_them_not_in_the_packs() -> None:
    speech = PackSpeech(frames=("i have {}",), urgent=("kill myself", "chest pain"),
                        said_in={"kill myself": ("i want to {}",)})
    corpus = build_corpus([], speech=speech)
    assert "i want to kill myself" in corpus and "i have kill myself" not in corpus
    assert "i have chest pain" in corpus and "i want to chest pain" not in corpus


def test_the_packs_speech_carries_every_emergency_phrase_in_its_frames() -> None:
    kb = load_knowledge()
    speech = PackSpeech.of(kb)
    assert {p for e in kb.domain.emergencies for p in e.phrases} == set(speech.urgent) and "end my life" in speech.urgent
    assert "i want to {}" in speech.said_in["end my life"]


def spoken(text: str, folder: Path) -> bytes:
    """`text` said by espeak-ng's American voice at a speaking level, over a quiet room's hiss
    (40 dB down), as 16 kHz PCM."""
    path = folder / "said.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(np.float64)
        rate = wav.getframerate()
    speech = resample(samples, rate, 16000)
    speech *= 3000 / np.sqrt(np.mean(speech[np.abs(speech) > 0.05 * np.abs(speech).max()] ** 2))
    padded = np.concatenate([np.zeros(8000), speech, np.zeros(16000)])
    return to_int16_pcm(padded + np.random.default_rng(0).normal(0, 30, padded.size))


EMERGENCIES = ("i want to end my life", "i have a crushing pain in my chest", "i think i am struggling to breathe",
               "i keep thinking about killing myself", "should i go to the hospital", "my leg is bleeding heavily",
               "i feel like hurting myself", "is this an emergency")


def test_emergencies_and_a_crisis_are_heard_as_they_were_said(recognizer: PocketSphinxRecognizer, tmp_path: Path) -> None:
    """6 of these 8 are heard as an emergency; without the emergency phrases in the language model, 1
    ("i want to end my life" was heard "i want to and my life", "is this an emergency" "is it a emergency")."""
    matcher = Matcher(load_knowledge())
    heard = [" ".join(transcribe(recognizer, spoken(text, tmp_path))) for text in EMERGENCIES]
    assert sum(matcher.match(text).emergency is not None for text in heard) >= 5, heard
