"""Decoding at the pause (for replies without delay) hears exactly what decoding at the endpoint hears,
also when the pause was only a pause and the person went on."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from test_pocketsphinx_recognizer import CASES, SESSIONS, endpoints, pcm_of

from knowledge.evaluation import word_errors
from knowledge.loader import load_knowledge
from voice.app import build_ears, whole_turn
from voice.asr.endpointing import TurnPolicy
from voice.asr.pocketsphinx import CMN_REFIT_SECONDS
from voice.asr.recognizer import Alternative, Transcript
from voice.asr.utterances import (EARLY_PADDING, PAUSE_BYTES, PauseStarted, SpeechResumed, UtteranceEnded,
                                  UtteranceStream)
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH


# "yes" twice (clean/k10.wav) has 0.8 s of silence between the words: under this policy that pause is
# announced (from 0.75 s, as it may soon end the turn) and ends nothing.
YES_PAUSE_YES = TurnPolicy(1.0)


@dataclass(frozen=True)
class Steady(TurnPolicy):
    """Every pause ends the turn after `silence`, whatever the words or the voice: the 1.1 s between
    "... feels hot" (clean/c12.wav), 0.3 s of silence and "yes" (clean/k10.wav) is announced and ends
    nothing under Steady(1.25)."""

    def pause_after(self, words: str, others: Sequence[str] = (), fell: bool = False) -> float:
        return self.silence


@pytest.fixture(scope="module")
def recognizer():
    return build_ears(load_knowledge(), "pocketsphinx").recognizer


def texts(recognizer, pcm: bytes, early: bool, policy: TurnPolicy | None = None) -> list[str]:
    recognizer.reset()
    stream = UtteranceStream(recognizer, policy, decode_at_pause=early)
    heard = [t.text for _, t in endpoints(stream, pcm)]
    last = stream.flush()
    return heard + ([last.transcript.text] if last else [])


def test_decoding_at_the_pause_hears_no_worse_than_at_the_endpoint(recognizer):
    sample = [case for case in CASES if case["audio"].startswith("clean/")][:6]
    errors = {early: sum(word_errors(case["say"], " ".join(texts(recognizer, pcm_of(case["audio"]), early)))
                         for case in sample) for early in (True, False)}
    assert errors[True] <= errors[False] + 2, errors


def test_a_session_splits_alike(recognizer):
    """With the assistant's own turn policy: words that make a whole turn end it either way (the
    early decode's other guesses only hold turns that are not whole yet)."""
    pcm = pcm_of(SESSIONS[0]["audio"])
    policy = TurnPolicy(complete=whole_turn(load_knowledge()))
    assert len(texts(recognizer, pcm, True, policy)) == len(texts(recognizer, pcm, False, policy))


def test_a_pause_that_was_not_the_end_is_decoded_again_whole(recognizer):
    """'yes', a pause shorter than the turn's, 'yes': one utterance, both words, after a resume."""
    yes_pause_yes = pcm_of("clean/k10.wav") * 2
    stream = UtteranceStream(recognizer, YES_PAUSE_YES, decode_at_pause=True)
    events = [e for start in range(0, len(yes_pause_yes), 2048) for e in stream.feed(yes_pause_yes[start:start + 2048])]
    assert any(isinstance(e, PauseStarted) for e in events) and any(isinstance(e, SpeechResumed) for e in events)
    assert texts(recognizer, yes_pause_yes, True, YES_PAUSE_YES) == texts(recognizer, yes_pause_yes, False,
                                                                            YES_PAUSE_YES)


def test_a_pause_over_within_the_audio_fed_costs_no_early_decode(recognizer, monkeypatch):
    """A listener behind the microphone feeds all it holds at once: the pause inside it was no end."""
    yes_pause_yes = pcm_of("clean/k10.wav") * 2
    finished = []
    real_finish = recognizer.finish
    monkeypatch.setattr(recognizer, "finish", lambda: finished.append(1) or real_finish())

    def finishes(chunk: int) -> int:
        finished.clear()
        recognizer.reset()
        stream = UtteranceStream(recognizer, YES_PAUSE_YES, decode_at_pause=True)
        for start in range(0, len(yes_pause_yes), chunk):
            stream.feed(yes_pause_yes[start:start + chunk])
        assert stream.flush() is not None
        return len(finished)

    assert finishes(960) >= 2  # 30 ms at a time: decoded at the pause, then again at the end
    assert finishes(len(yes_pause_yes)) == 1


