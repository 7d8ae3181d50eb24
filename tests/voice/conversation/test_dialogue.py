"""The dialogue state machine, with small fake knowledge and with the real matcher and replies."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.model import Match, Reply, TopicScore
from knowledge.reply import compose_reply, warnings_overview
from voice.conversation.commands import _PHRASES, Command
from voice.conversation.events import Expect
from voice.conversation.dialogue import Dialogue, State, Timing, VoiceLimits
from voice.conversation.events import (Exit, ForgetPerson, Heard, Idle, Listen, NoInput, Say, SetVoice, SpeechCut,
                                       SpeechDone, Start, StopKey, StopSpeaking)
from voice.asr.recognizer import Alternative
from voice.conversation.prompts import load_prompts
from voice.conversation.turns import YES_NO
from paths import CASES
from bundled import KB, match

DOMAIN = KB.domain
GREETING = (DOMAIN.greeting,)
HELP = tuple(s.format(example=DOMAIN.example) for s in load_prompts().help)
KNEE_QUESTION, WHERE_QUESTION, WORSE_QUESTION = (next(f for f in DOMAIN.follow_ups if f.id == name)
                                                  for name in ("home", "where", "worse"))
LIMITS = VoiceLimits()
UNSURE = 0.5  # heard, but not confidently: read back before it is used
WARNING_SIGNS = ("WARNING SIGNS: see a doctor for these.",)


class FakeKnowledge:
    """Keyword rules that give each kind of match the dialogue must handle; records what it was asked."""

    def __init__(self):
        self.understood: list[str] = []

    def understand(self, text: str) -> Match:
        self.understood.append(text)
        t = text.lower()
        warnings = ("cannot_bear_weight",) if "weight" in t else ()
        if "shoulder" in t or not any(w in t for w in ("knee", "calf", "leg", "weight", "zebra")):
            return Match(text, out_of_scope=True)
        if "zebra" in t:  # in scope, nothing found
            return Match(text, warnings=warnings, about_area=True)
        if "front" in t:
            topics, locations = (TopicScore("patellofemoral_pain", 3.0),), ("knee",)
        elif "calf" in t and "walk" in t:
            topics, locations = (TopicScore("altered_gait", 2.6), TopicScore("referred_pain", 0.6)), ("calf",)
        elif "calf" in t:
            topics, locations = (TopicScore("referred_pain", 0.6), TopicScore("altered_gait", 0.6)), ("calf",)
        elif "leg" in t:
            topics, locations = (TopicScore("overview", 1.5),), ()
        else:
            topics, locations = (), ("knee",)
        return Match(text, topics=topics, locations=locations, warnings=warnings, about_area=True)

    @staticmethod
    def respond(m: Match) -> Reply:
        if m.out_of_scope:
            return Reply(("I cover knee and leg pain.",))
        if not m.topics and not m.warnings:
            return Reply((f"I heard: {m.text}.", "Example one.", "Example two."))
        return Reply(tuple(f"WARNING {w}" for w in m.warnings) + (f"ANSWER {m.text}",), more=(f"MORE {m.text}",),
                     warning_ids=m.warnings)


def check_batch(actions: list) -> None:
    """The loop's contract: a Say is last; otherwise a non-empty batch ends with Listen or Exit."""
    says = [a for a in actions if isinstance(a, Say)]
    assert len(says) <= 1
    if says:
        assert actions[-1] is says[0]
        assert says[0].sentences and all(isinstance(s, str) and s.strip() for s in says[0].sentences)
    elif actions:
        assert isinstance(actions[-1], (Listen, Exit)), actions


class Talk:
    """Drives a dialogue as the loop would, checking every batch."""

    def __init__(self, kiosk: bool = False, knowledge=None, **options):
        self.knowledge = knowledge or FakeKnowledge()
        warning_signs = options.pop("warning_signs", WARNING_SIGNS)
        options.setdefault("domain", DOMAIN)
        self.d = Dialogue(self.knowledge.understand, self.knowledge.respond, warning_signs=warning_signs,
                          kiosk=kiosk, **options)
        self.spoken: list[Say] = []

    def send(self, event) -> list:
        actions = self.d.handle(event)
        check_batch(actions)
        self.spoken += [a for a in actions if isinstance(a, Say)]
        return actions

    def turn(self, event) -> tuple[list, list]:
        """Send `event`; if it made the assistant speak, let the speech finish."""
        actions = self.send(event)
        return actions, (self.send(SpeechDone()) if any(isinstance(a, Say) for a in actions) else [])

    def hear(self, text: str, confidence: float = 1.0) -> tuple[list, list]:
        return self.turn(Heard(text, confidence))

    def start(self) -> Talk:
        self.turn(Start())
        return self


def person(dialogue: Dialogue) -> str:
    """Everything the dialogue holds that a freshly built one does not (its wording is the same for everyone)."""
    fresh = vars(Dialogue(dialogue._understand, dialogue._respond, warning_signs=dialogue._warning_signs,
                          kb=dialogue._kb, domain=dialogue._domain, kiosk=dialogue.kiosk))
    return repr({k: v for k, v in vars(dialogue).items() if repr(v) != repr(fresh.get(k))})


def say_of(actions: list) -> Say | None:
    return next((a for a in actions if isinstance(a, Say)), None)


def listen_of(actions: list) -> Listen | None:
    return next((a for a in actions if isinstance(a, Listen)), None)


