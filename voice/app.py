"""Build the whole assistant from settings: knowledge, dialogue, input, recogniser, speech, captions.

Three ways in (microphone, a WAV recording, the keyboard) and three ways out (speaker, a WAV
file, captions only) share one dialogue and one loop, so a recording reproduces exactly what a
person at the microphone would get.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, replace
from typing import Literal

from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher
from knowledge.model import KnowledgeBase, Match
from knowledge.reply import compose_reply, warnings_overview
from voice.session.captions import Captions
from voice.settings import Settings, voice_limits
from voice.audio.format import AudioSink, AudioSource
from voice.conversation.dialogue import Dialogue, Timing
from voice.asr.choice import Ears, Language, build_recognizer
from voice.audio.echo_cancel import EchoCanceller
from voice.asr.pocketsphinx_lm.build import PackSpeech, knowledge_phrases
from voice.conversation.commands import find_command, spoken_phrases
from voice.session.keyboard import TypedInput, open_keyboard
from voice.session.listening import Input, SpokenInput
from voice.session.loop import Assistant
from voice.session.observer import ObservedSink, SessionObserver, observer_from_environment
from voice.session.recording_log import RecordingLog
from voice.session.speaking import Speaker
from voice.session.stop_key import TYPING_STOP_KEYS, StopKeyWatcher

@dataclass(frozen=True)
class Mode:
    """Where input comes from and output goes to, from the command line."""

    text: bool = False
    input_wav: str | None = None
    output_wav: str | None = None
    printed: bool = False  # replies only printed: no speaker was found



def run_assistant(settings: Settings, mode: Mode, *, source: AudioSource | None = None,
                  sink: AudioSink | None = None, observer: SessionObserver | None = None) -> None:
    """Run until goodbye, the end of the recording or typed input, or Ctrl-C.

    `source` is audio to listen to as a recording (instead of `mode.input_wav` or the microphone),
    `sink` takes the speech (instead of `mode.output_wav` or the speaker), and `observer` is told
    the moments worth timing: the bench measures the real session through these three.
    """
    observer = observer or observer_from_environment()
    kb = load_knowledge(settings.knowledge)
    if settings.voice and not settings.mute:
        from voice.tts.pyttsx3_engine import find_voice, list_voices

        find_voice(settings.voice, list_voices())  # a wrong name stops here, not at the first reply
    recording = RecordingLog.start(settings.log_dir) if settings.log_dir else None
    captions = Captions(sys.stdout, settings.large, recording.caption if recording else None)
    mode, left_out = _without_missing_devices(settings, mode, source, sink)
    dialogue = build_dialogue(kb, settings, keyboard=mode.text, speech=_speaks(settings, mode))
    if left_out:
        captions.note(left_out)
    with ExitStack() as stack:
        user_input, reopen = _input(settings, mode, kb, captions, stack, recording, source, observer)
        speaker = _speaker(settings, mode, stack, sink, observer, kb.domain.pronunciations)

        def forget_person() -> None:
            if recording:
                recording.next_person()
            if isinstance(user_input, TypedInput):
                user_input.forget()

        keys = _stop_keys(speaker is not None, mode, source, lambda: assistant.stop_speaking(), captions)
        if keys:
            stack.enter_context(keys)
        if keys and isinstance(user_input, TypedInput):
            user_input.typed_ahead = keys.take_typed
        assistant = Assistant(dialogue, user_input, speaker, captions, reopen_input=reopen, observer=observer,
                              forget_person=forget_person, while_speaking=keys.speaking if keys else nullcontext)
        assistant.run()


def _stop_keys(speaks: bool, mode: Mode, source: AudioSource | None, stop: Callable[[], None],
               captions: Captions) -> StopKeyWatcher | None:
    """The key that cuts speech: Space or Escape at the microphone, Escape while typing; none for a recording."""
    if not speaks or mode.input_wav or source is not None:
        return None
    if mode.text:
        return StopKeyWatcher(stop, TYPING_STOP_KEYS, while_speaking=True)
    captions.note("Press Space or Escape to cut me off while I am speaking. Ctrl-C quits.")
    return StopKeyWatcher(stop)


def build_dialogue(kb: KnowledgeBase, settings: Settings = Settings(), keyboard: bool = False, speech: bool = True,
                   understand: Callable[[str], Match] | None = None) -> Dialogue:
    """The conversation exactly as the assistant holds it (the sessions evaluation talks to this one too).

    The matcher is compiled here, before anyone speaks; `understand` replaces it where one compiled
    matcher serves many dialogues (the sessions evaluation, tests).
    """
    return Dialogue(
        understand or Matcher(kb).match,
        lambda found, question="": compose_reply(found, kb, settings.emergency_number, settings.crisis_line or "",
                                                 question),
        warning_signs=warnings_overview(kb).sentences, kb=kb, kiosk=settings.kiosk,
        keyboard=keyboard, speech=speech, limits=voice_limits(settings),
        timing=Timing(listen=settings.listen_timeout, idle=settings.idle_timeout),
    )


def _input(settings: Settings, mode: Mode, kb: KnowledgeBase, captions: Captions, stack: ExitStack,
           recording: RecordingLog | None, source: AudioSource | None,
           observer: SessionObserver) -> tuple[Input, Callable[[], None] | None]:
    if mode.text:
        return open_keyboard(captions.prompt), None
    ears = build_ears(kb, settings.engine, settings.model, settings.restrict_vocabulary)
    captions.note(ears.notice)
    complete = whole_turn(kb)

    def spoken(audio: AudioSource, live: bool, echo: EchoCanceller | None = None) -> SpokenInput:
        return SpokenInput(audio, ears.recognizer, live=live, silence=settings.silence, complete=complete,
                           on_utterance=recording.save if recording else None, observer=observer,
                           echo_cancelled=lambda: echo is not None and echo.active)

    if source is None and mode.input_wav:
        from voice.audio.wavfile import WavSource

        source = WavSource(mode.input_wav)
    if source is not None:
        return spoken(source, live=False), None
    from voice.audio.microphone import MicrophoneSource

    echo = _echo_canceller(settings, captions, stack)
    microphone = MicrophoneSource(settings.input_device)
    stack.callback(microphone.close)

    def reopen() -> None:
        if echo is not None:
            _restart_echo_canceller(echo, captions)
        microphone.reopen()

    return spoken(microphone, live=True, echo=echo), reopen


HALF_DUPLEX = "I can't listen while I speak ({}): press Space or Escape to cut me off."
FULL_DUPLEX = "Echo cancelling is on: you can talk while I speak, and say stop to cut me off."


def _echo_canceller(settings: Settings, captions: Captions, stack: ExitStack) -> EchoCanceller | None:
    """The sound server's echo canceller when it can run (said once in the captions), else half duplex."""
    if settings.input_device is not None or settings.output_device is not None:
        captions.note(HALF_DUPLEX.format("a device was chosen by name, so the sound server's echo canceller is not used"))
        return None
    echo = EchoCanceller()
    stack.callback(echo.close)
    problem = echo.start()
    captions.note(HALF_DUPLEX.format(problem) if problem else FULL_DUPLEX)
    return echo


