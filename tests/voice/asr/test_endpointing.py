"""The endpointer on generated audio alone: bursts stand in for speech, so every time is known exactly."""
from __future__ import annotations

import numpy as np
import pytest

from synthetic_sound import RATE, sound
from voice.asr.endpointing import (COMPLETE_FACTOR, CONTINUES, DECODE_LEAD, FLOOR_SECONDS, MID_PHRASE_FACTOR,
                                    PAUSE_SECONDS, PRE_ROLL_SECONDS, START_WINDOW, UNFINISHED_FACTOR, Endpointer,
                                    Event, TurnPolicy, VoiceGate)
from voice.audio.noise_floor import NoiseFloor

FRAME = 0.03  # the endpointer judges 30 ms frames
SLACK = 0.1  # seconds an edge may be found late: a voiced run of two frames, plus a frame


def run(endpointer: Endpointer, pcm: bytes, words: str = "") -> list[tuple[float, Event, float]]:
    """Feed `pcm` frame by frame: each event as (seconds fed when it came, event, utterance seconds so far).

    The utterance seconds count the audio handed over for the utterance, pre-roll included.
    """
    frame = endpointer._frame_bytes
    events = []
    utterance = 0
    for offset in range(0, len(pcm) - frame + 1, frame):
        for step in endpointer.feed(pcm[offset:offset + frame], lambda: (words,)):
            utterance += len(step.audio)
            if step.event is not None:
                events.append(((offset + frame) / (2 * RATE), step.event, utterance / (2 * RATE)))
            if step.event == Event.ENDED:
                utterance = 0
    return events


def ends(events: list[tuple[float, Event, float]]) -> list[float]:
    return [at for at, event, _ in events if event == Event.ENDED]


def kinds(events: list[tuple[float, Event, float]]) -> list[Event]:
    return [event for _, event, _ in events]


def test_a_burst_is_one_utterance_that_starts_with_a_pre_roll() -> None:
    events = run(Endpointer(TurnPolicy(0.5)), sound([("quiet", 1.0), ("voice", 0.6), ("quiet", 1.5)]), "my knee")
    assert kinds(events) == [Event.STARTED, Event.PAUSED, Event.ENDED]
    started_at, _, handed_over = events[0]
    assert 1.0 < started_at < 1.0 + 0.3  # once half the start window is voice
    assert handed_over == pytest.approx(started_at - 1.0 + PRE_ROLL_SECONDS, abs=0.2)
    assert handed_over >= started_at - 1.0 + PRE_ROLL_SECONDS - FRAME  # the whole burst and a pre-roll
    assert 1.6 + 0.5 <= ends(events)[0] <= 1.6 + 0.5 + SLACK


@pytest.mark.parametrize("silence, utterances", [(0.2, 2), (0.5, 2), (1.2, 1), (3.0, 1)])
def test_the_silence_setting_decides_whether_a_pause_ends_the_turn(silence: float, utterances: int) -> None:
    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 0.8), ("voice", 0.5), ("quiet", 4.0)])
    assert len(ends(run(Endpointer(TurnPolicy(silence)), pcm))) == utterances


@pytest.mark.parametrize("words", sorted(["my knee hurts and", "it is in my", "pain goes down the"]))
def test_a_pause_after_a_word_that_continues_waits_longer(words: str) -> None:
    assert words.split()[-1] in CONTINUES
    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 1.2), ("voice", 0.5), ("quiet", 3.0)])
    assert len(ends(run(Endpointer(TurnPolicy(0.5)), pcm, words=words))) == 1
    assert len(ends(run(Endpointer(TurnPolicy(0.5)), pcm, words=words.rsplit(" ", 1)[0] + " knee"))) == 2


@pytest.mark.parametrize("words", ["i can't move it", "when i stand up", "the pain goes down", "i think so"])
def test_words_that_often_end_a_sentence_do_not_hold_the_turn(words: str) -> None:
    assert TurnPolicy(0.5).pause_after(words) == 0.5