# --- states every command is tried in -------------------------------------------------------

def ready() -> Talk:
    return Talk().start()


def answered() -> Talk:
    talk = ready()
    talk.hear("pain at the front of my knee")
    return talk


def confirming() -> Talk:
    talk = answered()
    talk.hear("calf", confidence=UNSURE)
    assert talk.d.state == State.CONFIRMING
    return talk


def follow_up() -> Talk:
    talk = answered()
    talk.hear("my knee hurts")
    assert talk.d.state == State.FOLLOW_UP
    return talk


def quiet() -> Talk:
    talk = answered()
    for _ in range(3):
        talk.turn(NoInput())
    return talk


def speaking() -> Talk:
    talk = ready()
    talk.send(Heard("pain at the front of my knee"))
    assert talk.d.speaking
    return talk


def awaiting_person() -> Talk:
    talk = Talk(kiosk=True).start()
    talk.hear("pain at the front of my knee")
    talk.turn(Idle(61))
    assert talk.d.state == State.AWAITING_PERSON
    return talk


STATES = {f.__name__: f for f in (ready, answered, confirming, follow_up, quiet, speaking, awaiting_person)}
COMMANDS = [(command, phrases[0]) for command, phrases in _PHRASES.items()]
KEEP_STATE = {Command.REPEAT, Command.SLOWER, Command.FASTER, Command.LOUDER, Command.QUIETER, Command.MORE,
              Command.WARNINGS, Command.HELP, Command.WAIT, Command.STOP}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command,phrase", COMMANDS)
def test_every_command_in_every_state(state, command, phrase):
    talk = STATES[state]()
    before_state, was_speaking = talk.d.state, talk.d.speaking
    previous = [s for s in talk.spoken if s.kind not in ("setting", "goodbye")]
    actions, after = talk.hear(phrase)
    say = say_of(actions)
    if was_speaking:
        assert isinstance(actions[0], StopSpeaking)  # a command heard during speech cuts it first
    if command == Command.STOP:
        assert any(isinstance(a, StopSpeaking) for a in actions) and say is None
        assert isinstance(actions[-1], Listen)
    elif command == Command.REPEAT:
        expected = GREETING if state == "awaiting_person" else previous[-1].sentences
        assert say.sentences[-len(expected):] == expected
    elif command in (Command.SLOWER, Command.FASTER, Command.LOUDER, Command.QUIETER):
        step = {Command.SLOWER: (-LIMITS.rate_step, 0), Command.FASTER: (LIMITS.rate_step, 0),
                Command.LOUDER: (0, LIMITS.volume_step), Command.QUIETER: (0, -LIMITS.volume_step)}[command]
        voice = next(a for a in actions if isinstance(a, SetVoice))
        assert voice == SetVoice(LIMITS.rate + step[0], round(LIMITS.volume + step[1], 2))
        assert say.kind == "setting"
    elif command == Command.MORE:
        assert say.kind in ("more", "prompt")
        if state in ("answered", "speaking", "quiet", "confirming", "follow_up"):
            assert say.sentences[0].startswith("MORE pain at the front of my knee")
    elif command == Command.WARNINGS:
        assert WARNING_SIGNS[0] in say.sentences and say.kind == "warnings"
    elif command == Command.HELP:
        assert say.kind == "help" and HELP[1] in say.sentences
    elif command == Command.START_OVER:
        assert GREETING[0] in say.sentences and talk.d.state == State.READY
        assert talk.d._session.last_reply is None and talk.d._session.context is None
    elif command == Command.WAIT:
        assert "Take your time." in say.sentences
        assert listen_of(after).timeout == Timing().wait_listen
    elif command == Command.GOODBYE:
        assert say.kind == "goodbye"
        assert after == [Exit()] or isinstance(after[0], ForgetPerson)
    if command in KEEP_STATE and state != "awaiting_person":
        assert talk.d.state == before_state
    if say is not None and state != "awaiting_person" and command not in (Command.REPEAT, Command.START_OVER):
        assert GREETING[0] not in say.sentences  # only a new kiosk visitor is greeted


@pytest.mark.parametrize("command,phrase", [(c, p) for c, p in COMMANDS
                                            if c in (Command.SLOWER, Command.LOUDER, Command.HELP, Command.MORE,
                                                     Command.WARNINGS)])
@pytest.mark.parametrize("state", ["confirming", "follow_up"])
def test_a_side_request_asks_the_pending_question_again(state, command, phrase):
    talk = STATES[state]()
    question = talk.spoken[-1].sentences[-1]
    actions, after = talk.hear(phrase)
    assert say_of(actions).sentences[-1] == question
    assert listen_of(after).expect == (Expect.YES_NO if state == "confirming" else Expect.CHOICE)  # the pack's choices


def test_a_new_kiosk_visitor_is_greeted_and_answered_in_one_breath():
    talk = awaiting_person()
    actions, _ = talk.hear("pain at the front of my knee")
    assert say_of(actions).sentences == GREETING + ("ANSWER pain at the front of my knee",)
    talk = awaiting_person()
    actions, after = talk.hear("hello")
    assert say_of(actions).sentences == GREETING and listen_of(after).expect == Expect.DESCRIPTION


# --- greeting, answers, read-backs ---------------------------------------------------------

