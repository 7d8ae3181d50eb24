"""Listening at a real (virtual) microphone with the real PocketSphinx: nothing the person says
after the assistant spoke is lost, however long it spoke."""
from __future__ import annotations

import subprocess
import threading
import time

import numpy as np
import pytest

from knowledge.loader import load_knowledge
from voice.app import build_ears
from voice.asr.endpointing import MID_PHRASE_FACTOR
from voice.asr.recognizer import Transcript
from voice.audio.echo_cancel import ResidualEchoGate
from voice.audio.microphone import MicrophoneSource
from voice.conversation.events import Expect, Heard, Listen
from voice.session.listening import ECHO_GUARD_SECONDS, SpokenInput

audio = pytest.mark.audio


@pytest.fixture(scope="module")
def recognizer():
    return build_ears(load_knowledge(), "pocketsphinx").recognizer


@pytest.fixture(scope="module")
def shin_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("person") / "shin.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+klatt2", "-s", "150", "-w", str(path), "my shin aches when i walk"],
                   check=True, capture_output=True)
    return path


@audio
def test_speech_right_after_a_long_answer_is_heard(virtual_audio, recognizer, shin_wav):
    """The answer lasts longer than the microphone's buffer; the person speaks just after it."""
    with MicrophoneSource(buffer_seconds=1.0) as mic:
        listening = SpokenInput(mic, recognizer, live=True)
        time.sleep(2.5)  # the assistant speaks; nobody reads the microphone (half duplex)
        listening.after_speech(time.monotonic())
        time.sleep(ECHO_GUARD_SECONDS)
        person = virtual_audio.feed_mic(shin_wav, wait=False)
        heard = listening.listen(Listen(Expect.DESCRIPTION, 8.0), lambda seconds: False)
        person.wait(timeout=30)
    assert isinstance(heard, Heard) and {"shin", "walk"} & set(heard.text.split()), heard


@audio
def test_audio_from_while_it_spoke_is_skipped(virtual_audio, recognizer, shin_wav):
    """Without an echo canceller, what the microphone caught while the assistant spoke is its own voice."""
    with MicrophoneSource() as mic:
        listening = SpokenInput(mic, recognizer, live=True)
        virtual_audio.feed_mic(shin_wav)  # stands for the assistant's own voice coming back
        listening.after_speech(time.monotonic())
        heard = listening.listen(Listen(Expect.DESCRIPTION, 2.0), lambda seconds: False)
    assert not isinstance(heard, Heard), heard


def test_a_recording_has_nothing_to_skip(recognizer):
    class Recording:
        def read(self, frames):
            return b""

        def close(self):
            pass

        def ignore_before(self, moment):
            raise AssertionError("a recording has no echo to skip")

    SpokenInput(Recording(), recognizer, live=False).after_speech(time.monotonic())


def test_what_is_heard_carries_the_recognisers_other_guesses(recognizer):
    from paths import AUDIO
    from voice.audio.wavfile import WavSource

    heard = SpokenInput(WavSource(AUDIO / "clean" / "c03.wav"), recognizer, live=False).listen(
        Listen(Expect.DESCRIPTION, 8.0), lambda seconds: False)
    assert isinstance(heard, Heard) and heard.alternatives
    assert heard.text not in {a.text for a in heard.alternatives}


@audio
def test_listening_during_speech_hears_the_person_and_reports_the_start(virtual_audio, recognizer, shin_wav):
    """The person speaks a second into the answer, as over a real one: the residual gate has had a
    second of the canceller's output to learn from, as it would have."""
    started = threading.Event()
    with MicrophoneSource() as mic:
        listening = SpokenInput(mic, recognizer, live=True, echo_cancelled=lambda: True)
        assert listening.duplex
        speaks = threading.Timer(1.0, virtual_audio.feed_mic, (shin_wav,))  # plays it whole
        speaks.start()
        deadline = time.monotonic() + 15.0  # the voice lasts 2 s: a voice never heard fails, not hangs
        heard = listening.listen_during(lambda: not started.is_set() and time.monotonic() < deadline, started.set)
        speaks.join()
    assert started.is_set(), (heard, mic.dropped_frames)
    assert isinstance(heard, Heard) and {"shin", "walk"} & set(heard.text.split()), heard


