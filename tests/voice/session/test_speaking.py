"""How far speech got when it was cut: the dialogue needs it to know whether its question was heard."""
from voice.audio.format import SpeechAudio
from voice.session.speaking import Speaker
from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

SENTENCES = ("Marked swelling around the knee can be a sign of infection.", "Please see a doctor about it soon.",
             "Did you say you can't put any weight on your leg?")


class CutsAfter:
    """A sink that cuts the speech while its `sentences`-th sentence plays."""

    def __init__(self, sentences: int):
        self.sentences, self.played, self.speaker = sentences, 0, None

    def play(self, audio: SpeechAudio) -> None:
        self.played += 1
        if self.played == self.sentences:
            self.speaker.stop()

    def stop(self) -> None: ...
    def close(self) -> None: ...


def speak(cut_in: int):
    sink = CutsAfter(cut_in)
    sink.speaker = Speaker(Pyttsx3Synthesizer(), sink)
    return sink.speaker.speak(SENTENCES)


def test_speech_cut_in_a_sentence_counts_the_sentences_begun():
    spoken = speak(cut_in=1)
    assert not spoken.completed and spoken.started == 1


def test_speech_played_to_the_end_began_every_sentence():
    spoken = speak(cut_in=len(SENTENCES) + 1)
    assert spoken.completed and spoken.started == len(SENTENCES)