def test_greeting_is_one_sentence_then_a_patient_listen():
    talk = Talk()
    actions, after = talk.turn(Start())
    assert actions[0] == SetVoice(LIMITS.rate, LIMITS.volume)
    assert say_of(actions).sentences == GREETING and len(GREETING) == 1
    assert "where it hurts" in GREETING[0]
    assert after == [Listen(Expect.DESCRIPTION, Timing().listen)]


def test_a_clear_description_is_answered_at_once():
    talk = ready()
    actions, after = talk.hear("pain at the front of my knee")
    assert say_of(actions) == Say(("ANSWER pain at the front of my knee",), "answer")
    assert after == [Listen(Expect.ANYTHING, Timing().listen)]


@pytest.mark.parametrize("text", ["pain in my calf", "my knee hurts when i kneel", "something odd about my ZEBRA"])
def test_low_confidence_is_read_back_and_yes_answers_it(text):
    talk = ready()
    actions, after = talk.hear(text, confidence=UNSURE)
    assert say_of(actions) == Say((f"I heard: {text}. Is that right?",), "confirm")
    assert after == [Listen(Expect.YES_NO, Timing().listen, YES_NO)]
    actions, _ = talk.hear("yeah")
    assert talk.knowledge.understood[-1] == text
    assert say_of(actions).kind in ("answer", "question", "no_match")


@pytest.mark.parametrize("confidence", [UNSURE, 0.95])
def test_a_word_or_two_that_name_nothing_are_not_read_back(confidence):
    talk = ready()
    actions, _ = talk.hear("ZEBRA", confidence=confidence)  # before any answer: a description was due
    assert say_of(actions).kind == "not_sure"
    talk.hear("pain at the front of my knee")
    actions, after = talk.hear("lie", confidence=confidence)  # after one: most likely a missed command
    say = say_of(actions)
    assert say.kind == "not_sure" and "tell me more" in say.sentences[0] and "I heard" not in say.sentences[0]
    assert after == [Listen(Expect.ANYTHING, Timing().listen)]
    actions, after = talk.hear("lie", confidence=confidence)  # again: a yes or no it can hear instead
    assert say_of(actions).sentences[-1] == "Would you like to hear more?" and after[-1].expect == Expect.YES_NO
    actions, _ = talk.hear("yes")  # the answer ended by offering more: most likely what was asked for
    assert say_of(actions).sentences[0] == "MORE pain at the front of my knee"
    talk.hear("lie", confidence=confidence)
    actions, after = talk.hear("lie", confidence=confidence)  # nothing more to say: whether to finish
    assert say_of(actions).sentences[-1] == "Would you like to finish?" and after[-1].expect == Expect.YES_NO
    actions, _ = talk.hear("no")
    assert say_of(actions).kind == "prompt" and talk.d.state == State.READY
    talk.hear("lie", confidence=confidence)
    talk.hear("lie", confidence=confidence)
    actions, _ = talk.hear("yes")
    assert say_of(actions).kind == "goodbye"


def test_after_an_answer_a_command_long_reply_not_heard_clearly_is_a_missed_command():
    talk = ready()
    talk.hear("pain at the front of my knee")
    guesses = tuple(Alternative(text) for text in ("do you were", "you are", "do we are"))  # all agree: not a leg
    actions, _ = talk.turn(Heard("do you are", UNSURE, guesses))  # "tell me more", misheard
    assert say_of(actions).sentences == (load_prompts().not_caught,)
    actions, _ = talk.turn(Heard("do you are", UNSURE, guesses))
    assert say_of(actions).sentences[-1] == "Would you like to hear more?"
    actions, _ = talk.hear("no")  # then it may have been "goodbye"
    assert say_of(actions).sentences == ("Would you like to finish?",)
    talk.hear("no")
    actions, _ = talk.hear("do you are", confidence=0.95)  # heard clearly: answered as what it is
    assert say_of(actions).sentences == ("I cover knee and leg pain.",)
    actions, _ = talk.hear("what is this place", confidence=UNSURE)  # longer than a command
    assert say_of(actions).sentences != (load_prompts().not_caught,)


@pytest.mark.parametrize("no", ["no", "nope", "wrong", "No, that's wrong."])
def test_no_asks_to_say_it_again(no):
    talk = ready()
    talk.hear("pain in my calf", confidence=UNSURE)
    actions, after = talk.hear(no)
    assert say_of(actions).sentences == ("Sorry. Please say it again.",)
    assert after == [Listen(Expect.DESCRIPTION, Timing().listen)] and talk.d.state == State.READY


def test_a_correction_after_no_is_used_straight_away():
    talk = ready()
    talk.hear("pain in my car", confidence=UNSURE)
    actions, _ = talk.hear("no, pain at the front of my knee")
    assert say_of(actions).sentences == ("ANSWER pain at the front of my knee",)


def test_saying_it_again_instead_of_yes_or_no_is_understood_afresh():
    talk = ready()
    talk.hear("pain in my car", confidence=UNSURE)
    actions, _ = talk.hear("pain at the front of my knee")
    assert say_of(actions).kind == "answer" and talk.d.state == State.READY


@pytest.mark.parametrize("text", ["pain in my calf", "my knee hurts when i kneel", "zebra"])
def test_very_unsure_speech_is_not_read_back_but_said_again(text):
    talk = ready()
    actions, after = talk.hear(text, confidence=0.2)
    assert say_of(actions).kind == "not_sure" and after[-1].expect == Expect.DESCRIPTION


