"""The loop with the real dialogue and knowledge, and scripted input/output around it.

The real engines run in test_end_to_end.py; here scripted input lets each recovery path be
forced exactly (a vanished microphone, a crashing turn, a kiosk idle timeout).
"""
import io
from dataclasses import replace

from voice.app import build_dialogue
from voice.session.captions import Captions
from voice.conversation.dialogue import Heard, NoInput, State
from voice.settings import Settings
from voice.errors import VoiceError
from voice.session.listening import EndOfInput
from voice.session.loop import GIVE_UP_AFTER, SORRY, Assistant
from voice.session.speaking import Spoken

from bundled import KB, match


class ScriptedInput:
    """Returns the scripted results in order; a callable entry is called (it may raise or poll)."""

    duplex = False

    def __init__(self, *script):
        self.script = list(script)
        self.after = []

    def listen(self, listen, poll):
        item = self.script.pop(0) if self.script else EndOfInput()
        return item(poll) if callable(item) else item

    def listen_during(self, playing, on_speech):
        return None

    def after_speech(self, ended_at):
        self.after.append(ended_at)


SPEECH_ENDED_AT = 1234.5


class Done:
    def __init__(self, spoken):
        self.spoken = spoken

    def playing(self):
        return False

    def wait(self):
        return self.spoken


class RecordingSpeaker:
    def __init__(self):
        self.said = []
        self.voice = []

    def speak(self, sentences):
        return self.start(sentences).wait()

    def start(self, sentences):
        self.said.append(sentences)
        return Done(Spoken(True, 1.5, ended_at=SPEECH_ENDED_AT))

    def set_voice(self, rate, volume):
        self.voice.append((rate, volume))

    def stop(self):
        pass


def assistant(user_input, understand=None, kiosk=False, reopen=None, settings=Settings()):
    dialogue = build_dialogue(KB, replace(settings, kiosk=kiosk), understand=understand)
    out = io.StringIO()
    speaker = RecordingSpeaker()
    return Assistant(dialogue, user_input, speaker, Captions(out), reopen_input=reopen, sleep=lambda s: None), speaker, out


def test_warning_first_then_repeat_repeats():
    bot, speaker, out = assistant(ScriptedInput(Heard("i can't put any weight on my leg and my calf aches"), Heard("repeat")))
    bot.run()
    answer = speaker.said[1]
    assert answer[0].startswith("Important") and "weight" in answer[1]
    assert speaker.said[2] == answer
    assert "You: repeat" in out.getvalue()


def test_half_duplex_forgets_what_was_heard_while_speaking():
    user_input = ScriptedInput(Heard("my knee hurts"))
    bot, speaker, _ = assistant(user_input)
    bot.run()
    assert user_input.after == [SPEECH_ENDED_AT] * len(speaker.said)


def test_a_crashing_turn_is_reported_and_the_session_goes_on():
    calls = []

    def understand(text):
        calls.append(text)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return match(text)

    bot, speaker, out = assistant(ScriptedInput(Heard("my kneecap aches on stairs"), Heard("my kneecap aches on stairs")),
                                  understand=understand)
    bot.run()
    assert SORRY in speaker.said and "Something went wrong: RuntimeError: boom" in out.getvalue()
    assert any("Runner's knee" in s for said in speaker.said for s in said)


def test_an_input_that_fails_every_turn_and_cannot_be_reopened_ends_the_session_with_the_reason():
    def broken(poll):
        raise VoiceError("Cannot write the speech model cache /x.")

    bot, speaker, out = assistant(ScriptedInput(*[broken] * 50))
    bot.run()
    assert speaker.said.count(SORRY) == GIVE_UP_AFTER - 1
    assert out.getvalue().count("Something went wrong: Cannot write the speech model cache /x.") == GIVE_UP_AFTER
    assert f"Stopping after {GIVE_UP_AFTER} failed turns in a row." in out.getvalue()


