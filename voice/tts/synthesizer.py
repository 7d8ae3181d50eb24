"""The interface every speech synthesiser implements."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from voice.audio.format import SpeechAudio


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech audio; settings are attributes so the dialogue can change them."""

    rate: int
    volume: float

    def synthesize(self, text: str) -> SpeechAudio: ...