@pytest.mark.parametrize("text,unknown", [("zebra", True), ("hello zebra", True), ("calf", False),
                                          ("knee", False), ("help", False), ("my left knee hurts", False)])
def test_very_short_utterances_are_never_read_back(text, unknown):
    talk = ready()
    actions, _ = talk.hear(text)
    assert say_of(actions).kind != "confirm"
    assert (say_of(actions).kind == "not_sure") == unknown


def test_low_confidence_stop_still_stops_but_goodbye_is_checked_first():
    talk = speaking()
    actions = talk.send(Heard("stop", 0.1))
    assert actions[0] == StopSpeaking() and isinstance(actions[-1], Listen)
    talk = answered()
    actions, _ = talk.hear("goodbye", confidence=0.2)
    assert say_of(actions).sentences == ("I heard: goodbye. Is that right?",)
    actions, after = talk.hear("yes")
    assert say_of(actions).kind == "goodbye" and after == [Exit()]


def test_out_of_scope_says_what_it_covers():
    talk = ready()
    actions, _ = talk.hear("my shoulder hurts when i lift my arm")
    assert say_of(actions).sentences == ("I cover knee and leg pain.",)


def test_no_match_says_what_was_understood_and_gives_examples():
    talk = ready()
    actions, after = talk.hear("something odd about my zebra")
    say = say_of(actions)
    assert say.kind == "no_match" and say.sentences[0] == "I heard: something odd about my zebra."
    assert len(say.sentences) == 3 and after == [Listen(Expect.DESCRIPTION, Timing().listen)]


# --- follow-up questions --------------------------------------------------------------------

@pytest.mark.parametrize("text,question", [("my knee hurts", KNEE_QUESTION), ("my leg hurts", WHERE_QUESTION),
                                           ("my calf aches", WORSE_QUESTION)])
def test_a_vague_description_gets_one_question_then_an_answer(text, question):
    talk = ready()
    actions, after = talk.hear(text)
    assert say_of(actions) == Say((question.question,), "question")
    assert after == [Listen(Expect.CHOICE, Timing().listen, question.choices)]
    actions, _ = talk.hear("when i walk")
    assert say_of(actions).kind in ("answer", "no_match")  # one question only, then the answer
    assert talk.knowledge.understood[-1].startswith(f"{text} when i walk")
    assert talk.d.state == State.READY


def test_the_knee_answer_is_completed_so_it_can_be_matched():
    talk = ready()
    talk.hear("my knee hurts")
    actions, _ = talk.hear("in front")
    assert talk.knowledge.understood[-1] == "my knee hurts in front of my knee"
    assert say_of(actions).sentences == ("ANSWER my knee hurts in front of my knee",)
    talk.hear("my knee hurts")
    talk.hear("below the kneecap")
    assert talk.knowledge.understood[-1] == "my knee hurts below the kneecap"


def test_an_unsure_follow_up_answer_is_combined_without_a_read_back():
    """A follow-up answer only refines the description: any answer goes on to the explanation."""
    talk = ready()
    talk.hear("my calf aches")
    actions, _ = talk.hear("walking", confidence=UNSURE)
    assert "my calf aches walking" in talk.knowledge.understood
    assert say_of(actions).sentences == ("ANSWER my calf aches walking",) and talk.d.state == State.READY


def test_a_barely_heard_reply_to_a_follow_up_adds_nothing_to_the_description():
    """A mumble the recogniser made into a place is not taken as where it hurts."""
    talk = ready()
    talk.hear("my calf aches")
    actions, _ = talk.hear("my thigh", confidence=0.2)
    assert say_of(actions).sentences == ("ANSWER my calf aches",)


def test_a_barely_heard_offered_answer_or_sign_in_reply_to_a_follow_up_still_counts():
    talk = ready()
    talk.hear("my knee hurts")
    actions, _ = talk.hear("in front", confidence=0.2)
    assert say_of(actions).sentences == ("ANSWER my knee hurts in front of my knee",)
    talk.hear("my knee hurts")
    actions, _ = talk.hear("no weight", confidence=0.2)
    assert say_of(actions).sentences[0] == "WARNING cannot_bear_weight"


def test_no_answer_to_a_follow_up_gives_the_answer_anyway():
    talk = ready()
    talk.hear("my calf aches")
    actions, _ = talk.turn(NoInput())
    assert say_of(actions).sentences == ("ANSWER my calf aches",)


@pytest.mark.parametrize("text", ["my knee hurts and i cannot put weight on it", "my calf aches and no weight",
                                  "my leg hurts i cant take weight", "zebra weight"])
def test_warnings_are_never_delayed_behind_a_question(text):
    talk = ready()
    actions, _ = talk.hear(text)
    say = say_of(actions)
    assert say.kind == "answer" and say.sentences[0] == "WARNING cannot_bear_weight"


@given(topics=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.floats(0.1, 9)), max_size=3),
       locations=st.lists(st.sampled_from(["knee", "calf", "thigh"]), unique=True, max_size=2),
       warnings=st.lists(st.sampled_from(["w1", "w2"]), min_size=1, unique=True))