def test_vanished_microphone_is_reopened_with_backoff():
    reopened = []

    def unplugged(poll):
        raise VoiceError("the microphone is not available (unplugged)")

    def reopen():
        reopened.append(1)
        if len(reopened) == 1:
            raise VoiceError("still gone")

    bot, speaker, out = assistant(ScriptedInput(unplugged, unplugged, Heard("goodbye")), reopen=reopen)
    bot.run()
    text = out.getvalue()
    assert len(reopened) == 2 and "Still waiting for the microphone" in text and "working again" in text
    assert speaker.said[-1] == ("Goodbye. Take care.",)


def test_no_input_reprompts_then_goes_quiet():
    bot, speaker, _ = assistant(ScriptedInput(NoInput(), NoInput(), NoInput(), NoInput(), NoInput()))
    bot.run()
    prompts = speaker.said[1:]
    assert len(prompts) == 3 and prompts[0] != prompts[1] != prompts[2]


def test_kiosk_idle_says_goodbye_and_forgets_the_person():
    def wait_for_idle(poll):
        seconds = 0.5
        while not poll(seconds):
            seconds += 0.5
        return None

    bot, speaker, _ = assistant(ScriptedInput(Heard("my knee is swollen"), Heard("slower"), wait_for_idle, Heard("hello")),
                                kiosk=True, settings=Settings(idle_timeout=5.0))
    bot.run()
    said = [s[0] for s in speaker.said]
    assert "Goodbye. Take care." in said
    assert speaker.voice[-1] == (160, 0.7)  # rate and volume back to the defaults for the next person
    assert said[-1].startswith("I explain")  # the next person is greeted


class ScriptedRecognizer:
    """Hears `words` in any sound: the endpointer alone decides where the turns end."""

    name = "scripted"

    def __init__(self, words):
        self.words = words
        self._open = False

    def accept(self, pcm):
        self._open = True

    def partial(self):
        return self.words if self._open else ""

    def finish(self):
        from voice.asr.recognizer import Transcript
        text, self._open = self.partial(), False
        return Transcript(text)

    def reset(self):
        self._open = False


class Recording:
    def __init__(self, pcm):
        self.pcm = pcm

    def read(self, frames):
        chunk, self.pcm = self.pcm[:frames * 2], self.pcm[frames * 2:]
        return chunk

    def close(self):
        pass


def turns(words, expect, silence=0.5, complete=None):
    """How many turns a burst, a 0.7 s pause and another burst make when the words so far are `words`."""
    from synthetic_sound import sound
    from voice.conversation.events import Listen
    from voice.session.listening import SpokenInput

    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 0.7), ("voice", 0.5), ("quiet", 2.0)])
    spoken = SpokenInput(Recording(pcm), ScriptedRecognizer(words), live=False, silence=silence, complete=complete)
    heard = []
    while isinstance(result := spoken.listen(Listen(expect, 8.0), lambda s: False), Heard):
        heard.append(result)
    return len(heard)


def test_a_pause_mid_sentence_waits_longer():
    from voice.conversation.events import Expect

    assert turns("my knee hurts and", Expect.ANYTHING) == 1
    assert turns("my knee hurts", Expect.ANYTHING) == 2


def test_the_silence_setting_and_the_expected_answer_shape_the_turn():
    from voice.conversation.events import Expect

    assert turns("my knee hurts", Expect.DESCRIPTION, silence=0.8) == 1
    assert turns("yes", Expect.YES_NO, silence=0.8) == 2  # a short answer ends after a shorter pause
    assert turns("my knee is swollen", Expect.DESCRIPTION, silence=0.8, complete=lambda w: True) == 2


class DuplexInput(ScriptedInput):
    """Hears the scripted `during` utterances while the assistant speaks, one per Say."""

    duplex = True

    def __init__(self, during, *script):
        super().__init__(*script)
        self.during = list(during)

    def listen_during(self, playing, on_speech):
        heard = self.during.pop(0) if self.during else None
        if heard is not None:
            on_speech()
        return heard


class StoppableSpeaker(RecordingSpeaker):
    def __init__(self):
        super().__init__()
        self.stops = 0

    def stop(self):
        self.stops += 1


def duplex_assistant(user_input):
    bot, _, out = assistant(user_input)
    bot.speaker = StoppableSpeaker()
    return bot, bot.speaker, out


