"""Build the whole assistant from settings: knowledge, dialogue, input, recogniser, speech, captions.

Three ways in (microphone, a WAV recording, the keyboard) and three ways out (speaker, a WAV
file, captions only) share one dialogue and one loop, so a recording reproduces exactly what a
person at the microphone would get.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from knowledge.loader import load_knowledge
from knowledge.matcher import match
from knowledge.model import KnowledgeBase
from knowledge.reply import compose_reply, warnings_overview
from voice.session.captions import Captions
from voice.settings import Settings, voice_limits
from voice.audio.format import AudioSink
from voice.conversation.dialogue import Dialogue, Timing
from voice.asr.choice import build_recognizer
from voice.errors import VoiceError
from voice.session.listening import Input, SpokenInput, TypedInput
from voice.session.loop import Assistant
from voice.session.recording_log import RecordingLog
from voice.session.speaking import Speaker
from voice.session.stop_key import StopKeyWatcher

NO_MICROPHONE_HINT = ("no microphone here: try `make demo` (a bundled recording), `symptom-voice --text` "
                      "(type instead of speaking), or `symptom-voice --input FILE.wav`")


@dataclass(frozen=True)
class Mode:
    """Where input comes from and output goes to, from the command line."""

    text: bool = False
    input_wav: str | None = None
    output_wav: str | None = None


def run_assistant(settings: Settings, mode: Mode) -> None:
    """Run until goodbye, the end of the recording or typed input, or Ctrl-C."""
    kb = load_knowledge(settings.knowledge)
    match("", kb)  # builds the phrase index now rather than during the first person's turn
    if settings.voice and not settings.mute:
        from voice.tts.pyttsx3_engine import find_voice, list_voices

        find_voice(settings.voice, list_voices())  # a wrong name stops here, not at the first reply
    recording = RecordingLog.start(settings.log_dir) if settings.log_dir else None
    captions = Captions(sys.stdout, settings.large, recording.transcript if recording else None)
    dialogue = build_dialogue(kb, settings, keyboard=mode.text, speech=not settings.mute)
    with ExitStack() as stack:
        user_input, reopen = _input(settings, mode, kb, captions, stack, recording)
        speaker = _speaker(settings, mode, stack)
        assistant = Assistant(dialogue, user_input, speaker, captions, reopen_input=reopen)
        if speaker and not mode.text and not mode.input_wav:
            stack.enter_context(StopKeyWatcher(assistant.stop_speaking))
            captions.note("Press Space or Escape to cut me off while I am speaking. Ctrl-C quits.")
        assistant.run()


def build_dialogue(kb: KnowledgeBase, settings: Settings, keyboard: bool = False, speech: bool = True) -> Dialogue:
    """The conversation exactly as the assistant holds it (the sessions evaluation talks to this one too)."""
    return Dialogue(
        lambda text: match(text, kb), lambda found: compose_reply(found, kb),
        warning_signs=warnings_overview(kb).sentences, kb=kb, kiosk=settings.kiosk,
        keyboard=keyboard, speech=speech, limits=voice_limits(settings),
        emergency_number=settings.emergency_number, crisis_line=settings.crisis_line or "",
        timing=Timing(listen=settings.listen_timeout, idle=settings.idle_timeout),
    )


def _input(settings: Settings, mode: Mode, kb: KnowledgeBase, captions: Captions, stack: ExitStack,
           recording: RecordingLog | None) -> tuple[Input, Callable[[], None] | None]:
    if mode.text:
        return TypedInput(sys.stdin, captions.prompt), None
    ears = build_recognizer(kb, settings.engine, settings.model, settings.silence, settings.restrict_vocabulary)
    captions.note(ears.notice)
    saver = recording.save if recording else None
    if mode.input_wav:
        from voice.audio.wavfile import WavSource

        source = WavSource(mode.input_wav)
        return SpokenInput(source, ears.recognizer, live=False, on_utterance=saver), None
    from voice.audio.devices import MicrophoneSource

    try:
        microphone = MicrophoneSource(settings.input_device)
    except VoiceError as error:
        if "no microphone" in str(error):
            raise VoiceError(NO_MICROPHONE_HINT) from None
        raise
    stack.callback(microphone.close)
    return SpokenInput(microphone, ears.recognizer, live=True, on_utterance=saver), microphone.reopen


def _speaker(settings: Settings, mode: Mode, stack: ExitStack) -> Speaker | None:
    if settings.mute:
        return None
    from voice.tts.pyttsx3_engine import Pyttsx3Synthesizer

    sink: AudioSink
    if mode.output_wav:
        from voice.audio.wavfile import WavSink

        sink = WavSink(mode.output_wav)
    else:
        from voice.audio.devices import SpeakerSink

        sink = SpeakerSink(settings.output_device)
    stack.callback(sink.close)
    return Speaker(Pyttsx3Synthesizer(rate=settings.rate, volume=settings.volume, voice=settings.voice), sink)