@settings(max_examples=60, deadline=None)
def test_any_match_with_a_warning_is_answered_at_once(topics, locations, warnings):
    found = Match("my leg", topics=tuple(TopicScore(i, s) for i, s in topics), locations=tuple(locations),
                  warnings=tuple(warnings), about_area=True)
    d = Dialogue(lambda text: replace(found, text=text),
                 lambda m: Reply(tuple(f"WARNING {w}" for w in m.warnings)), warning_signs=WARNING_SIGNS,
                 domain=DOMAIN)
    d.handle(Start())
    d.handle(SpeechDone())
    say = say_of(d.handle(Heard("my leg hurts badly")))
    assert say.kind == "answer" and say.sentences[0] == f"WARNING {warnings[0]}"


# --- no input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["ready", "answered", "confirming"])
def test_no_input_reprompts_three_times_more_clearly_then_goes_quiet(state):
    talk = STATES[state]()
    prompts = []
    for _ in range(3):
        actions, after = talk.turn(NoInput())
        prompts.append(say_of(actions))
        assert isinstance(after[-1], Listen)
    assert all(p.kind == "prompt" for p in prompts) and len({p.sentences for p in prompts}) == 3
    assert "quietly" in " ".join(prompts[-1].sentences)
    assert after[-1].timeout == Timing().quiet_listen
    for _ in range(3):
        actions = talk.send(NoInput())
        assert len(actions) == 1 and actions[0].timeout == Timing().quiet_listen
    if state == "confirming":
        assert "I heard: calf. Is that right?" in prompts[0].sentences
    actions, _ = talk.hear("pain at the front of my knee")  # speech brings it back
    assert say_of(actions).kind == "answer"
    actions, _ = talk.turn(NoInput())
    assert say_of(actions).kind == "prompt" and talk.d._session.no_inputs == 1


# --- voice settings ---------------------------------------------------------------------------

@pytest.mark.parametrize("phrase,limit_words,attribute,bound", [
    ("slower", "slowest", "rate", LIMITS.min_rate), ("faster", "fastest", "rate", LIMITS.max_rate),
    ("louder", "loudest", "volume", LIMITS.max_volume), ("quieter", "quietest", "volume", LIMITS.min_volume),
])
def test_rate_and_volume_stop_at_their_bounds_and_say_so(phrase, limit_words, attribute, bound):
    talk = answered()
    changes = []
    for _ in range(20):
        actions, _ = talk.hear(phrase)
        changes += [a for a in actions if isinstance(a, SetVoice)]
        if f"That's the {limit_words} I can go." in say_of(actions).sentences:
            break
    else:
        pytest.fail("never reached the limit")
    assert getattr(changes[-1], attribute) == bound == getattr(talk.d.voice, attribute)
    assert not any(isinstance(a, SetVoice) for a in actions)  # nothing changes at the limit
    assert all(LIMITS.min_rate <= c.rate <= LIMITS.max_rate and
               LIMITS.min_volume <= c.volume <= LIMITS.max_volume for c in changes)


def test_repeat_after_slower_replays_the_answer_not_the_setting():
    talk = answered()
    talk.hear("slower")
    actions, _ = talk.hear("say that again")
    assert say_of(actions).sentences == ("ANSWER pain at the front of my knee",)


# --- commands and descriptions, speech interruption ---------------------------------------------

@pytest.mark.parametrize("text", ["my knee hurts more when i walk", "it won't stop hurting my knee",
                                  "my calf aches again when i walk"])
def test_a_description_with_command_words_is_a_description(text):
    talk = answered()
    actions, _ = talk.hear(text)
    assert any(u.startswith(text) for u in talk.knowledge.understood)  # other readings are matched too
    assert not any(isinstance(a, (SetVoice, StopSpeaking)) for a in actions)
    assert say_of(actions).kind in ("answer", "question")


def test_stop_key_cuts_speech_and_listens_as_planned():
    talk = ready()
    talk.send(Heard("pain at the front of my knee"))
    assert talk.send(StopKey()) == [StopSpeaking(), Listen(Expect.ANYTHING, Timing().listen)]
    assert talk.send(SpeechDone()) == [] and talk.send(StopKey()) == []


def test_speech_heard_while_speaking_cuts_it_and_is_answered():
    talk = speaking()
    actions = talk.send(Heard("louder"))
    assert actions[0] == StopSpeaking() and isinstance(actions[1], SetVoice)


@pytest.mark.parametrize("text,confidence", [("now", 1.0), ("um", 1.0), ("so a fall", 1.0), ("zebra", 1.0),
                                               ("front knee", UNSURE - 0.3), ("", 0.0)])
def test_a_few_unclear_words_over_the_answer_stop_it_and_listen(text, confidence):
    """Mostly a misheard command: neither read back nor answered as out of scope while the person waits
    (a voice with no words made out in it too)."""
    talk = speaking()
    actions = talk.send(Heard(text, confidence))
    assert actions == [StopSpeaking(), Listen(Expect.ANYTHING, Timing().listen)]


@pytest.mark.parametrize("text", ["my calf", "no weight", "the zebra walked over the hill today",
                                  "i think my shoulder is the problem"])
def test_what_is_understood_over_the_answer_or_longer_speech_is_the_persons_turn(text):
    talk = speaking()
    actions = talk.send(Heard(text))
    assert actions[0] == StopSpeaking() and say_of(actions) is not None


