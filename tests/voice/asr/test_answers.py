"""Answers the recogniser can hear: the choice between the open and the narrow recogniser.

Scripted recognisers pin the choice exactly; the real engines follow (libvosk on the generated
test model, PocketSphinx on the spoken fixtures).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from synthetic_sound import sound
from voice.asr.answers import MAX_PHRASE_SECONDS, MIN_PHRASE_POSTERIOR, AnswerRecognizer, HearsAnswers
from voice.asr.recognizer import Transcript, Word
from voice.asr.vosk import VoskRecognizer, load_model
from voice.audio.format import SAMPLE_RATE, SAMPLE_WIDTH
from voice.errors import VoiceError
from vosk_test_model import write_test_model

COMMANDS = ["repeat", "tell me more", "yes", "no"]
SECOND = SAMPLE_RATE * SAMPLE_WIDTH


class Scripted:
    """Hears `text` in any audio; records what it was fed and asked to listen for."""

    name = "scripted"

    def __init__(self, text: str):
        self.text = text
        self.fed = 0
        self.restricted: list = []

    def accept(self, pcm: bytes) -> None:
        self.fed += len(pcm)

    def partial(self) -> str:
        return self.text if self.fed else ""

    def finish(self) -> Transcript:
        heard, self.fed = self.text, 0
        return Transcript(heard, confidence=0.5, engine=self.name)

    def reset(self) -> None:
        self.fed = 0

    def restrict(self, phrases) -> None:
        self.restricted.append(phrases)


def hear(recognizer: AnswerRecognizer, seconds: float = 1.0) -> Transcript:
    for _ in range(round(seconds * 10)):
        recognizer.accept(bytes(SECOND // 10))
    return recognizer.finish()


def test_an_expected_phrase_heard_only_by_the_narrow_recogniser_is_taken() -> None:
    ears = AnswerRecognizer(Scripted("really mall"), Scripted("tell me more"), COMMANDS)
    ears.expect(("at the back", "all over"))
    assert isinstance(ears, HearsAnswers)
    assert ears.narrow.restricted == [["at the back", "all over", *COMMANDS]]
    heard = hear(ears)
    assert heard.text == "tell me more"
    assert heard.alternatives[0].text == "really mall"


def test_open_recognition_wins_when_it_heard_an_expected_phrase_or_much_more() -> None:
    for open_text in ("repeat", "my knee hurts when i climb stairs"):
        ears = AnswerRecognizer(Scripted(open_text), Scripted("tell me more"), COMMANDS)
        ears.expect(("yes", "no"))
        assert hear(ears).text == open_text


def test_words_that_are_no_expected_phrase_leave_open_recognition() -> None:
    ears = AnswerRecognizer(Scripted("no pain in my calf"), Scripted("no pain in"), COMMANDS)
    ears.expect(("yes", "no"))
    assert hear(ears).text == "no pain in my calf"


def test_without_a_question_the_narrow_recogniser_listens_for_the_commands() -> None:
    narrow = Scripted("tell me more")
    ears = AnswerRecognizer(Scripted("really mall"), narrow, COMMANDS)
    ears.expect(())
    assert narrow.restricted == [COMMANDS]
    assert hear(ears).text == "tell me more"


class Unsure(Scripted):
    """Hears `text` with every word at posterior `sure`."""

    def __init__(self, text: str, sure: float):
        super().__init__(text)
        self.sure = sure

    def finish(self) -> Transcript:
        heard = super().finish()
        words = tuple(Word(w, 0.1 * i, 0.1 * i + 0.1, self.sure) for i, w in enumerate(heard.text.split()))
        return Transcript(heard.text, words, self.sure, self.name)


def test_a_phrase_the_narrow_recogniser_is_unsure_of_leaves_open_recognition() -> None:
    for sure, taken in ((MIN_PHRASE_POSTERIOR - 0.1, "really mall"), (MIN_PHRASE_POSTERIOR, "tell me more")):
        ears = AnswerRecognizer(Scripted("really mall"), Unsure("tell me more", sure), COMMANDS)
        ears.expect(("yes", "no"))
        assert hear(ears).text == taken


class Counted(Scripted):
    """Scripted, counting the results read from it."""

    finished = 0

    def finish(self) -> Transcript:
        self.finished += 1
        return super().finish()


def test_a_long_utterance_is_left_to_open_recognition_without_reading_the_narrow_one() -> None:
    """Its result would be a cut-off guess; reading it cost the reply some 45 ms at each pause."""
    narrow = Counted("repeat")
    ears = AnswerRecognizer(Scripted("so it"), narrow, COMMANDS)
    ears.expect(("yes", "no"))
    heard = hear(ears, MAX_PHRASE_SECONDS + 1)
    assert heard.text == "so it" and "repeat" not in [a.text for a in heard.alternatives]
    assert narrow.finished == 0 and narrow.fed == 0  # reset, not read
    short = hear(ears, 1.0)
    assert short.text == "repeat" and narrow.finished == 1


def test_what_is_expected_changes_from_the_next_utterance_on() -> None:
    ears = AnswerRecognizer(Scripted("really mall"), Scripted("tell me more"), COMMANDS)
    ears.accept(bytes(SECOND // 10))
    ears.expect(("yes", "no"))  # the question arrives while someone is speaking
    assert hear(ears).text == "really mall"
    assert hear(ears).text == "tell me more"


@pytest.fixture(scope="module")
def vosk_model(tmp_path_factory: pytest.TempPathFactory):
    return load_model(write_test_model(tmp_path_factory.mktemp("vosk") / "m", ("alpha", "bravo", "charlie"),
                                       grammar=True))


def test_vosk_listens_for_the_answers_with_a_runtime_grammar(vosk_model) -> None:
    """To the test model every word sounds alike: open recognition hears its first word, the
    narrow one only what the grammar allows."""
    ears = AnswerRecognizer(VoskRecognizer(vosk_model), VoskRecognizer(vosk_model), ["bravo"])
    burst = sound([("quiet", 0.3), ("noise", 0.4), ("quiet", 0.5)])
    ears.accept(burst)
    assert ears.finish().text == "alpha"
    ears.expect(("charlie",))
    ears.accept(burst)
    heard = ears.finish()
    assert heard.text in ("charlie", "bravo")
    assert "alpha" in [a.text for a in heard.alternatives]
    ears.expect(())  # no question: the commands only
    ears.accept(burst)
    assert ears.finish().text == "bravo"


def test_pocketsphinx_answers_and_descriptions_with_a_question_waiting() -> None:
    from paths import AUDIO
    from knowledge.loader import load_knowledge
    from voice.app import build_ears
    from voice.audio.wavfile import load_wav

    ears = build_ears(load_knowledge(), "pocketsphinx").recognizer
    assert isinstance(ears, AnswerRecognizer)
    ears.expect(("yes", "no"))
    for name, words in (("clean/k10.wav", "yes"), ("clean/c03.wav", "kneecap")):
        ears.accept(load_wav(Path(AUDIO / name)).pcm)
        assert words in ears.finish().text.split()


def test_pocketsphinx_hears_commands_with_no_question_waiting() -> None:
    """The commands are listened for after an answer too; a description is still a description."""
    from paths import AUDIO
    from knowledge.loader import load_knowledge
    from voice.app import build_ears
    from voice.audio.wavfile import load_wav

    ears = build_ears(load_knowledge(), "pocketsphinx").recognizer
    ears.expect(())
    for name, said in (("clean/k09.wav", "goodbye"), ("clean/k02.wav", "say that again"),
                       ("clean/c03.wav", "kneecap")):
        ears.accept(load_wav(Path(AUDIO / name)).pcm)
        assert said in ears.finish().text


class Unmakeable(Scripted):
    """A narrow recogniser whose model cannot be made (an unwritable cache)."""

    def restrict(self, phrases) -> None:
        raise VoiceError("Cannot write the speech model cache /x: Permission denied.")


def test_a_narrow_model_that_cannot_be_made_leaves_open_recognition_with_one_warning(caplog) -> None:
    ears = AnswerRecognizer(Scripted("really mall"), Unmakeable("tell me more"), COMMANDS)
    with caplog.at_level("WARNING"):
        ears.expect(("at the back", "all over"))
        ears.expect(("yes", "no"))
    assert hear(ears).text == "really mall"
    assert [r.getMessage() for r in caplog.records] == [
        "Cannot write the speech model cache /x: Permission denied. Listening for anything instead of the expected answers."]


def test_the_phrase_models_are_built_beside_the_domain_model(tmp_path: Path) -> None:
    from voice.asr.pocketsphinx import PocketSphinxRecognizer

    ears = PocketSphinxRecognizer.from_phrases(["my knee hurts", "tell me more"], cache_dir=tmp_path)
    ears.restrict(["yes", "no", "tell me more"])
    assert [p.parent for p in tmp_path.rglob("*.lm.bin") if p.name != "domain.lm.bin"] == [ears.lm.lm_path.parent / "phrases"]


class Checked(Scripted):
    """An open recogniser with a generic-model check, which records when it is wanted."""

    def __init__(self, text: str):
        super().__init__(text)
        self.checks: list[bool] = []

    def check_generic(self, wanted: bool) -> None:
        self.checks.append(wanted)


def test_the_generic_check_is_left_out_while_a_question_waits() -> None:
    ears = AnswerRecognizer(Checked("yes"), Scripted("yes"), COMMANDS)
    ears.expect(("yes", "no"))
    ears.expect(())
    assert ears.open.checks == [False, True]


def test_an_utterance_finished_early_goes_on_with_the_recognisers_it_went_to() -> None:
    """After an early decode at a pause the person went on: both recognisers hear it all again, and
    the narrow one still listens for the phrases the utterance began with (not a newer question's)."""
    ears = AnswerRecognizer(Scripted("really mall"), Scripted("tell me more"), COMMANDS)
    ears.expect(("yes", "no"))
    assert hear(ears, 0.5).text == "tell me more"
    ears.expect(())
    ears.resume(bytes(SECOND))
    assert (ears.open.fed, ears.narrow.fed) == (SECOND, SECOND)
    assert ears.finish().text == "tell me more"
    long = AnswerRecognizer(Scripted("so it"), Scripted("repeat"), COMMANDS)
    long.expect(("yes", "no"))
    hear(long, 0.5)
    long.resume(bytes(round((MAX_PHRASE_SECONDS + 1) * SECOND)))
    assert long.narrow.fed == 0 and long.finish().text == "so it"  # grown past any phrase: not heard again
