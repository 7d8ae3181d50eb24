"""The simulated person's voice: the project's synthesiser, or any command that writes a WAV.

`--tts-command 'CMD ... {text} ... {wav}'` is split like a shell line and run without a shell,
with `{text}` and `{wav}` substituted inside each word, so a voice set's own script (another
synthesiser, added room noise) can speak for the person without this module knowing about it.
"""
from __future__ import annotations

import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from voice.audio.format import SAMPLE_RATE
from voice.audio.convert import resample_pcm
from voice.audio.wavfile import load_wav
from voice.errors import VoiceError
from voice.tts.synthesizer import Synthesizer

COMMAND_TIMEOUT = 120.0  # seconds for one sentence: a synthesiser that loads a model per call is slow to start


class PersonVoice(Protocol):
    def speak(self, text: str) -> bytes:
        """`text` spoken, as 16 kHz mono int16 PCM."""


class SynthesizerVoice:
    """A project synthesiser (by default the assistant's own espeak-ng through pyttsx3)."""

    def __init__(self, synthesizer: Synthesizer):
        self._synthesizer = synthesizer

    def speak(self, text: str) -> bytes:
        audio = self._synthesizer.synthesize(text)
        return resample_pcm(audio.pcm, audio.sample_rate, SAMPLE_RATE)


class CommandVoice:
    """A command line that writes `text` as speech into the WAV file `{wav}`."""

    def __init__(self, template: str):
        try:
            self._words = shlex.split(template)
        except ValueError as error:
            raise VoiceError(f"--tts-command is not a valid command line ({error})") from None
        if not self._words or not any("{wav}" in word for word in self._words):
            raise VoiceError("--tts-command must name the WAV file it writes as {wav}, e.g. "
                             "'espeak-ng -v en-gb -w {wav} {text}'")
        self.template = template

    def speak(self, text: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="symptom-voice-person-") as folder:
            wav = str(Path(folder) / "turn.wav")
            command = [word.replace("{text}", text).replace("{wav}", wav) for word in self._words]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
            except FileNotFoundError:
                raise VoiceError(f"--tts-command: {command[0]} was not found") from None
            except subprocess.TimeoutExpired:
                raise VoiceError(f"--tts-command took over {COMMAND_TIMEOUT:.0f} s for {text!r}") from None
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise VoiceError(f"--tts-command failed with exit status {done.returncode}: {last}")
            if not Path(wav).is_file():
                raise VoiceError(f"--tts-command wrote no WAV file for {text!r}")
            return load_wav(wav).pcm


class RememberingVoice:
    """Says each text once and replays it: a person's "yes", "no" and "goodbye" sound the same each time."""

    def __init__(self, voice: PersonVoice):
        self._voice = voice
        self._spoken: dict[str, bytes] = {}

    def speak(self, text: str) -> bytes:
        if text not in self._spoken:
            self._spoken[text] = self._voice.speak(text)
        return self._spoken[text]