def asking() -> Talk:
    """Speaking a reply that ends with a yes/no question."""
    talk = answered()
    talk.send(Heard("calf", confidence=UNSURE))
    assert talk.d.speaking and talk.d.state == State.CONFIRMING
    return talk


@pytest.mark.parametrize("answer", ["no", "yes"])
def test_a_yes_or_no_over_the_speech_before_its_question_began_only_stops_it(answer):
    """A stray "now" (a misheard "stop") must not answer "no" to a question about a warning sign
    the person has not heard yet: the question stays pending."""
    talk = asking()
    talk.send(SpeechCut(started=len(talk.spoken[-1].sentences) - 1))
    assert talk.send(Heard(answer)) == [StopSpeaking(), Listen(Expect.YES_NO, Timing().listen, YES_NO)]
    assert talk.d.state == State.CONFIRMING


def test_a_yes_or_no_over_the_question_answers_it():
    talk = asking()
    talk.send(SpeechCut(started=len(talk.spoken[-1].sentences)))
    actions = talk.send(Heard("no"))
    assert actions[0] == StopSpeaking() and say_of(actions) is not None and talk.d.state != State.CONFIRMING


def test_goodbye_ends_after_the_goodbye_is_spoken():
    talk = answered()
    actions = talk.send(Heard("that's all"))
    assert say_of(actions).kind == "goodbye" and talk.d.state == State.ENDED
    assert talk.send(StopKey()) == [StopSpeaking(), Exit()]


# --- kiosk --------------------------------------------------------------------------------------

def test_kiosk_forgets_everything_about_the_person_after_the_idle_timeout():
    talk = Talk(kiosk=True).start()
    talk.hear("slower")
    talk.hear("louder")
    talk.hear("my zebra knee hurts", confidence=UNSURE)
    talk.hear("yes")
    talk.hear("my knee hurts")  # a follow-up question is pending
    assert talk.send(Idle(59)) == []
    actions = talk.send(Idle(60))
    assert say_of(actions).kind == "goodbye"
    after = talk.send(SpeechDone())
    assert after == [ForgetPerson(), SetVoice(LIMITS.rate, LIMITS.volume), Listen(Expect.DESCRIPTION, Timing().quiet_listen)]
    fresh = Dialogue(talk.knowledge.understand, talk.knowledge.respond, warning_signs=WARNING_SIGNS, kiosk=True,
                     domain=DOMAIN)
    assert talk.d._session == fresh._session
    assert "zebra" not in person(talk.d) and "knee hurts" not in person(talk.d)
    assert talk.send(Idle(600)) == []  # nobody there: no second goodbye
    actions, _ = talk.hear("say that again")  # the next person cannot hear the last one's answer
    assert say_of(actions).sentences == GREETING


def test_wait_extends_the_kiosk_timeout_until_they_speak():
    timing = Timing()
    talk = Talk(kiosk=True).start()
    talk.hear("pain at the front of my knee")
    talk.hear("give me a moment")
    assert talk.send(Idle(timing.idle + 1)) == []
    assert say_of(talk.send(Idle(timing.idle + timing.wait_extension))).kind == "goodbye"
    talk = Talk(kiosk=True).start()
    talk.hear("give me a moment")
    talk.hear("pain at the front of my knee")
    assert say_of(talk.send(Idle(timing.idle))).kind == "goodbye"


def test_idle_does_nothing_outside_kiosk_mode_or_while_speaking():
    talk = answered()
    assert talk.send(Idle(10_000)) == []
    talk = Talk(kiosk=True).start()
    talk.send(Heard("pain at the front of my knee"))
    assert talk.send(Idle(10_000)) == []


def test_kiosk_goodbye_command_resets_instead_of_exiting():
    talk = Talk(kiosk=True).start()
    talk.hear("pain at the front of my knee")
    talk.hear("faster")
    _, after = talk.hear("bye")
    assert after[:2] == [ForgetPerson(), SetVoice(LIMITS.rate, LIMITS.volume)] and Exit() not in after
    assert talk.d.state == State.AWAITING_PERSON


def test_start_over_forgets_the_conversation_but_keeps_the_voice():
    talk = answered()
    talk.hear("louder")
    actions, _ = talk.hear("start again")
    assert say_of(actions).sentences[0] == "Let's start again."
    assert talk.d.voice.volume > LIMITS.volume and talk.d._session.last_reply is None
    actions, _ = talk.hear("tell me more")
    assert not say_of(actions).sentences[0].startswith("MORE")


# --- any sequence of events keeps the contract -------------------------------------------------

_EVENTS = st.one_of(
    st.builds(Heard, st.sampled_from(["pain at the front of my knee", "my knee hurts", "my calf aches", "calf",
                                      "yes", "no", "no my leg hurts", "stop", "louder", "slower", "tell me more",
                                      "bye", "wait", "help", "start again", "zebra", "hello", "", "my shoulder",
                                      "weight", "what are the warning signs", "repeat"]),
              st.sampled_from([0.1, 0.9])),
    st.just(NoInput()), st.just(SpeechDone()), st.just(StopKey()), st.just(Start()),
    st.builds(Idle, st.sampled_from([5.0, 61.0, 500.0])),
)