def test_the_early_decodes_padding_is_decoded_but_never_refitted_on(recognizer, monkeypatch):
    """The pause's background fed again before the early decode is not the person's audio: on the
    real PocketSphinx it reaches no refit of the cepstral mean (each one decodes all the audio again),
    while the same audio as speech would."""
    ears = recognizer.open
    speech = pcm_of("clean/k10.wav")
    refit_at = int(CMN_REFIT_SECONDS[-1] * SAMPLE_RATE) * SAMPLE_WIDTH
    restarts = []
    real_restart = ears._restart_decoding
    monkeypatch.setattr(ears, "_restart_decoding", lambda audio: restarts.append(len(audio)) or real_restart(audio))
    recognizer.reset()
    recognizer.accept((speech * 2)[:refit_at - 3200])
    before = len(restarts)
    recognizer.pad(b"\0" * 6400)
    assert len(restarts) == before and recognizer.finish().engine == "pocketsphinx"
    recognizer.accept((speech * 2)[:refit_at - 3200])
    recognizer.accept(b"\0" * 6400)
    assert len(restarts) == before + 1 + len(CMN_REFIT_SECONDS)
    recognizer.reset()


class Listening:
    """A recogniser that adapts (`Adapts`), hearing "yes" in anything: what it was fed, and how."""

    name = "fake"

    def __init__(self):
        self.fed: list[tuple[str, int]] = []

    def accept(self, pcm: bytes) -> None:
        self.fed.append(("accept", len(pcm)))

    def pad(self, pcm: bytes) -> None:
        self.fed.append(("pad", len(pcm)))

    def resume(self, pcm: bytes) -> None:
        self.fed.append(("resume", len(pcm)))

    def partial(self) -> str:
        return "yes"

    def finish(self) -> Transcript:
        return Transcript("yes")

    def reset(self) -> None:
        self.fed.clear()


def test_the_stream_pads_the_early_decode_through_pad():
    ears = Listening()
    stream = UtteranceStream(ears, TurnPolicy(1.2), decode_at_pause=True)
    yes_then_quiet = pcm_of("clean/k10.wav") + b"\0" * 16000
    for start in range(0, len(yes_then_quiet), 960):
        stream.feed(yes_then_quiet[start:start + 960])
    assert [kind for kind, _ in ears.fed if kind == "pad"] == ["pad"] * EARLY_PADDING
    assert all(size == PAUSE_BYTES for kind, size in ears.fed if kind == "pad")


def test_a_resume_keeps_the_fitted_mean_and_decodes_once(recognizer, monkeypatch):
    """A description, a pause that ends no turn, more words: after the early decode the utterance is
    decoded again in one pass with the cepstral mean its refits found, and hears what a decode with
    no early one hears. Decoded afresh, it refitted twice more (each a decode of all so far again)."""
    ears = recognizer.open
    speech = pcm_of("clean/c12.wav") + b"\0" * 9600 + pcm_of("clean/k10.wav")
    decodes: list[int] = []
    real_restart = ears._restart_decoding
    monkeypatch.setattr(ears, "_restart_decoding", lambda audio: decodes.append(len(audio)) or real_restart(audio))
    endpoint_text = texts(recognizer, speech, False, Steady(1.25))
    fresh = len(decodes)
    decodes.clear()
    early_text = texts(recognizer, speech, True, Steady(1.25))
    assert early_text == endpoint_text and len(early_text) == 1
    assert len(decodes) == fresh + 1, decodes  # the resume's one pass, from the start: no refit again


def test_a_resume_before_any_refit_decodes_afresh(recognizer):
    """Under 0.8 s nothing was fitted yet: the utterance starts over as it would have."""
    ears = recognizer.open
    ears.reset()
    short = pcm_of("clean/k10.wav")[:int(CMN_REFIT_SECONDS[0] * SAMPLE_RATE) * SAMPLE_WIDTH - 3200]
    ears.accept(short)
    ears.finish()
    ears.resume(short)
    assert ears.finish().engine == "pocketsphinx"


def test_the_stream_resumes_through_resume():
    ears = Listening()
    stream = UtteranceStream(ears, YES_PAUSE_YES, decode_at_pause=True)
    yes_pause_yes = pcm_of("clean/k10.wav") * 2
    for start in range(0, len(yes_pause_yes), 960):
        stream.feed(yes_pause_yes[start:start + 960])
    assert "resume" in [kind for kind, _ in ears.fed]


class Hesitant(Listening):
    """Hears "yes", with "yes and" among its other guesses once the utterance is decoded."""

    def finish(self) -> Transcript:
        return Transcript("yes", alternatives=(Alternative("yes and", -1.0),))


def test_a_pause_inside_audio_fed_at_once_is_decoded_before_it_ends_the_turn():
    """A listener that fell behind feeds all it holds at once: the turn must not end inside it on the
    running guess when the decode at the pause has a continuing word among its other guesses."""
    yes_pause_yes = pcm_of("clean/k10.wav") * 2
    stream = UtteranceStream(Hesitant(), TurnPolicy(0.5), decode_at_pause=True)
    events = stream.feed(yes_pause_yes)
    assert not any(isinstance(e, UtteranceEnded) for e in events) and stream.in_utterance