def test_complete_words_and_short_answers_end_the_turn_sooner() -> None:
    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 2.0)])
    plain = ends(run(Endpointer(TurnPolicy(0.5)), pcm, words="my knee is swollen"))[0]
    complete = ends(run(Endpointer(TurnPolicy(0.5, complete=lambda w: "swollen" in w)), pcm,
                        words="my knee is swollen"))[0]
    short = ends(run(Endpointer(TurnPolicy(0.5, short_answer=True)), pcm, words="yes"))[0]
    assert 1.0 + 0.5 <= plain <= 1.0 + 0.5 + SLACK
    assert complete == short < plain - 0.1
    assert complete >= 1.0 + 0.35


def test_a_continuing_word_among_the_other_guesses_holds_a_turn_that_is_not_whole_yet() -> None:
    """A quiet "and" before a pause is often heard as another short word; the N-best list keeps it."""
    policy = TurnPolicy(0.5, complete=lambda w: w == "my knee is swollen")
    assert policy.pause_after("my knee to run", ["my knee to thin", "my knee to and"]) == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("my feet gave way", ["my feet gave way um"]) == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("my knee to run", ["my knee to thin"]) == 0.5 * UNFINISHED_FACTOR
    whole = ["my knee is swollen", "my knee is swollen and", "my knee is swelling", "my knees swollen"]
    assert policy.pause_after("my knee is swollen", whole) == 0.5 * COMPLETE_FACTOR


def test_a_voice_that_fell_ends_the_turn_as_a_whole_answer_unless_it_stopped_mid_phrase() -> None:
    """After a fall in pitch, a weak continuing word and the other guesses hold nothing open and the
    shorter pause ends the turn, as after a whole answer; "and" still holds it."""
    policy = TurnPolicy(0.5, complete=lambda w: w.startswith("my thigh aches"))
    assert policy.pause_after("my thigh is", fell=True) == 0.5 * COMPLETE_FACTOR
    assert policy.pause_after("my thigh is") == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("jumpers knee", ["jumpers the"], fell=True) == 0.5 * COMPLETE_FACTOR
    assert policy.pause_after("jumpers knee", ["jumpers the"]) == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("jumpers knee") == 0.5 * UNFINISHED_FACTOR
    assert policy.pause_after("my thigh aches", ["my thigh aches um", "my thigh aches uh"], fell=True) \
        == 0.5 * COMPLETE_FACTOR
    assert policy.pause_after("my knee and", fell=True) == policy.pause_after("my thigh um", fell=True) \
        == 0.5 * MID_PHRASE_FACTOR


def test_after_a_fall_in_pitch_a_weak_continuing_word_ends_the_turn_after_the_shorter_pause() -> None:
    for kind, wait in (("fall", 0.5 * COMPLETE_FACTOR), ("voice", 0.5 * MID_PHRASE_FACTOR)):
        pcm = sound([("quiet", 0.5), ("voice", 1.0), (kind, 0.4), ("quiet", 3.0)])
        assert ends(run(Endpointer(TurnPolicy(0.5)), pcm, "my thigh is")) == pytest.approx([1.9 + wait], abs=SLACK)


def test_an_answer_to_a_question_may_end_on_a_weak_continuing_word() -> None:
    """"Yes I am", "yes it is": at a yes/no or a choice a last "am" or "is" ends the turn; "and" still holds it."""
    short = TurnPolicy(0.5, short_answer=True)
    assert short.pause_after("yes i am") == short.pause_after("yes it is") == 0.5 * COMPLETE_FACTOR
    assert short.pause_after("yes and") == 0.5 * MID_PHRASE_FACTOR
    assert TurnPolicy(0.5).pause_after("yes i am") == 0.5 * MID_PHRASE_FACTOR


def test_a_preposition_that_needs_what_follows_holds_a_description_but_not_an_answer() -> None:
    """"Pain below ... the kneecap": held, also when only another guess ends on it; "below" said
    to "where in the knee?" is a whole answer, and so is one said with a falling voice."""
    policy = TurnPolicy(0.5)
    assert policy.pause_after("pain below") == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("pain the limp", ["pain the lump", "pain below"]) == 0.5 * MID_PHRASE_FACTOR
    assert TurnPolicy(0.5, short_answer=True).pause_after("below") == 0.5 * COMPLETE_FACTOR
    assert policy.pause_after("it hurts behind", fell=True) == 0.5 * COMPLETE_FACTOR
    assert policy.pause_after("the pain goes down") == 0.5