@given(kiosk=st.booleans(), events=st.lists(_EVENTS, max_size=30))
@settings(max_examples=150, deadline=None)
def test_any_event_sequence_keeps_the_loop_contract(kiosk, events):
    talk = Talk(kiosk=kiosk)
    for event in [Start(), *events]:
        actions = talk.send(event)  # checks the batch shape
        voice = talk.d.voice
        assert LIMITS.min_rate <= voice.rate <= LIMITS.max_rate
        assert LIMITS.min_volume <= voice.volume <= LIMITS.max_volume
        if any(isinstance(a, Say) for a in actions):
            assert talk.d.speaking
        if Exit() in actions:
            assert not kiosk
            break


# --- with the real matcher and replies ------------------------------------------------------------

class RealKnowledge:
    def __init__(self):
        self.understood: list[str] = []

    def understand(self, text: str) -> Match:
        self.understood.append(text)
        return match(text)

    @staticmethod
    def respond(m: Match, question: str = "") -> Reply:
        return compose_reply(m, KB, question=question)


def real_talk(kiosk: bool = False) -> Talk:
    return Talk(kiosk=kiosk, knowledge=RealKnowledge(), warning_signs=warnings_overview(KB).sentences).start()


def test_real_knee_follow_up_leads_to_a_kneecap_answer():
    talk = real_talk()
    actions, _ = talk.hear("my knee hurts")
    assert say_of(actions).sentences == (KNEE_QUESTION.question,)
    actions, _ = talk.hear("in front")
    say = say_of(actions)
    assert say.kind == "answer" and "kneecap" in " ".join(say.sentences)


@pytest.mark.parametrize("answer,word", [("on the inner side", "bursitis"), ("below the kneecap", "tendon")])
def test_real_knee_follow_up_answers(answer, word):
    talk = real_talk()
    talk.hear("my knee hurts")
    actions, _ = talk.hear(answer)
    assert word in " ".join(say_of(actions).sentences).lower()


def test_real_calf_follow_up_uses_what_makes_it_worse():
    talk = real_talk()
    actions, _ = talk.hear("my calf aches")
    assert say_of(actions).sentences == (WORSE_QUESTION.question,)
    actions, _ = talk.hear("walking")
    assert "walk" in " ".join(say_of(actions).sentences)
    actions, _ = talk.hear("tell me more")
    assert say_of(actions).kind == "more" and say_of(actions).sentences == compose_reply(
        match("my calf aches walking"), KB).more


def test_real_examples_we_give_are_answered_without_a_question():
    talk = real_talk()
    actions, _ = talk.hear(DOMAIN.example)
    assert say_of(actions).kind == "answer"


def test_real_warning_signs_command_and_out_of_scope():
    talk = real_talk()
    actions, _ = talk.hear("When should I see a doctor?")
    assert say_of(actions).sentences == warnings_overview(KB).sentences
    actions, _ = talk.hear("what's the weather like today")
    assert say_of(actions).sentences == compose_reply(match("what's the weather like today"), KB).sentences


def test_real_description_with_more_in_it_is_answered():
    talk = real_talk()
    actions, _ = talk.hear("my knee hurts more when i walk down stairs")
    assert say_of(actions).kind == "answer" and talk.d.voice == SetVoice(LIMITS.rate, LIMITS.volume)


def _warning_cases() -> list[str]:
    cases = []
    for name in ("typed_cases.yaml", "heldout_cases.yaml"):
        for case in yaml.safe_load((CASES / name).read_text())["cases"]:
            if match(case["say"]).warnings:
                cases.append(case["say"])
    return cases


def test_real_warnings_are_spoken_first_and_never_wait_for_a_question():
    cases = _warning_cases()
    assert len(cases) > 100
    for text in cases:
        talk = Talk(knowledge=RealKnowledge(), kb=KB, warning_signs=warnings_overview(KB).sentences).start()
        actions, _ = talk.hear(text)
        say = say_of(actions)
        assert say.kind == "answer", text
        advice = compose_reply(match(text), KB).sentences
        asked_also = say.sentences[0] == advice[0] and say.sentences[-1].startswith("Did you say")
        assert say.sentences == advice or asked_also, text


def kb_talk() -> Talk:
    return Talk(knowledge=RealKnowledge(), kb=KB, warning_signs=warnings_overview(KB).sentences).start()


SWOLLEN_CAN = "my knee is swollen and pops and i can put any weight on my leg"  # heard for "can't" over the echo


def test_a_sign_heard_only_maybe_is_asked_about_after_the_advice_for_one_heard_clearly():
    talk = kb_talk()
    actions, after = talk.hear(SWOLLEN_CAN)
    say = say_of(actions)
    assert say.sentences[0] == compose_reply(match(SWOLLEN_CAN), KB).sentences[0]  # the swelling's advice, at once
    assert say.sentences[-1] == "Did you say you can't put any weight on your leg?"
    assert say.about == ("cannot_bear_weight",) and after[-1].expect == Expect.YES_NO
    actions, _ = talk.hear("yes")
    assert say_of(actions).sentences == compose_reply(match("i can't put any weight on my leg"), KB).sentences


def test_no_to_a_sign_asked_about_after_advice_goes_on_without_repeating_it():
    talk = kb_talk()
    talk.hear(SWOLLEN_CAN)
    actions, after = talk.hear("no")
    assert say_of(actions).sentences == (load_prompts().safety_no, "Say tell me more to hear more.")
    assert after[-1].expect == Expect.ANYTHING