def test_speech_over_the_answer_cuts_it_and_is_the_persons_turn():
    answer_then_more = DuplexInput([None, Heard("tell me more")], Heard("my kneecap aches on stairs"))
    bot, speaker, out = duplex_assistant(answer_then_more)
    bot.run()
    assert speaker.stops >= 1
    assert "You: tell me more" in out.getvalue()
    more = speaker.said[-1]
    assert more != speaker.said[1] and more[0] not in speaker.said[1]  # the longer explanation, not the answer again


def test_stop_said_over_the_answer_ends_it_and_listens():
    stopped = DuplexInput([None, Heard("stop")], Heard("my kneecap aches on stairs"))
    bot, speaker, out = duplex_assistant(stopped)
    bot.run()
    assert speaker.stops >= 1 and "You: stop" in out.getvalue()
    assert len(speaker.said) == 2  # greeting, answer (cut); nothing said after "stop"


def test_the_rest_of_a_sentence_said_over_the_reply_to_its_first_half_is_answered_with_it():
    """A warning sign split by a pause that ended the turn: the real dialogue and knowledge advise it
    once the rest goes on with the first half (alone, "weight on my leg" gets "Where in your leg?"),
    and the captions show the rest as going on."""
    for going_on in (True, False):
        rest = Heard("weight on my leg", continues=going_on)
        bot, speaker, out = duplex_assistant(DuplexInput([None, rest], Heard("i fell and now i can't put any")))
        bot.run()
        assert speaker.stops >= 1
        assert ("You: ... weight on my leg" in out.getvalue()) == going_on
        assert speaker.said[-1][0].startswith("Important") == going_on, speaker.said[-1]


def test_what_goes_on_after_a_command_is_captioned_as_a_turn_of_its_own():
    """The caption's "..." says the words were joined; after "tell me more" they are not."""
    more_then_rest = DuplexInput([None, Heard("tell me more"), Heard("and my calf hurts", continues=True)],
                                 Heard("my kneecap aches on stairs"))
    bot, _, out = duplex_assistant(more_then_rest)
    bot.run()
    assert "You: and my calf hurts" in out.getvalue() and "..." not in out.getvalue().split("You: tell me more")[1]


class CutSpeaker(StoppableSpeaker):
    """Every speech is cut once its first sentence has begun."""

    def start(self, sentences):
        self.said.append(sentences)
        return Done(Spoken(False, 1.0, ended_at=SPEECH_ENDED_AT, started=1))


def test_a_word_over_the_answer_before_its_question_does_not_answer_it():
    """Seen live: "stop" heard as "now" 2.5 s into an answer ending "Did you say you can't put any
    weight on your leg?" answered the question "no" ("Good. Tell me if there is anything else.")."""
    description = Heard("my knee is swollen and throbs and my calves put any weight on my leg")
    bot, _, out = assistant(DuplexInput([None, Heard("now")], description))
    bot.speaker = CutSpeaker()
    bot.run()
    answer = bot.speaker.said[1]
    assert answer[-1].startswith("Did you say") and "You: now" in out.getvalue()
    assert len(bot.speaker.said) == 2 and bot.dialogue.state == State.CONFIRMING


def test_the_answers_a_question_offers_reach_the_recogniser():
    from synthetic_sound import sound
    from voice.conversation.events import Expect, Listen
    from voice.session.listening import SpokenInput

    class Expecting(ScriptedRecognizer):
        def __init__(self, words):
            super().__init__(words)
            self.expected = []

        def expect(self, answers):
            self.expected.append(tuple(answers))

    recognizer = Expecting("yes")
    spoken = SpokenInput(Recording(sound([("quiet", 0.5), ("voice", 0.4), ("quiet", 1.5)] * 2)), recognizer, live=False)
    spoken.listen(Listen(Expect.YES_NO, 8.0, ("yes", "no")), lambda s: False)
    spoken.listen(Listen(Expect.ANYTHING, 8.0), lambda s: False)
    assert recognizer.expected == [("yes", "no"), ()]