def test_a_hesitation_holds_the_turn() -> None:
    assert TurnPolicy(0.5).pause_after("my knee hurts um") == 0.5 * MID_PHRASE_FACTOR


def test_a_whole_description_most_guesses_end_mid_phrase_or_in_a_hesitation_is_held() -> None:
    """A quiet "and" in noise comes out as "um" or another short word in the best guess, not in most others."""
    policy = TurnPolicy(0.5, complete=lambda w: w.startswith("my knee gave way") or w == "my knee to run")
    hesitant = ["my feet gave way um", "my knee gave way um", "my feet my um", "my feet gave way"]
    assert policy.pause_after("my knee gave way", hesitant) == 0.5 * MID_PHRASE_FACTOR
    trailing = ["my knee to thin", "my knee to and", "my knee the and", "my knee to um"]
    assert policy.pause_after("my knee to run", trailing) == 0.5 * MID_PHRASE_FACTOR
    assert policy.pause_after("my knee gave way", hesitant[2:] + ["my knee gave way", "my knee gave"]) \
        == 0.5 * COMPLETE_FACTOR
    assert TurnPolicy(0.5, short_answer=True).pause_after("yes", ["yes um", "yes uh"]) == 0.5 * COMPLETE_FACTOR


def test_policy_scales_with_the_silence_setting() -> None:
    for silence in (0.2, 0.5, 3.0):
        policy = TurnPolicy(silence, complete=lambda w: w == "my knee is swollen")
        assert policy.pause_after("my knee is swollen") < silence < policy.pause_after("my knee")
        assert policy.pause_after("my knee") == silence * UNFINISHED_FACTOR < policy.pause_after("my knee and")
        assert TurnPolicy(silence).pause_after("my knee") == silence  # no judge of whole turns: the setting
    assert TurnPolicy(0.5, short_answer=True).pause_after("") == 0.5  # no words yet: nothing is complete


def test_a_pause_is_announced_when_it_may_soon_end_the_turn_and_its_resume_is_reported() -> None:
    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 0.35), ("voice", 0.5), ("quiet", 1.5)])
    events = run(Endpointer(TurnPolicy(0.5)), pcm, "my knee")
    assert kinds(events) == [Event.STARTED, Event.PAUSED, Event.RESUMED, Event.PAUSED, Event.ENDED]
    assert kinds(run(Endpointer(TurnPolicy(0.5)), pcm)) == [Event.STARTED, Event.ENDED]  # no words: no decode
    paused, resumed, paused_again, ended = (at for at, _, _ in events[1:])
    assert 1.0 + 0.5 - DECODE_LEAD <= paused <= 1.0 + 0.5 - DECODE_LEAD + SLACK
    assert 1.35 < resumed <= 1.35 + SLACK
    assert ended - paused_again == pytest.approx(DECODE_LEAD, abs=FRAME + 0.01)


def test_a_short_gap_is_announced_only_when_the_voice_fell_before_it() -> None:
    """A gap between words costs no early decode; after a fall in pitch the pause is announced at once."""
    for kind, expected in (("voice", [Event.STARTED, Event.PAUSED, Event.ENDED]),
                           ("fall", [Event.STARTED, Event.PAUSED, Event.RESUMED, Event.PAUSED, Event.ENDED])):
        pcm = sound([("quiet", 0.5), ("voice", 1.0), (kind, 0.4), ("quiet", 0.18), ("voice", 0.5), ("quiet", 1.5)])
        events = run(Endpointer(TurnPolicy(0.5)), pcm, "my knee")
        assert kinds(events) == expected, kind
        if kind == "fall":
            assert 1.9 + PAUSE_SECONDS <= events[1][0] <= 1.9 + PAUSE_SECONDS + SLACK


@pytest.mark.parametrize("kind", ["tone", "voice", "noise"])
def test_steady_noise_at_10_db_neither_starts_nor_holds_an_utterance(kind: str) -> None:
    room = sound([("quiet", 0.5), (kind, 0.6), ("quiet", 1.2), (kind, 0.6), ("quiet", 2.0)], snr_db=10.0, seed=3)
    events = run(Endpointer(TurnPolicy(0.5)), room)
    assert len(ends(events)) == 2
    assert ends(events)[0] <= 1.1 + 0.5 + SLACK + 0.1
    noise_alone = sound([("quiet", 5.0)], snr_db=None, seed=4)
    hum = sound([("quiet", 0.2), (kind, 5.0)], seed=5)[int(0.2 * RATE) * 2:]  # loud from the first frame
    assert run(Endpointer(), noise_alone) == []
    assert Event.STARTED not in kinds(run(Endpointer(), hum))