def test_urgent_advice_is_not_followed_by_a_question_about_another_sign():
    talk = kb_talk()
    actions, after = talk.hear("no swelling but i have pins and needles in my toes")
    assert say_of(actions).sentences == compose_reply(match("no swelling but i have pins and needles in my toes"), KB).sentences
    assert after[-1].expect == Expect.ANYTHING


def test_real_kiosk_reset_leaves_nothing_of_the_person():
    talk = real_talk(kiosk=True)
    talk.hear("my calf aches")
    talk.hear("walking")
    talk.hear("slower")
    talk.send(Idle(60))
    talk.send(SpeechDone())
    assert talk.d.state == State.AWAITING_PERSON and talk.d.voice == SetVoice(LIMITS.rate, LIMITS.volume)
    assert "calf" not in person(talk.d) and "walk" not in person(talk.d)


@pytest.mark.parametrize("text,opening", [("no", "All right."), ("nope", "All right."), ("yes", "Go ahead")])
def test_a_yes_or_no_with_no_question_pending_is_not_read_back(text, opening):
    talk = answered()
    talk.turn(NoInput())  # "Is there anything else?"
    actions, after = talk.hear(text)
    assert say_of(actions).sentences[0].startswith(opening) and after == [Listen(Expect.DESCRIPTION, Timing().listen)]


def test_a_padded_command_acts_but_a_padded_symptom_is_a_description():
    talk = real_talk()
    answer, _ = talk.hear("my kneecap aches on stairs", 0.9)
    assert talk.hear("repeat off", 0.9)[0] == answer
    assert "swelling" in say_of(talk.hear("louder knee swollen", 0.9)[0]).sentences[0].lower()


def test_a_warning_sign_heard_with_low_confidence_is_answered_at_once():
    talk = real_talk()
    say = say_of(talk.hear("i can't bear weight on my leg", 0.3)[0])
    assert say.sentences[0].startswith("Important") and talk.d.state == State.READY


@pytest.mark.parametrize("text", ["hello there", "thank you", "Thank you!", "ok thanks", "hi"])
def test_politeness_is_understood_not_read_back(text):
    talk = ready()
    actions, _ = talk.hear(text)
    assert say_of(actions).kind in ("greeting", "prompt") and talk.d.state == State.READY
    talk = answered()
    actions, _ = talk.hear(text)
    assert say_of(actions).sentences == (load_prompts().polite,)


# --- a pause mid-sentence taken for the end of the turn -------------------------------------------

def replying_to_half() -> Talk:
    """The turn ended at a pause mid-sentence; the reply to its first half is playing."""
    talk = ready()
    assert say_of(talk.send(Heard("pain at the front of my"))).sentences == ("I cover knee and leg pain.",)
    assert talk.d.speaking
    talk.send(SpeechCut(started=0))
    return talk


def test_the_rest_of_a_sentence_said_over_the_reply_to_its_first_half_is_answered_with_it():
    talk = replying_to_half()
    before = person(talk.d)
    actions = talk.send(Heard("knee", continues=True))
    assert actions[0] == StopSpeaking()
    assert say_of(actions).sentences[-1] == "ANSWER pain at the front of my knee"
    assert talk.knowledge.understood[-1] == "pain at the front of my knee"
    assert person(talk.d) != before and talk.d.speaking


def test_the_whole_sentence_is_answered_as_if_its_first_half_had_never_been():
    """A reply that changed the conversation (here a read-back question) is taken back whole."""
    talk = ready()
    talk.send(Heard("my zebra knee", confidence=UNSURE))
    assert talk.d.state == State.CONFIRMING
    talk.send(SpeechCut(started=0))
    actions = talk.send(Heard("and my calf hurts", continues=True))
    assert talk.knowledge.understood[-1] == "my zebra knee and my calf hurts"
    assert talk.d.state != State.CONFIRMING and say_of(actions) is not None


def test_what_follows_a_command_is_a_turn_of_its_own():
    """Only a description stops mid-sentence (a yes or a no is read the same whether joined or not)."""
    talk = answered()
    assert say_of(talk.send(Heard("tell me more"))) is not None and talk.d.speaking
    talk.send(SpeechCut(started=0))
    talk.send(Heard("and my calf hurts", continues=True))
    assert talk.knowledge.understood[-1] == "and my calf hurts"


def test_words_after_the_reply_has_ended_are_a_turn_of_their_own():
    talk = replying_to_half()
    talk.send(SpeechDone())
    talk.send(Heard("knee", continues=True))
    assert talk.knowledge.understood[-1] == "knee"


def test_two_parts_heard_as_one_keep_every_guess_at_each():
    from voice.asr.recognizer import Alternative

    first = Heard("pain the limit", 0.5, (Alternative("pain below the", -0.1), Alternative("pain the limb", -0.3),
                                          Alternative("pain bellow the", generic=True)))
    rest = Heard("kneecap", 1.0, (Alternative("knee cap", -0.2), Alternative("knee cap", generic=True)))
    whole = first.joined(rest)
    assert whole.text == "pain the limit kneecap" and not whole.continues
    assert whole.confidence == pytest.approx((0.5 * 3 + 1.0) / 4)
    assert [a.text for a in whole.alternatives] == ["pain below the kneecap", "pain the limit knee cap",
                                                    "pain the limb kneecap", "pain bellow the knee cap"]
    assert [a.generic for a in whole.alternatives] == [False, False, False, True]