@audio
def test_listening_during_speech_ends_with_the_speech_when_nobody_speaks(virtual_audio, recognizer):
    deadline = time.monotonic() + 1.0
    with MicrophoneSource() as mic:
        listening = SpokenInput(mic, recognizer, live=True, echo_cancelled=lambda: True)
        heard = listening.listen_during(lambda: time.monotonic() < deadline, lambda: None)
    assert heard is None and time.monotonic() - deadline < 0.5


def test_words_heard_over_the_speech_cut_it_even_when_none_came_before_the_final_decode():
    """A short word said over the answer may bring no partial words until its utterance ends (seen
    for "stop" through the room echo): its words still cut the speech before they are handled."""
    from paths import AUDIO
    from voice.audio.wavfile import WavSource

    cut: list[bool] = []
    source = WavSource(AUDIO / "clean" / "k04.wav")
    heard = SpokenInput(source, Scripted("louder please"), live=False).listen_during(lambda: not cut, lambda: cut.append(True))
    source.close()
    assert isinstance(heard, Heard) and heard.text == "louder please"
    assert cut == [True]


def test_a_loud_voice_over_the_speech_with_no_words_made_out_cuts_it():
    """Through the canceller a "stop" can reach the recogniser as nothing it makes words of (live, 1
    run in 7 played the answer to its end): a voice far louder than the residual still cuts it; the
    quiet residual itself never does."""
    from paths import AUDIO
    from voice.audio.wavfile import read_wav

    samples = np.frombuffer(read_wav(AUDIO / "clean" / "k04.wav")[1], dtype="<i2").astype(np.float64)
    frames = samples[:samples.size // 160 * 160].reshape(-1, 160)
    loudest = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)).max() / 32768)
    floor = ResidualEchoGate.FLOOR_DBFS + ResidualEchoGate.MARGIN_DB  # the gate's threshold, nothing learnt yet
    for peak, cuts in ((-15.0, True), (floor + ResidualEchoGate.VOICE_MARGIN_DB / 2, False)):
        cut: list[bool] = []
        voice = (samples * 10 ** ((peak - loudest) / 20)).astype("<i2").tobytes()
        source = Pcm(bytes(16000) + voice + bytes(32000))
        recognizer = Scripted("")
        listening = SpokenInput(source, recognizer, live=True, echo_cancelled=lambda: True)
        heard = listening.listen_during(lambda: source.seconds < 2.5, lambda: cut.append(True))
        assert recognizer.pcm  # the endpointer found a voice
        assert (heard == Heard("", 0.0) and cut == [True]) if cuts else (heard is None and not cut), peak


def test_live_audio_reaches_the_recogniser_without_exact_digital_silence():
    """The canceller's and the gate's silence is exact zeros, which skew PocketSphinx's features; a
    recording is heard as it is."""
    from paths import AUDIO
    from voice.audio.wavfile import read_wav

    voice = read_wav(AUDIO / "clean" / "k04.wav")[1]
    for live in (True, False):
        recognizer = Scripted("my knee")
        SpokenInput(Pcm(bytes(16000) + voice + bytes(32000)), recognizer, live=live).listen(
            Listen(Expect.ANYTHING, 5.0), lambda seconds: False)
        zero = np.concatenate([[0], np.frombuffer(bytes(recognizer.pcm), dtype="<i2") == 0, [0]]).astype(int)
        edges = np.flatnonzero(np.diff(zero))
        longest = int((edges[1::2] - edges[::2]).max(initial=0))
        assert (longest < 16) == live, (live, longest)  # live: no run of zeros a millisecond long


class Scripted:
    """A recogniser that keeps the audio handed to it, has no partial words, and hears `text` at the end."""

    name = "scripted"

    def __init__(self, text: str):
        self.text = text
        self.pcm = bytearray()

    def accept(self, pcm: bytes) -> None:
        self.pcm += pcm

    def partial(self) -> str:
        return ""

    def finish(self) -> Transcript:
        return Transcript(self.text, confidence=0.9 if self.text else 0.0, engine=self.name)

    def reset(self) -> None:
        pass


