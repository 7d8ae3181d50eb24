"""The generic language model's second opinion, heard by real PocketSphinx beside the domain model."""
from __future__ import annotations

import wave

import pytest

from knowledge.loader import load_knowledge
from voice.asr.generic_check import GenericCheck
from voice.asr.pocketsphinx import PocketSphinxRecognizer
from voice.asr.pocketsphinx_lm.build import DomainLM, PackSpeech, build_domain_lm, knowledge_phrases
from voice.conversation.commands import spoken_phrases
from paths import AUDIO

CHUNK = 2048  # 64 ms, as a microphone callback would deliver


def pcm_of(relative: str) -> bytes:
    with wave.open(str(AUDIO / relative)) as wav:
        return wav.readframes(wav.getnframes())


@pytest.fixture(scope="module")
def domain_lm(tmp_path_factory: pytest.TempPathFactory) -> DomainLM:
    kb = load_knowledge()
    return build_domain_lm(knowledge_phrases(kb) + spoken_phrases(), cache_dir=tmp_path_factory.mktemp("lm"),
                           speech=PackSpeech.of(kb))


@pytest.fixture(scope="module")
def checked(domain_lm: DomainLM) -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer(domain_lm, generic_check=GenericCheck())


def heard(recognizer: PocketSphinxRecognizer, pcm: bytes):
    for start in range(0, len(pcm), CHUNK):
        recognizer.accept(pcm[start:start + CHUNK])
    return recognizer.finish()


def test_each_utterance_carries_the_generic_models_guess(checked: PocketSphinxRecognizer) -> None:
    transcript = heard(checked, pcm_of("clean/o01.wav"))
    generic = [a for a in transcript.alternatives if a.generic]
    assert len(generic) == 1 and generic[0].text


def test_the_check_leaves_the_domain_models_words_alone(checked: PocketSphinxRecognizer, domain_lm: DomainLM) -> None:
    pcm = pcm_of("clean/c01.wav")
    assert heard(checked, pcm).text == heard(PocketSphinxRecognizer(domain_lm), pcm).text


def test_a_short_utterance_is_checked_at_its_end(checked: PocketSphinxRecognizer) -> None:
    """Shorter than the first cepstral-mean refit: decoded by the generic model only at the endpoint."""
    transcript = heard(checked, pcm_of("clean/o01.wav")[:16000])
    assert [a.generic for a in transcript.alternatives].count(True) == 1


@pytest.mark.parametrize("started", [False, True])
def test_a_reset_utterance_leaves_nothing_for_the_next(started: bool) -> None:
    check, fresh = GenericCheck(), GenericCheck()
    mean = "40,3,-1,0,0,0,0,0,0,0,0,0,0"
    check.accept(pcm_of("clean/c01.wav")[:40000])
    if started:
        check.start(mean)
    check.reset()
    for checker in (check, fresh):
        checker.accept(pcm_of("clean/o01.wav"))
    assert check.finish(mean).text == fresh.finish(mean).text


def test_a_reset_recogniser_has_nothing_to_report(checked: PocketSphinxRecognizer) -> None:
    checked.accept(pcm_of("clean/c01.wav")[:40000])
    checked.reset()
    assert checked.finish().alternatives == ()


def test_the_recogniser_the_assistant_builds_checks_with_the_generic_model(tmp_path) -> None:
    recognizer = PocketSphinxRecognizer.from_phrases(["my knee hurts"], cache_dir=tmp_path)
    assert any(a.generic for a in heard(recognizer, pcm_of("clean/o01.wav")).alternatives)


def test_answers_to_a_question_are_not_checked_and_descriptions_are_again(domain_lm: DomainLM) -> None:
    ears = PocketSphinxRecognizer(domain_lm, generic_check=GenericCheck())
    pcm = pcm_of("clean/c03.wav")
    ears.check_generic(False)
    assert not any(a.generic for a in heard(ears, pcm).alternatives)
    ears.check_generic(True)
    assert any(a.generic and a.text for a in heard(ears, pcm).alternatives)


def test_a_generic_model_that_cannot_be_loaded_is_said_once_and_left_out(domain_lm, monkeypatch, tmp_path, caplog):
    monkeypatch.setattr("voice.asr.generic_check.bundled_model_dir", lambda: tmp_path)
    pcm = pcm_of("clean/c03.wav")
    with caplog.at_level("WARNING"):
        ears = PocketSphinxRecognizer(domain_lm, generic_check=GenericCheck())
        first, second = heard(ears, pcm), heard(ears, pcm)
    assert first.text and first.text == second.text
    assert not any(a.generic for a in first.alternatives + second.alternatives)
    assert len(caplog.records) == 1 and "could not load its generic model" in caplog.records[0].getMessage()
