"""The Speaker says what the knowledge pack spells out for speech ("ACL" -> "A C L"), while the
sentences it is given (the captions' text) keep the normal spelling."""
from knowledge.loader import load_knowledge
from voice.audio.format import SpeechAudio
from voice.session.speaking import Speaker


class WordsSynthesizer:
    """Records what it is asked to say; a unit-test stand-in beside the real espeak-ng tests."""

    def __init__(self):
        self.rate, self.volume, self.said = 160, 0.7, []

    def synthesize(self, text: str) -> SpeechAudio:
        self.said.append(text)
        return SpeechAudio(b"\0\0" * 160)


class Silent:
    def play(self, audio: SpeechAudio) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


def test_the_synthesiser_hears_the_packs_pronunciations():
    caption = "Injuries to knee ligaments, such as the ACL or the MCL, make the knee unstable."
    synthesizer = WordsSynthesizer()
    spoken = Speaker(synthesizer, Silent(), load_knowledge().domain.pronunciations).speak([caption])
    assert spoken.completed and synthesizer.said == [
        "Injuries to knee ligaments, such as the A C L or the M C L, make the knee unstable."]