def frames_of(pcm: bytes, size: int) -> list[bytes]:
    return [pcm[i:i + size] for i in range(0, len(pcm) - size + 1, size)]


def test_the_noise_floor_finds_the_room_again_within_its_window_after_a_quieter_stretch() -> None:
    """While the assistant speaks the residual-echo gate passes exact zeros (a faint floor is put under
    them), and a canceller's noise suppression a quieter second as it stops: the room's noise after
    them is at the noise floor again within FLOOR_SECONDS, not counted as voice until the floor has
    crept back up."""
    room = np.frombuffer(sound([("quiet", 1.0)], seed=6), dtype="<i2") + np.random.default_rng(7).normal(0, 100, RATE)
    lobby = room.clip(-32768, 32767).astype("<i2").tobytes()
    gate = VoiceGate()
    for frame in frames_of(lobby, gate.frame_bytes):
        gate.voiced(frame)
    room_floor = gate.floor
    assert not any(gate.voiced(frame) for frame in frames_of(NoiseFloor().fill(bytes(3 * 2 * RATE)), gate.frame_bytes))
    assert gate.floor < room_floor - 15
    after = frames_of(lobby + lobby, gate.frame_bytes)
    window = round(FLOOR_SECONDS / FRAME)
    for frame in after[:window]:
        gate.voiced(frame)
    assert gate.floor == pytest.approx(room_floor, abs=1.0)
    assert not any(gate.voiced(frame) for frame in after[window:])
    silent_start = VoiceGate()  # a noise-gated microphone: silence, then a voice
    for frame in frames_of(NoiseFloor().fill(bytes(2 * RATE)), gate.frame_bytes):
        silent_start.voiced(frame)
    assert any(silent_start.voiced(frame) for frame in frames_of(sound([("voice", 0.3)]), gate.frame_bytes))


def test_long_speech_is_cut_at_the_maximum_length_and_goes_on() -> None:
    events = run(Endpointer(TurnPolicy(0.5), max_utterance=1.0), sound([("quiet", 0.5), ("voice", 2.5), ("quiet", 1.0)]))
    assert kinds(events)[:3] == [Event.STARTED, Event.ENDED, Event.STARTED]
    assert events[1][0] < 0.5 + 1.0


def test_reset_drops_the_utterance_in_progress() -> None:
    endpointer = Endpointer(TurnPolicy(0.5))
    run(endpointer, sound([("quiet", 0.5), ("voice", 0.5)]))
    assert endpointer.in_utterance
    endpointer.reset()
    assert not endpointer.in_utterance
    assert kinds(run(endpointer, sound([("quiet", 2.0)]))) == []


def test_words_are_asked_for_only_when_a_pause_may_end_the_turn() -> None:
    asked = []
    endpointer = Endpointer(TurnPolicy(0.5))
    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 1.0)])
    for _ in endpointer.feed(pcm, lambda: asked.append(1) or ("my knee",)):
        pass
    assert 1 <= len(asked) <= 2


def test_each_utterance_knows_how_long_after_the_one_before_it_began() -> None:
    endpointer = Endpointer(TurnPolicy(0.5))
    gaps = []
    pcm = sound([("quiet", 0.5), ("voice", 0.5), ("quiet", 1.3), ("voice", 0.5), ("quiet", 3.0), ("voice", 0.5),
                 ("quiet", 1.0)])
    frame = endpointer._frame_bytes
    for offset in range(0, len(pcm) - frame + 1, frame):
        gaps += [endpointer.gap for step in endpointer.feed(pcm[offset:offset + frame]) if step.event == Event.ENDED]
    assert gaps[0] is None
    # From the end of the turn (the burst, then its pause: 1.5 s) to the start window in which the
    # next burst was found (up to START_WINDOW before it, at 2.3 s).
    assert 2.3 - 1.5 - SLACK - START_WINDOW <= gaps[1] <= 2.3 - 1.5
    assert gaps[2] > 2.0
    endpointer.reset()
    assert endpointer.gap is None