def _restart_echo_canceller(echo: EchoCanceller, captions: Captions) -> None:
    """After the microphone vanished: bring the canceller back with the sound server, say if that changed."""
    was_active = echo.active
    problem = echo.restart()
    if problem and was_active:
        captions.note(HALF_DUPLEX.format(problem))
    elif not problem and not was_active:
        captions.note(FULL_DUPLEX)


def build_ears(kb: KnowledgeBase, engine: str = "auto", model: str | None = None,
               restrict_vocabulary: bool = False) -> Ears:
    """The recogniser for this knowledge base, with the spoken commands in its language."""
    return build_recognizer(language_of(kb), engine, model, restrict_vocabulary)


def language_of(kb: KnowledgeBase) -> Language:
    """What people say to the assistant: the knowledge base's words and the spoken commands."""
    return Language(tuple(knowledge_phrases(kb)), tuple(spoken_phrases()), PackSpeech.of(kb))


def whole_turn(kb: KnowledgeBase) -> Callable[[str], bool]:
    """Whether words already make a whole turn, so a shorter pause ends it: a command, a warning
    sign, or a description that says where (a location) and what.

    A warning sign counts without a place: "i can't bear weight on my leg" was held 1.5 s as
    unfinished whenever one of the recogniser's other guesses ended in "and" or "the" (2 of the
    bench's 37 whole descriptions)."""
    matcher = Matcher(kb)

    def complete(words: str) -> bool:
        if find_command(words) is not None:
            return True
        found = matcher.match(words)
        return bool(found.warnings) or (bool(found.locations) and found.says_what)
    return complete


def _speaker(settings: Settings, mode: Mode, stack: ExitStack, sink: AudioSink | None,
             observer: SessionObserver, pronunciations: dict[str, str]) -> Speaker | None:
    if not _speaks(settings, mode):
        return None
    from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

    if sink is None and mode.output_wav:
        from voice.audio.wavfile import WavSink

        sink = WavSink(mode.output_wav)
    elif sink is None:
        from voice.audio.speaker import SpeakerSink

        sink = SpeakerSink(settings.output_device)
    stack.callback(sink.close)
    speaker = Speaker(Pyttsx3Synthesizer(rate=settings.rate, volume=settings.volume, voice=settings.voice),
                      ObservedSink(sink, observer), pronunciations)
    stack.callback(speaker.close)
    return speaker



def _speaks(settings: Settings, mode: Mode) -> bool:
    return not mode.printed and not settings.mute


def _without_missing_devices(settings: Settings, mode: Mode, source: AudioSource | None,
                             sink: AudioSink | None) -> tuple[Mode, str | None]:
    """With no microphone, typing; with no speaker, printed replies; and one line saying what was
    left out and why. Only default devices are done without: a device the person named must be there."""
    needs_microphone = not mode.text and not mode.input_wav and source is None and settings.input_device is None
    needs_speaker = (not mode.output_wav and sink is None and _speaks(settings, mode)
                     and settings.output_device is None)
    no_microphone = needs_microphone and _missing("input")
    no_speaker = needs_speaker and _missing("output")
    if not (no_microphone or no_speaker):
        return mode, None
    left_out = " and no ".join(noun for noun, gone in (("microphone", no_microphone), ("speaker", no_speaker)) if gone)
    instead = ", and ".join(how for how, gone in (("type what you would say and press Enter", no_microphone),
                                                  ("read my replies here", no_speaker)) if gone)
    fitted = replace(mode, text=mode.text or bool(no_microphone), printed=bool(no_speaker))
    return fitted, f"No {left_out}, so {instead}. Why: {no_microphone or no_speaker}."


def _missing(kind: Literal["input", "output"]) -> str:
    """Why there is no default device of this kind, or "" when there is one."""
    from voice.audio.devices import NoDeviceError, find_device

    try:
        find_device(None, kind)
    except NoDeviceError as error:
        return str(error)
    return ""