class Pcm:
    """An AudioSource over bytes of pipeline-format audio; `seconds` read so far."""

    def __init__(self, pcm: bytes):
        self.pcm = pcm
        self.seconds = 0.0

    def read(self, frames: int) -> bytes:
        chunk, self.pcm = self.pcm[:frames * 2], self.pcm[frames * 2:]
        self.seconds += len(chunk) / 32000
        return chunk

    def close(self) -> None:
        pass


def test_over_the_speech_a_few_words_end_at_a_short_pause_and_a_description_pauses_as_ever():
    from voice.session.listening import OverSpeech

    policy = OverSpeech(0.5, complete=lambda words: words == "my knee hurts")
    assert policy.pause_after("and") == policy.pause_after("stop it") == policy.pause_after("tell me more") == 0.35
    assert policy.pause_after("my knee hurts and") == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("my knee hurts") == 0.35


def test_a_description_begun_over_the_speech_keeps_its_pauses(recognizer):
    """A description begun over the answer, or as it ends, is heard whole across a pause after "and"."""
    from paths import AUDIO
    from voice.audio.wavfile import read_wav

    pcm = read_wav(AUDIO / "clean" / "c01.wav")[1]  # "my knee hurts and | the pain goes down into my calf"
    cut = int(1.24 * 16000) * 2
    paused = pcm[:cut] + bytes(int(0.9 * 16000) * 2) + pcm[cut:] + bytes(16000)
    for speech_ends in (1.0, 60.0):  # seconds into the audio: as it starts, or over all of it
        source = Pcm(paused)
        heard = SpokenInput(source, recognizer, live=False).listen_during(lambda: source.seconds < speech_ends,
                                                                         lambda: None)
        assert isinstance(heard, Heard) and "calf" in heard.text, (speech_ends, heard)


def test_words_over_the_reply_begun_soon_after_the_turn_ended_go_on_with_it(recognizer):
    """A pause mid-sentence longer than the endpointer waits ends the turn; the rest, said over the
    reply, is marked as going on with it, unless it came well after the turn ended."""
    from paths import AUDIO
    from voice.audio.wavfile import read_wav
    from voice.session.listening import CONTINUE_SECONDS

    pcm = read_wav(AUDIO / "clean" / "c01.wav")[1]  # "my knee hurts and | the pain goes down into my calf"
    cut = int(1.24 * 16000) * 2
    held = 0.5 * MID_PHRASE_FACTOR  # what a pause after "and" ends the turn after
    for pause, continues in ((held + CONTINUE_SECONDS / 2, True), (held + CONTINUE_SECONDS + 1.0, False)):
        source = Pcm(pcm[:cut] + bytes(int(pause * 16000) * 2) + pcm[cut:] + bytes(16000))
        listening = SpokenInput(source, recognizer, live=True, echo_cancelled=lambda: True)
        first = listening.listen(Listen(Expect.DESCRIPTION, 8.0), lambda seconds: False)
        rest = listening.listen_during(lambda: True, lambda: None)
        assert isinstance(first, Heard) and "calf" not in first.text and not first.continues, (pause, first)
        assert isinstance(rest, Heard) and "calf" in rest.text and rest.continues == continues, (pause, rest)


def test_a_command_said_just_after_the_turn_ended_is_a_command():
    from paths import AUDIO
    from voice.audio.wavfile import read_wav

    voice = read_wav(AUDIO / "clean" / "k04.wav")[1]
    for text, continues in (("stop", False), ("my calf", True)):
        source = Pcm(bytes(16000) + voice + bytes(16000) + voice + bytes(32000))
        listening = SpokenInput(source, Scripted(text), live=False)
        listening.listen(Listen(Expect.DESCRIPTION, 8.0), lambda seconds: False)
        rest = listening.listen_during(lambda: True, lambda: None)
        assert isinstance(rest, Heard) and rest.continues == continues, (text, rest)
